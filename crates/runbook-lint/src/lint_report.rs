use runbook_syntax::Diagnostic;

/// What [`crate::lint`] found in one runbook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintReport {
    /// Sorted by position in the file.
    pub diagnostics: Vec<Diagnostic>,
    /// Things the user should know once, not per finding, e.g.
    /// "shellcheck not installed: ShellCheck lints skipped".
    pub notes: Vec<String>,
}

impl LintReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub(crate) fn add_note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}
