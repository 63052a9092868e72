//! Property: a document rendered from generated parts parses back to the
//! same headings, code blocks (with attributes and bodies) and tasks.

use proptest::prelude::*;
use runbook_syntax::{ItemKind, parse};

#[derive(Debug, Clone)]
enum Block {
    Heading {
        level: usize,
        text: String,
    },
    Paragraph(String),
    Code {
        name: Option<String>,
        lines: Vec<String>,
        in_list: bool,
        tildes: bool,
    },
    Task {
        text: String,
        checked: bool,
    },
}

fn word() -> impl Strategy<Value = String> {
    "[a-z]{1,8}"
}

fn sentence() -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..6).prop_map(|words| words.join(" "))
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        (1usize..4, sentence()).prop_map(|(level, text)| Block::Heading { level, text }),
        sentence().prop_map(|text| Block::Paragraph(format!("{text}."))),
        (
            prop::option::of("[a-z][a-z0-9-]{0,10}"),
            prop::collection::vec(
                prop_oneof![
                    word().prop_map(|w| format!("echo {w}")),
                    (word(), word())
                        .prop_map(|(a, b)| format!("curl -s \"https://{a}.example/{b}\"")),
                    word().prop_map(|w| format!("export VAR_{}=\"{w}\"", w.to_uppercase())),
                ],
                1..5
            ),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(name, lines, in_list, tildes)| Block::Code {
                name,
                lines,
                in_list,
                tildes
            }),
        (sentence(), any::<bool>()).prop_map(|(text, checked)| Block::Task { text, checked }),
    ]
}

fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading { level, text } => {
                out.push_str(&format!("{} {text}\n\n", "#".repeat(*level)))
            }
            Block::Paragraph(text) => out.push_str(&format!("{text}\n\n")),
            Block::Code {
                name,
                lines,
                in_list,
                tildes,
            } => {
                let fence = if *tildes { "~~~" } else { "```" };
                let attrs = name
                    .as_ref()
                    .map(|n| format!(" {{name={n}}}"))
                    .unwrap_or_default();
                let indent = if *in_list { "   " } else { "" };
                if *in_list {
                    out.push_str("1. Do this:\n\n");
                }
                out.push_str(&format!("{indent}{fence}bash{attrs}\n"));
                for line in lines {
                    out.push_str(&format!("{indent}{line}\n"));
                }
                out.push_str(&format!("{indent}{fence}\n\n"));
            }
            Block::Task { text, checked } => out.push_str(&format!(
                "- [{}] {text}\n\n",
                if *checked { "x" } else { " " }
            )),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rendered_documents_parse_back(blocks in prop::collection::vec(block(), 0..12)) {
        let text = render(&blocks);
        let document = parse("generated.md", &text);
        prop_assert!(document.diagnostics.is_empty(), "{:?}\n{text}", document.diagnostics);

        let headings: Vec<&str> = blocks.iter().filter_map(|b| match b { Block::Heading { text, .. } => Some(text.as_str()), _ => None }).collect();
        let parsed_headings: Vec<&str> = document.sections.iter().map(|s| s.title.as_str()).collect();
        prop_assert_eq!(headings, parsed_headings);

        let expected: Vec<(Option<String>, String)> = blocks.iter().filter_map(|b| match b {
            Block::Code { name, lines, .. } => Some((name.clone(), lines.iter().map(|l| format!("{l}\n")).collect::<String>())),
            _ => None,
        }).collect();
        let parsed: Vec<(Option<String>, String)> = document.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Code(code) => Some((code.attributes.name.as_ref().map(|n| n.value.clone()), code.content.script.as_ref().map(|s| s.text.clone()).unwrap_or_default())),
            _ => None,
        }).collect();
        prop_assert_eq!(expected, parsed);

        let tasks: Vec<(String, bool)> = blocks.iter().filter_map(|b| match b { Block::Task { text, checked } => Some((text.clone(), *checked)), _ => None }).collect();
        let parsed_tasks: Vec<(String, bool)> = document.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Task(task) => Some((document.text(&task.text).to_string(), task.checked)),
            _ => None,
        }).collect();
        prop_assert_eq!(tasks, parsed_tasks);

        // Every script line maps back to the source line it came from.
        for item in document.items.iter() {
            if let ItemKind::Code(code) = &item.kind && let Some(script) = &code.content.script {
                for (index, line) in script.text.lines().enumerate() {
                    let offset = script.source_line_offset(index + 1).expect("line mapped");
                    prop_assert_eq!(&text[offset..offset + line.len()], line);
                }
            }
        }
    }
}
