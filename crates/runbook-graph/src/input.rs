use runbook_syntax::Span;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// `{{name}}` in the command.
    Template,
    /// `$VAR` / `${VAR}` read but never assigned before.
    Env,
    /// Text the author left for a human: `<namespace>`, `YOUR_TOKEN`, `{tenantId}`, `xxx`.
    Placeholder,
    /// `$1`… in a block written as a script file.
    Positional,
}

/// A value a step needs before it can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Input {
    /// Variable name the value is exported as (placeholders are normalised:
    /// `<instance label>` → `INSTANCE_LABEL`, `{tenantId}` → `TENANT_ID`).
    pub name: String,
    pub kind: InputKind,
    /// Marked secret in front matter, or named like one (TOKEN, SECRET, PASSWORD, KEY…).
    pub secret: bool,
    /// Only read with a fallback, e.g. `${PORT:-8080}`.
    pub optional: bool,
    /// Declared in the front matter.
    pub declared: bool,
    /// The literal text to replace, for placeholders and templates.
    pub literal: Option<String>,
    /// Where it first appears in the source.
    pub span: Span,
}
