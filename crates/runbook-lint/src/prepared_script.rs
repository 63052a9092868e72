//! A step's script as the external checkers see it.
//!
//! Placeholders (`<namespace>`, `YOUR_TOKEN`, `{tenantId}`) and templates
//! (`{{pod}}`) are filled in before a step runs, so checking them as written
//! would report `<namespace>` as a redirection. Each is replaced by a
//! reference to its variable (`${NAMESPACE}`), and positions in the checked
//! text are mapped back to the script as written.

use runbook_graph::{Input, InputKind};

#[derive(Debug, Clone)]
pub struct PreparedScript {
    pub text: String,
    edits: Vec<Edit>,
}

/// One replacement, in 0-based line and character columns (lines never change).
#[derive(Debug, Clone, Copy)]
struct Edit {
    line: usize,
    prepared_start: usize,
    prepared_end: usize,
    original_start: usize,
    original_end: usize,
}

impl PreparedScript {
    pub fn new(original: &str, inputs: &[Input]) -> PreparedScript {
        let mut replacements: Vec<(usize, usize, String)> = Vec::new();
        for input in inputs {
            let Some(literal) = input.literal.as_deref() else {
                continue;
            };
            if !matches!(input.kind, InputKind::Template | InputKind::Placeholder)
                || literal.is_empty()
                || literal.contains('\n')
            {
                continue;
            }
            let replacement = format!("${{{}}}", input.name);
            for (start, found) in original.match_indices(literal) {
                replacements.push((start, start + found.len(), replacement.clone()));
            }
        }
        // Earliest first, the longest at a position wins; overlapping ones are dropped.
        replacements.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut text = String::with_capacity(original.len() + replacements.len() * 4);
        let mut edits = Vec::new();
        let mut copied_to = 0;
        for (start, end, replacement) in replacements {
            if start < copied_to {
                continue;
            }
            text.push_str(&original[copied_to..start]);
            let line = original[..start].matches('\n').count();
            let original_line_start = original[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
            let prepared_line_start = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
            let original_start = original[original_line_start..start].chars().count();
            let prepared_start = text[prepared_line_start..].chars().count();
            edits.push(Edit {
                line,
                prepared_start,
                prepared_end: prepared_start + replacement.chars().count(),
                original_start,
                original_end: original_start + original[start..end].chars().count(),
            });
            text.push_str(&replacement);
            copied_to = end;
        }
        text.push_str(&original[copied_to..]);
        PreparedScript { text, edits }
    }

    /// The byte offset in `original` of 1-based `line` and character
    /// `column` of the prepared text, clamped to the script.
    pub fn original_offset(&self, original: &str, line: usize, column: usize) -> usize {
        let line_index = line.saturating_sub(1);
        let Some(line_start) = line_start(original, line_index) else {
            return original.len();
        };
        let line_text = original[line_start..].split('\n').next().unwrap_or("");
        let prepared_column = column.saturating_sub(1);
        let mut original_column = prepared_column;
        for edit in self.edits.iter().filter(|edit| edit.line == line_index) {
            if edit.prepared_start > prepared_column {
                break;
            }
            original_column = if prepared_column < edit.prepared_end {
                edit.original_start
            } else {
                prepared_column - edit.prepared_end + edit.original_end
            };
        }
        let byte = line_text
            .char_indices()
            .nth(original_column)
            .map(|(index, _)| index)
            .unwrap_or(line_text.len());
        line_start + byte
    }
}

/// Byte offset where 0-based `line` starts, if the text has it.
pub fn line_start(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return Some(0);
    }
    text.match_indices('\n')
        .nth(line - 1)
        .map(|(index, _)| index + 1)
        .filter(|start| *start <= text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_syntax::Span;

    fn input(name: &str, kind: InputKind, literal: &str) -> Input {
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
    fn placeholders_become_variable_references_and_positions_map_back() {
        let original = "echo ok\nkubectl get pods -n <namespace> {{pod}} | grep é <namespace>\n";
        let prepared = PreparedScript::new(
            original,
            &[
                input("NAMESPACE", InputKind::Placeholder, "<namespace>"),
                input("pod", InputKind::Template, "{{pod}}"),
            ],
        );
        assert_eq!(
            prepared.text,
            "echo ok\nkubectl get pods -n ${NAMESPACE} ${pod} | grep é ${NAMESPACE}\n"
        );
        let line = "kubectl get pods -n ${NAMESPACE} ${pod} | grep é ${NAMESPACE}";
        let column_of = |needle: &str| line[..line.find(needle).unwrap()].chars().count() + 1;
        let at = |column: usize| &original[prepared.original_offset(original, 2, column)..];
        assert!(at(1).starts_with("kubectl"));
        assert!(at(column_of("${NAMESPACE}")).starts_with("<namespace> {{pod}}"));
        assert!(at(column_of("${NAMESPACE}") + 3).starts_with("<namespace> {{pod}}"));
        assert!(at(column_of("${pod}")).starts_with("{{pod}}"));
        assert!(at(column_of("| grep")).starts_with("| grep"));
        assert!(at(column_of("é")).starts_with("é <namespace>\n"));
        assert!(at(line.chars().count()).starts_with("<namespace>\n"));
        assert_eq!(
            prepared.original_offset(original, 2, 500),
            original.len() - 1
        );
        assert_eq!(prepared.original_offset(original, 9, 1), original.len());
    }

    #[test]
    fn env_inputs_are_left_alone() {
        let input = Input {
            kind: InputKind::Env,
            literal: None,
            ..input("HOME", InputKind::Env, "")
        };
        assert_eq!(
            PreparedScript::new("echo $HOME\n", &[input]).text,
            "echo $HOME\n"
        );
    }
}
