//! Fills a step's `{{name}}` templates and placeholders.
//!
//! The command that runs never contains a value: each template or
//! placeholder becomes a reference to an exported variable, quoted for the
//! context it sits in, so a value such as `'; reboot; '` or `$(reboot)` is
//! data, never syntax. The command shown to the operator has the values
//! filled in (secrets masked); the dry-run command has them shell-quoted
//! through handlebars, so it can be copied and pasted.

use runbook_graph::{Input, InputKind};
use runbook_syntax::shell_scan::{QuoteContext, quote_context_at};

pub const SECRET_MASK: &str = "••••••";

/// One template or placeholder occurrence in the script.
struct Occurrence<'a> {
    start: usize,
    end: usize,
    input: &'a Input,
}

fn occurrences<'a>(script: &str, inputs: &'a [Input]) -> Vec<Occurrence<'a>> {
    let mut found: Vec<Occurrence<'a>> = Vec::new();
    for input in inputs
        .iter()
        .filter(|input| matches!(input.kind, InputKind::Template | InputKind::Placeholder))
    {
        let Some(literal) = input
            .literal
            .as_deref()
            .filter(|literal| !literal.is_empty())
        else {
            continue;
        };
        let mut from = 0;
        while let Some(position) = script[from..].find(literal) {
            let start = from + position;
            let end = start + literal.len();
            if !found.iter().any(|o| start < o.end && o.start < end) {
                found.push(Occurrence { start, end, input });
            }
            from = end;
        }
    }
    found.sort_by_key(|occurrence| occurrence.start);
    found
}

fn replace_all(
    script: &str,
    occurrences: &[Occurrence<'_>],
    mut with: impl FnMut(&Occurrence<'_>) -> String,
) -> String {
    let mut out = String::with_capacity(script.len());
    let mut cursor = 0;
    for occurrence in occurrences {
        out.push_str(&script[cursor..occurrence.start]);
        out.push_str(&with(occurrence));
        cursor = occurrence.end;
    }
    out.push_str(&script[cursor..]);
    out
}

/// The script that runs: templates and placeholders become quoted variable references.
pub fn executable(script: &str, inputs: &[Input]) -> String {
    let found = occurrences(script, inputs);
    replace_all(script, &found, |occurrence| {
        let name = &occurrence.input.name;
        match quote_context_at(script, occurrence.start) {
            QuoteContext::Unquoted => format!("\"${{{name}}}\""),
            QuoteContext::DoubleQuoted | QuoteContext::Heredoc => format!("${{{name}}}"),
            QuoteContext::SingleQuoted => format!("'\"${{{name}}}\"'"),
        }
    })
}

/// The script shown to the operator: values filled in, secrets masked, and
/// unknown values left as they were written.
pub fn display(
    script: &str,
    inputs: &[Input],
    lookup: &dyn Fn(&str) -> Option<(String, bool)>,
) -> String {
    let found = occurrences(script, inputs);
    replace_all(script, &found, |occurrence| {
        match lookup(&occurrence.input.name) {
            Some((_, true)) => SECRET_MASK.to_string(),
            Some((value, false)) => value,
            None => script[occurrence.start..occurrence.end].to_string(),
        }
    })
}

/// The script as `--dry-run` prints it: values shell-quoted by handlebars'
/// escape function, secrets masked, missing values left as `${NAME}`.
pub fn dry_run(
    script: &str,
    inputs: &[Input],
    lookup: &dyn Fn(&str) -> Option<(String, bool)>,
) -> String {
    let mut registry = handlebars::Handlebars::new();
    registry.register_escape_fn(|value| {
        shlex::try_quote(value)
            .map(|quoted| quoted.into_owned())
            .unwrap_or_else(|_| "''".to_string())
    });
    let found = occurrences(script, inputs);
    replace_all(script, &found, |occurrence| {
        match lookup(&occurrence.input.name) {
            Some((_, true)) => SECRET_MASK.to_string(),
            Some((value, false)) => registry
                .render_template("{{value}}", &serde_json::json!({ "value": value }))
                .unwrap_or_else(|_| format!("${{{}}}", occurrence.input.name)),
            None => format!("${{{}}}", occurrence.input.name),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_syntax::Span;

    fn input(name: &str, literal: &str, kind: InputKind) -> Input {
        Input {
            name: name.into(),
            kind,
            secret: false,
            optional: false,
            declared: false,
            literal: Some(literal.into()),
            span: Span::default(),
        }
    }

    #[test]
    fn executable_quotes_for_each_context() {
        let inputs = vec![
            input("ns", "{{ns}}", InputKind::Template),
            input("POD", "<pod>", InputKind::Placeholder),
        ];
        let script = "kubectl -n {{ns}} logs <pod> | grep \"{{ns}}\" | awk '/{{ns}}/'";
        assert_eq!(
            executable(script, &inputs),
            "kubectl -n \"${ns}\" logs \"${POD}\" | grep \"${ns}\" | awk '/'\"${ns}\"'/'"
        );
    }

    #[test]
    fn display_and_dry_run_fill_values() {
        let inputs = vec![
            input("ns", "{{ns}}", InputKind::Template),
            input("TOKEN", "YOUR_TOKEN", InputKind::Placeholder),
        ];
        let lookup = |name: &str| match name {
            "ns" => Some(("prod west".to_string(), false)),
            "TOKEN" => Some(("s3cr3t".to_string(), true)),
            _ => None,
        };
        let script = "kubectl -n {{ns}} --token YOUR_TOKEN";
        assert_eq!(
            display(script, &inputs, &lookup),
            "kubectl -n prod west --token ••••••"
        );
        assert_eq!(
            dry_run(script, &inputs, &lookup),
            "kubectl -n 'prod west' --token ••••••"
        );
        assert_eq!(
            dry_run(
                "echo {{other}}",
                &[input("other", "{{other}}", InputKind::Template)],
                &lookup
            ),
            "echo ${other}"
        );
    }
}
