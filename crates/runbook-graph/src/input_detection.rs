//! Finds the values a step needs: templates, unassigned variables and the
//! placeholders authors leave for humans.

use crate::script_offsets::ScriptOffsets;
use crate::{Input, InputKind};
use memchr::memmem;
use regex::Regex;
use runbook_syntax::shell_scan::{BorrowedCommand, BorrowedScan};
use runbook_syntax::{FrontMatter, Script, Span};
use std::collections::HashSet;
use std::sync::LazyLock;

/// Variables the process environment or bash itself provides.
#[rustfmt::skip]
const AMBIENT_VARIABLES: &[&str] = &[
    "BASH", "BASHOPTS", "BASHPID", "BASH_SOURCE", "BASH_VERSION", "COLUMNS", "EDITOR", "EUID", "FUNCNAME", "GROUPS",
    "HISTFILE", "HOME", "HOSTNAME", "HOSTTYPE", "IFS", "LANG", "LC_ALL", "LINENO", "LINES", "LOGNAME", "MACHTYPE",
    "MAIL", "OLDPWD", "OPTARG", "OPTIND", "OSTYPE", "PAGER", "PATH", "PIPESTATUS", "PPID", "PS1", "PS2", "PWD", "RANDOM",
    "REPLY", "SECONDS", "SHELL", "SHELLOPTS", "SHLVL", "TERM", "TMPDIR", "TZ", "UID", "USER", "VISUAL", "XDG_CONFIG_HOME",
    "XDG_RUNTIME_DIR", "RUNBOOK_RUN_DIR", "RUNBOOK_STEP",
];

static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}").expect("valid template regex")
});
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|PRIVATE|API_?KEY|(^|_)KEY($|_)|SIGNATURE|COOKIE|_PASS$)").expect("valid secret regex")
});
static ANGLE_PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<([A-Za-z][A-Za-z0-9 _.:/-]{0,60})>").expect("valid placeholder regex")
});
static YOUR_PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:YOUR_[A-Z0-9_]+|your-[a-z0-9-]+|your_[a-z0-9_]+)\b")
        .expect("valid placeholder regex")
});
static BRACE_PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([A-Za-z][A-Za-z0-9_]*)\}").expect("valid placeholder regex"));
static XXX_PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9_.-]*(?:xxx|XXX)[A-Za-z0-9_.-]*").expect("valid placeholder regex")
});

// Text the regexes above cannot match without, searched for first. Built
// once: building a searcher costs more than searching a short script.
static TEMPLATE_OPEN: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("{{"));
static YOUR_UPPER: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("YOUR_"));
static YOUR_LOWER: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("your"));
static XXX_LOWER: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("xxx"));
static XXX_UPPER: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("XXX"));

fn contains(text: &str, finder: &memmem::Finder<'_>) -> bool {
    finder.find(text.as_bytes()).is_some()
}

#[rustfmt::skip]
const HTML_TAGS: &[&str] = &[
    "a", "b", "body", "br", "code", "div", "em", "h1", "h2", "h3", "head", "hr", "html", "i", "li", "meta", "p", "pre",
    "script", "span", "strong", "style", "table", "td", "th", "title", "tr", "ul",
];

pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAME.is_match(&name.to_ascii_uppercase())
}

/// `instance label from alert` → `INSTANCE_LABEL_FROM_ALERT`, `tenantId` → `TENANT_ID`.
pub fn normalize_placeholder(text: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

/// Names a step assigns, in order of appearance, with the offset where each assignment happens.
pub fn assignments(scan: &BorrowedScan<'_>) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for command in &scan.commands {
        assignments_in(scan, command, &mut out);
    }
    out.sort_by_key(|(_, offset)| *offset);
    out
}

fn assignments_in(
    scan: &BorrowedScan<'_>,
    command: &BorrowedCommand,
    out: &mut Vec<(String, usize)>,
) {
    for word in scan
        .words(command)
        .iter()
        .take_while(|word| word.assignment().is_some())
    {
        if let Some(name) = word.assignment() {
            out.push((name.to_string(), word.span.end));
        }
    }
    let argv = scan.argv(command);
    let Some(program) = argv.first() else { return };
    let rest = &argv[1..];
    match program.text.as_ref() {
        "export" | "local" | "declare" | "typeset" | "readonly" => {
            for word in rest.iter().filter(|word| !word.text.starts_with('-')) {
                let name = word.text.split('=').next().unwrap_or("");
                if runbook_syntax::shell_scan::is_identifier(name)
                    && (word.text.contains('=') || program.text != "export")
                {
                    out.push((name.to_string(), word.span.end));
                }
            }
        }
        "read" | "mapfile" | "readarray" => {
            let mut skip_value = false;
            for word in rest {
                if skip_value {
                    skip_value = false;
                    continue;
                }
                if word.text.starts_with('-') {
                    skip_value = matches!(
                        word.text.as_ref(),
                        "-p" | "-d" | "-n" | "-N" | "-t" | "-u" | "-a" | "-i" | "-C" | "-c"
                    );
                    if word.text == "-a" {
                        skip_value = false;
                    }
                    continue;
                }
                if runbook_syntax::shell_scan::is_identifier(&word.text) {
                    out.push((word.text.to_string(), word.span.start));
                }
            }
        }
        "for" | "select" => {
            if let Some(word) = rest.first()
                && runbook_syntax::shell_scan::is_identifier(&word.text)
            {
                out.push((word.text.to_string(), word.span.start));
            }
        }
        "getopts" => {
            if let Some(word) = rest.get(1) {
                out.push((word.text.to_string(), word.span.start));
            }
        }
        _ => {}
    }
}

pub struct StepInputs {
    pub inputs: Vec<Input>,
    pub assigns: Vec<String>,
    /// Every variable read before the step itself assigns it, whoever else may set it.
    pub reads: Vec<String>,
}

/// Finds a shell step's inputs. `assigned_before` holds names assigned by
/// earlier steps; captured names count as assigned. `offsets` maps the
/// script's spans back to the source.
pub fn detect(
    script: &Script,
    scan: &BorrowedScan<'_>,
    front_matter: &FrontMatter,
    assigned_before: &HashSet<String>,
    offsets: &ScriptOffsets,
) -> StepInputs {
    let mut inputs: Vec<Input> = Vec::new();
    let assigns = assignments(scan);
    let text = script.text.as_str();
    let to_source = |span: Span| offsets.span(span);
    let push = |inputs: &mut Vec<Input>, input: Input| match inputs
        .iter_mut()
        .find(|known| known.name == input.name)
    {
        Some(known) => known.optional &= input.optional,
        None => inputs.push(input),
    };
    let declared = |name: &str| front_matter.var(name);
    let is_secret =
        |name: &str| declared(name).is_some_and(|var| var.secret) || is_secret_name(name);

    // Every template has `{{`; most scripts have none, so skip the regex.
    let templates = contains(text, &TEMPLATE_OPEN).then(|| TEMPLATE.captures_iter(text));
    for capture in templates.into_iter().flatten() {
        let whole = capture.get(0).expect("match");
        let name = &capture[1];
        push(
            &mut inputs,
            Input {
                name: name.to_string(),
                kind: InputKind::Template,
                secret: is_secret(name),
                optional: false,
                declared: declared(name).is_some(),
                literal: Some(whole.as_str().to_string()),
                span: to_source(Span::new(whole.start(), whole.end())),
            },
        );
    }

    let mut reads: Vec<String> = Vec::new();
    for var in &scan.var_refs {
        let name = var.name;
        let assigned_earlier_here = assigns
            .iter()
            .any(|(assigned, offset)| assigned == name && *offset < var.span.start);
        if assigned_earlier_here || AMBIENT_VARIABLES.contains(&name) {
            continue;
        }
        if !var.optional && !reads.iter().any(|read| read == name) {
            reads.push(name.to_string());
        }
        if assigned_before.contains(name) {
            continue;
        }
        push(
            &mut inputs,
            Input {
                name: name.to_string(),
                kind: InputKind::Env,
                secret: is_secret(name),
                optional: var.optional,
                declared: declared(name).is_some(),
                literal: None,
                span: to_source(var.span),
            },
        );
    }

    for span in &scan.positional_refs {
        let raw = &text[span.to_range()];
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        push(
            &mut inputs,
            Input {
                name: digits,
                kind: InputKind::Positional,
                secret: false,
                optional: raw.contains(":-"),
                declared: false,
                literal: None,
                span: to_source(*span),
            },
        );
    }

    for (literal, span) in placeholders(text, scan) {
        let bare = literal
            .trim_start_matches(['<', '{'])
            .trim_end_matches(['>', '}']);
        // `TENANT_ID="xxx"`: the placeholder is the value of TENANT_ID, so ask for TENANT_ID.
        let name = assigned_whole_value(scan, &literal, span)
            .unwrap_or_else(|| normalize_placeholder(bare));
        if name.is_empty() {
            continue;
        }
        push(
            &mut inputs,
            Input {
                secret: is_secret(&name),
                declared: declared(&name).is_some(),
                name,
                kind: InputKind::Placeholder,
                optional: false,
                literal: Some(literal),
                span: to_source(span),
            },
        );
    }
    let mut assigned_names: Vec<String> = Vec::new();
    for (name, _) in assigns {
        if !assigned_names.contains(&name) {
            assigned_names.push(name);
        }
    }
    StepInputs {
        inputs,
        assigns: assigned_names,
        reads,
    }
}

/// Placeholder literals in `text`, skipping comments, heredoc bodies and
/// the arguments of `echo`/`printf` (usage strings are not placeholders).
/// The variable a placeholder is the entire value of (`NAME=xxx`, `export NAME="<x>"`).
fn assigned_whole_value(scan: &BorrowedScan<'_>, literal: &str, span: Span) -> Option<String> {
    scan.commands
        .iter()
        .flat_map(|command| scan.words(command))
        .find_map(|word| {
            let name = word.assignment()?;
            let contains = word.span.start <= span.start && span.end <= word.span.end;
            let value = word.text.split_once('=')?.1;
            (contains && value == literal).then(|| name.to_string())
        })
}

pub fn placeholders(text: &str, scan: &BorrowedScan<'_>) -> Vec<(String, Span)> {
    // Text each placeholder regex needs, checked first: most scripts have no
    // placeholder at all, and then neither the regexes nor the exclusions run.
    let bytes = text.as_bytes();
    let maybe_angle = memchr::memchr(b'<', bytes).is_some();
    let maybe_your = contains(text, &YOUR_UPPER) || contains(text, &YOUR_LOWER);
    let maybe_brace = memchr::memchr(b'{', bytes).is_some();
    let maybe_xxx = contains(text, &XXX_LOWER) || contains(text, &XXX_UPPER);
    if !(maybe_angle || maybe_your || maybe_brace || maybe_xxx) {
        return Vec::new();
    }
    let find_all = |wanted: bool, regex: &'static Regex| {
        wanted.then(|| regex.find_iter(text)).into_iter().flatten()
    };
    let excluded: Vec<Span> = scan
        .comments
        .iter()
        .copied()
        .chain(scan.heredocs.iter().map(|heredoc| heredoc.body))
        .chain(
            scan.commands
                .iter()
                .filter(|command| {
                    // Usage strings are not placeholders, nor are mktemp's XXXXXX templates.
                    scan.argv(command).first().is_some_and(|program| {
                        matches!(program.text.as_ref(), "echo" | "printf" | "mktemp")
                    })
                })
                .map(|command| command.span),
        )
        .collect();
    let inside_excluded = |start: usize| {
        excluded
            .iter()
            .any(|span| span.start <= start && start < span.end)
    };
    let mut found: Vec<(String, Span)> = Vec::new();
    let add = |literal: &str, start: usize, found: &mut Vec<(String, Span)>| {
        if !inside_excluded(start)
            && !found
                .iter()
                .any(|(_, span)| span.start <= start && start < span.end)
        {
            found.push((literal.to_string(), Span::new(start, start + literal.len())));
        }
    };
    for m in find_all(maybe_angle, &ANGLE_PLACEHOLDER) {
        let inner = &text[m.start() + 1..m.end() - 1];
        let before = text[..m.start()].chars().last();
        if HTML_TAGS.contains(&inner.to_ascii_lowercase().as_str())
            || before == Some('<')
            || inner.contains("/dev/")
        {
            continue;
        }
        add(m.as_str(), m.start(), &mut found);
    }
    for m in find_all(maybe_your, &YOUR_PLACEHOLDER) {
        add(m.as_str(), m.start(), &mut found);
    }
    for m in find_all(maybe_brace, &BRACE_PLACEHOLDER) {
        let before = text[..m.start()].chars().last();
        let after = text[m.end()..].chars().next();
        if matches!(before, Some('$' | '{' | '%')) || after == Some('}') {
            continue;
        }
        add(m.as_str(), m.start(), &mut found);
    }
    for m in find_all(maybe_xxx, &XXX_PLACEHOLDER) {
        add(m.as_str(), m.start(), &mut found);
    }
    found.sort_by_key(|(_, span)| span.start);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_syntax::shell_scan::scan_all_borrowed as scan_all;

    fn inputs(text: &str, before: &[&str]) -> Vec<(String, InputKind, bool)> {
        let script = Script::from_lines(text.lines().enumerate().map(|(i, l)| (l, i * 100)));
        let scan = scan_all(&script.text);
        let before: HashSet<String> = before.iter().map(|s| s.to_string()).collect();
        detect(
            &script,
            &scan,
            &FrontMatter::default(),
            &before,
            &ScriptOffsets::new(&script),
        )
        .inputs
        .into_iter()
        .map(|i| (i.name, i.kind, i.secret))
        .collect()
    }

    #[test]
    fn env_inputs_exclude_assigned_and_ambient() {
        let found = inputs(
            "X=1\necho $X $HOME ${MGMT_DB_TOKEN:0:20} \"$TENANT\"\nfor i in 1 2; do echo $i; done\n",
            &["TENANT"],
        );
        assert_eq!(found, vec![("MGMT_DB_TOKEN".into(), InputKind::Env, true)]);
    }

    #[test]
    fn reading_before_assigning_is_an_input() {
        let found = inputs("export TURSO_ORG=\"${TURSO_ORG}\"\n", &[]);
        assert_eq!(found, vec![("TURSO_ORG".into(), InputKind::Env, false)]);
    }

    #[test]
    fn templates_and_placeholders() {
        let found = inputs(
            "kubectl get pods -n <namespace> {{pod}}\ncurl \"http://h/api/tenants/{tenantId}\" -H \"Bearer YOUR_TOKEN\"\nkubectl describe pod sofia-ai-xxx\necho \"Usage: $0 <dir>\"\n",
            &[],
        );
        let names: Vec<_> = found.iter().map(|(n, k, s)| (n.as_str(), *k, *s)).collect();
        assert_eq!(
            names,
            vec![
                ("pod", InputKind::Template, false),
                ("NAMESPACE", InputKind::Placeholder, false),
                ("TENANT_ID", InputKind::Placeholder, false),
                ("YOUR_TOKEN", InputKind::Placeholder, true),
                ("SOFIA_AI_XXX", InputKind::Placeholder, false),
            ]
        );
    }

    #[test]
    fn go_templates_and_prometheus_labels_are_not_ours() {
        assert!(inputs("docker stats --format \"{{.Container}}\"\n", &[]).is_empty());
    }

    #[test]
    fn html_in_heredocs_is_not_a_placeholder() {
        assert!(inputs("cat > x.html << 'EOF'\n<html><title>x</title>\nEOF\n", &[]).is_empty());
    }

    #[test]
    fn positional_arguments() {
        let found = inputs("TENANT_ID=\"$1\"\necho $TENANT_ID\n", &[]);
        assert_eq!(found, vec![("1".into(), InputKind::Positional, false)]);
    }

    #[test]
    fn read_and_local_assign() {
        assert!(
            inputs(
                "read -p \"Continue? \" confirm\necho $confirm\nf() { local a=$1; echo $a; }\n",
                &[]
            )
            .iter()
            .all(|(n, ..)| n == "1")
        );
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize_placeholder("instance label from alert"),
            "INSTANCE_LABEL_FROM_ALERT"
        );
        assert_eq!(normalize_placeholder("tenantId"), "TENANT_ID");
        assert_eq!(normalize_placeholder("db-name"), "DB_NAME");
    }
}
