//! The lint catalog stays in step with the codes the parser and the step
//! graph emit, so `allow` lists naming them are not flagged `unknown-lint`.

use regex::Regex;
use runbook_lint::{LINTS, PARSE_AND_GRAPH_CODES, is_known_lint_id};
use std::path::PathBuf;

#[test]
fn every_parser_and_graph_code_is_known() {
    let code = Regex::new(r#"Diagnostic::(?:error|warning)\(\s*"([a-z0-9-]+)""#).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for crate_name in ["runbook-syntax", "runbook-graph"] {
        let dir = root.join(crate_name).join("src");
        for entry in
            std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).expect("readable source");
                found.extend(code.captures_iter(&text).map(|c| c[1].to_string()));
            }
        }
    }
    assert!(
        found.len() >= 10,
        "expected to find the parser's codes, found {found:?}"
    );
    for code in &found {
        assert!(
            PARSE_AND_GRAPH_CODES.contains(&code.as_str()),
            "`{code}` is emitted but missing from PARSE_AND_GRAPH_CODES"
        );
    }
}

#[test]
fn every_lint_has_a_description_and_is_known() {
    for (id, _, description) in LINTS {
        assert!(is_known_lint_id(id));
        assert!(
            description.len() > 20 && !description.contains('\n'),
            "{id}: {description}"
        );
    }
}

#[test]
fn the_format_guide_documents_every_lint_and_code() {
    let guide = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/format.md"),
    )
    .expect("docs/format.md");
    for (id, severity, _) in LINTS {
        let severity = if *severity == runbook_syntax::Severity::Error {
            "error"
        } else {
            "warning"
        };
        assert!(
            guide.contains(&format!("| `{id}` | {severity} |")),
            "docs/format.md's lints table lacks `{id}` ({severity})"
        );
    }
    for code in PARSE_AND_GRAPH_CODES {
        assert!(
            guide.contains(&format!("| `{code}` |")),
            "docs/format.md does not document `{code}`"
        );
    }
}
