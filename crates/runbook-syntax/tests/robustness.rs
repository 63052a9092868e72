//! Parsing never panics and never fails, whatever the input.

use runbook_syntax::{ItemKind, parse, parse_bytes};

fn code_items(text: &str) -> usize {
    parse("x.md", text)
        .items
        .iter()
        .filter(|item| matches!(item.kind, ItemKind::Code(_)))
        .count()
}

#[test]
fn fifty_megabyte_runbook() {
    let chunk = "## Step\n\n1. Restart:\n\n   ```bash {timeout=5s}\n   docker-compose restart api\n   curl -s \"$URL/health\" | jq .status\n   ```\n\nSome prose with `inline code` and a [link](#step).\n\n";
    let repeats = 50 * 1024 * 1024 / chunk.len() + 1;
    let text = chunk.repeat(repeats);
    assert!(text.len() >= 50 * 1024 * 1024);
    let document = parse("big.md", &text);
    assert!(document.diagnostics.is_empty());
    assert_eq!(document.items.len(), repeats);
    assert_eq!(document.sections.len(), repeats);
}

#[test]
fn ten_thousand_nested_block_quotes() {
    let text = format!(
        "{}```bash\n{}echo deep\n{}```\n",
        ">".repeat(10_000),
        ">".repeat(10_000),
        ">".repeat(10_000)
    );
    let document = parse("deep.md", &text);
    // Whatever the Markdown library makes of it, we return and do not crash.
    assert!(document.items.len() <= 1);
}

#[test]
fn ten_thousand_nested_lists() {
    let text = format!("{}item\n", "- ".repeat(10_000));
    let document = parse("lists.md", &text);
    assert!(document.diagnostics.is_empty());
}

#[test]
fn ten_thousand_nested_details() {
    let text = format!(
        "{}\n\n```bash\nls\n```\n\n{}",
        "<details>\n".repeat(10_000),
        "</details>\n".repeat(10_000)
    );
    assert_eq!(code_items(&text), 1);
}

#[test]
fn deeply_nested_shell_does_not_overflow() {
    let script = format!(
        "```bash\necho {}x{}\n```\n",
        "$(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(code_items(&script), 1);
    let quotes = format!("```bash\necho {}\n```\n", "\"$(echo ".repeat(5_000));
    assert_eq!(code_items(&quotes), 1);
}

#[test]
fn crlf_bom_and_tabs() {
    let document = parse_bytes(
        "x.md",
        b"\xef\xbb\xbf# T\r\n\r\n```bash\r\n\tcd /tmp && \\\r\n\tls\r\n```\r\n",
    );
    assert!(
        document.diagnostics.is_empty(),
        "{:?}",
        document.diagnostics
    );
    let ItemKind::Code(code) = &document.items[0].kind else {
        panic!("expected code")
    };
    assert_eq!(
        code.content.script.as_ref().map(|s| s.text.as_str()),
        Some("\tcd /tmp && \\\n\tls\n")
    );
    assert_eq!(document.title.as_deref(), Some("T"));
}

#[test]
fn invalid_utf8_is_reported_at_its_position() {
    let document = parse_bytes("x.md", b"# ok\n\nbad \xc3\x28 byte\n");
    assert_eq!(document.diagnostics.len(), 1);
    assert_eq!(document.diagnostics[0].code, "invalid-utf8");
    let location = document.source.location(document.diagnostics[0].span.start);
    assert_eq!((location.line, location.column), (3, 5));
}

#[test]
fn long_fences_and_html_comments() {
    assert_eq!(code_items("`````bash\n````\nnot a close\n````\n`````\n"), 1);
    assert_eq!(code_items("<!--\n```bash\nrm -rf /\n```\n-->\n"), 0);
    assert_eq!(code_items("~~~~\nls\n~~~~\n"), 1);
}

#[test]
fn unclosed_fences_are_errors_with_their_span() {
    let document = parse("x.md", "# T\n\n```bash\nls\n");
    let errors: Vec<_> = document
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "unclosed-fence");
    assert_eq!(document.source.location(errors[0].span.start).line, 3);
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic sweep over awkward inputs; the fuzz target goes further.
    let pieces: &[&[u8]] = &[
        b"```",
        b"~~~",
        b"{",
        b"}",
        b"\"",
        b"'",
        b"$(",
        b"<<EOF\n",
        b"\n",
        b"- [ ] ",
        b"1. ",
        b"> ",
        b"+++\n",
        b"---\n",
        b"\\",
        b"\r",
        b"\xff",
        b"\xe2\x9c",
        b"{{",
        b"}}",
        b"<!--",
        b"-->",
        b"    ",
        b"$ ",
        b"# ",
        b"=",
        b"name=",
        b"`",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3_000 {
        let mut input = Vec::new();
        for _ in 0..(seed % 40) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            input.extend_from_slice(pieces[(seed % pieces.len() as u64) as usize]);
        }
        let document = parse_bytes("fuzz.md", &input);
        for diagnostic in &document.diagnostics {
            assert!(diagnostic.span.end <= document.source.text().len());
        }
    }
}

/// Inputs the fuzzer found (`fuzz/`), kept so they stay fixed.
#[test]
fn fuzzer_regressions() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("regressions dir") {
        let path = entry.expect("entry").path();
        let document = parse_bytes("regression.md", &std::fs::read(&path).expect("readable"));
        for diagnostic in &document.diagnostics {
            assert!(
                diagnostic.span.end <= document.source.text().len(),
                "{}: {diagnostic:?}",
                path.display()
            );
        }
        count += 1;
    }
    assert!(count > 0);
}
