//! Every lint `runbook check` knows, with its stable id, severity and a
//! one-line description, for `--help`, the docs and `allow` lists.

use runbook_syntax::Severity;

pub const INVALID_SHELL: &str = "invalid-shell";
pub const SHELLCHECK: &str = "shellcheck";
pub const UNKNOWN_TEMPLATE_VARIABLE: &str = "unknown-template-variable";
pub const DESTRUCTIVE_WITHOUT_CONFIRM: &str = "destructive-without-confirm";
pub const ENDLESS_WITHOUT_TIMEOUT: &str = "endless-without-timeout";
pub const PLACEHOLDER_WITHOUT_VARIABLE: &str = "placeholder-without-variable";
pub const HARDCODED_SECRET: &str = "hardcoded-secret";
pub const CONTEXT_LOOKS_RUNNABLE: &str = "context-looks-runnable";
pub const SHELL_BLOCK_IS_NOT_SHELL: &str = "shell-block-is-not-shell";
pub const UNREACHABLE_SECTION: &str = "unreachable-section";
pub const UNKNOWN_LINT: &str = "unknown-lint";

/// `(id, severity, description)` of every lint this crate reports.
pub const LINTS: &[(&str, Severity, &str)] = &[
    (
        INVALID_SHELL,
        Severity::Error,
        "a step's script is not valid shell (`bash -n`, or `sh -n`/`zsh -n` for those shells)",
    ),
    (
        SHELLCHECK,
        Severity::Warning,
        "a ShellCheck warning (its errors are errors) in a step, when shellcheck is installed; allow one check with `SC1234`",
    ),
    (
        UNKNOWN_TEMPLATE_VARIABLE,
        Severity::Error,
        "a `{{name}}` that no front-matter variable, `capture=` or step assignment provides",
    ),
    (
        DESTRUCTIVE_WITHOUT_CONFIRM,
        Severity::Warning,
        "a destructive command in a step without `confirm=true`",
    ),
    (
        ENDLESS_WITHOUT_TIMEOUT,
        Severity::Warning,
        "a command that never ends by itself, in a step without `timeout=` or `interactive=true`",
    ),
    (
        PLACEHOLDER_WITHOUT_VARIABLE,
        Severity::Warning,
        "a placeholder such as `<namespace>` or `YOUR_TOKEN` with no variable of its name",
    ),
    (
        HARDCODED_SECRET,
        Severity::Warning,
        "a token, API key or private key written into the runbook",
    ),
    (
        CONTEXT_LOOKS_RUNNABLE,
        Severity::Warning,
        "a block shown as context (text, untagged, YAML, JSON) that holds shell commands",
    ),
    (
        SHELL_BLOCK_IS_NOT_SHELL,
        Severity::Warning,
        "a shell-tagged block holding SQL, YAML or prose, which is shown but not run",
    ),
    (
        UNREACHABLE_SECTION,
        Severity::Warning,
        "a section with runnable steps that are all `skip=true`, so it can never run",
    ),
    (
        UNKNOWN_LINT,
        Severity::Warning,
        "an `allow` list names a lint id that does not exist",
    ),
];

/// Codes of the parser's and the step graph's own diagnostics, which
/// `allow` lists may also name.
pub const PARSE_AND_GRAPH_CODES: &[&str] = &[
    "attribute-syntax",
    "duplicate-attribute",
    "duplicate-name",
    "empty-block",
    "front-matter",
    "invalid-attribute-value",
    "invalid-utf8",
    "needs-cycle",
    "unclosed-fence",
    "unknown-attribute",
    "unknown-front-matter-key",
    "unknown-need",
];

/// ShellCheck checks that are wrong for runbook steps, with the reason.
/// A step is a fragment of a session: variables come from earlier steps and
/// inputs, go to later steps, and the operator watches every command.
///
/// Info and style findings are not reported at all (`--severity=warning`).
/// That includes SC2086 (unquoted `$VAR`): runbooks quote loosely, values
/// come from the operator, and the executor passes them as variables, so a
/// value never becomes shell syntax; flagging every `$NAMESPACE` would bury
/// the findings that matter. Word splitting of `$(…)` (SC2046) is a warning
/// and stays.
pub const SHELLCHECK_EXCLUDED: &[(u32, &str)] = &[
    (
        1090,
        "`source` of a computed path: runbooks source env files ShellCheck cannot see",
    ),
    (
        1091,
        "`source`d file not found: the file exists on the operator's machine, not next to the runbook",
    ),
    (
        1072,
        "\"fix any mentioned problems\": only points at the real parse error, which is reported itself",
    ),
    (
        2034,
        "variable appears unused: later steps read the shell state this step leaves",
    ),
    (
        2120,
        "function references arguments but none are passed: later steps call it",
    ),
    (
        2148,
        "no shebang: steps run in the runbook's shell, chosen in front matter",
    ),
    (
        2154,
        "variable referenced but not assigned: values come from inputs and earlier steps",
    ),
    (
        2164,
        "`cd` without `|| exit`: changing directory for later steps is normal, and exiting would end the session",
    ),
];

/// The lint a diagnostic code belongs to, and whether `allow` may name it.
pub fn is_known_lint_id(id: &str) -> bool {
    LINTS.iter().any(|(known, ..)| *known == id)
        || PARSE_AND_GRAPH_CODES.contains(&id)
        || is_shellcheck_code(id)
}

/// `SC2086`: allowing one ShellCheck check.
pub fn is_shellcheck_code(id: &str) -> bool {
    id.len() == 6 && id.starts_with("SC") && id[2..].bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn all_ids() -> impl Iterator<Item = &'static str> {
    LINTS
        .iter()
        .map(|(id, ..)| *id)
        .chain(PARSE_AND_GRAPH_CODES.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = Vec::new();
        for id in all_ids() {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
                "{id}"
            );
            assert!(!seen.contains(&id), "duplicate {id}");
            seen.push(id);
        }
    }

    #[test]
    fn shellcheck_codes_are_recognised() {
        assert!(is_known_lint_id("SC2086"));
        assert!(!is_known_lint_id("SC20860"));
        assert!(!is_known_lint_id("sc2086"));
        assert!(!is_known_lint_id("endless-without-timeouts"));
    }
}
