use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext};
use serde_json::Value;

use crate::error::TimelineError;
use crate::export::ExportModel;

/// The default postmortem template (`templates/postmortem.md.hbs` in the repository).
pub const DEFAULT_MARKDOWN_TEMPLATE: &str = include_str!("../../../templates/postmortem.md.hbs");

/// Renders a Markdown postmortem draft from `model` with `template` (Handlebars), or the
/// default template.
///
/// In templates, `{{value}}` is escaped for Markdown (safe in table cells: `|` and newlines
/// too), `{{{value}}}` is raw, and these helpers exist:
/// `{{code value}}` an inline code span (safe in table cells), `{{fenced value "lang"}}` a fenced
/// code block that the value cannot break out of, `{{html value}}` HTML-escaped text (inside
/// `<summary>` and other raw HTML).
pub fn render_markdown(
    model: &ExportModel,
    template: Option<&str>,
) -> Result<String, TimelineError> {
    let mut registry = Handlebars::new();
    registry.register_escape_fn(escape_markdown);
    registry.register_helper("code", Box::new(code_helper));
    registry.register_helper("fenced", Box::new(fenced_helper));
    registry.register_helper("html", Box::new(html_helper));
    let (source, what) = match template {
        Some(text) => (text, "postmortem template"),
        None => (DEFAULT_MARKDOWN_TEMPLATE, "built-in postmortem template"),
    };
    registry
        .register_template_string("postmortem", source)
        .map_err(|error| TimelineError::Template {
            what: format!("cannot parse {what}"),
            message: error.to_string(),
        })?;
    registry
        .render("postmortem", model)
        .map_err(|error| TimelineError::Template {
            what: format!("cannot render {what}"),
            message: error.to_string(),
        })
}

/// Backslash-escapes Markdown punctuation so values cannot add emphasis, links, HTML or table
/// columns; newlines become `<br>` so a value stays on its table row.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span: a backtick fence longer than any backtick run inside, pipes escaped for
/// tables (GFM unescapes `\|` inside code spans in tables), line breaks shown as `⏎`.
pub fn inline_code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let body = text
        .replace("\r\n", "\n")
        .replace('\n', " ⏎ ")
        .replace('|', "\\|");
    let fence = "`".repeat(longest_run(&body, '`') + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// A fenced code block that the content cannot close early.
pub fn fenced_block(text: &str, language: &str) -> String {
    let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
    let body = text.strip_suffix('\n').unwrap_or(text);
    let language: String = language
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{fence}{language}\n{body}\n{fence}")
}

fn longest_run(text: &str, wanted: char) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for c in text.chars() {
        current = if c == wanted { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest
}

pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn param_text(helper: &Helper<'_>, index: usize) -> String {
    helper
        .param(index)
        .map(|param| value_text(param.value()))
        .unwrap_or_default()
}

fn code_helper(
    helper: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&inline_code(&param_text(helper, 0)))?;
    Ok(())
}

fn fenced_helper(
    helper: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&fenced_block(
        &param_text(helper, 0),
        &param_text(helper, 1),
    ))?;
    Ok(())
}

fn html_helper(
    helper: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&handlebars::html_escape(&param_text(helper, 0)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escape_neutralises_structure() {
        assert_eq!(
            escape_markdown("a|b <script> *x* [l](u)\nnext"),
            r"a\|b \<script\> \*x\* \[l\](u)<br>next"
        );
    }

    #[test]
    fn inline_code_survives_backticks_and_pipes() {
        assert_eq!(inline_code("echo `date` | wc"), "``echo `date` \\| wc``");
        assert_eq!(inline_code("`x`"), "`` `x` ``");
        assert_eq!(inline_code("a\nb"), "`a ⏎ b`");
    }

    #[test]
    fn fenced_block_cannot_be_closed_by_content() {
        let block = fenced_block("```\n</details>\n", "text");
        assert_eq!(block, "````text\n```\n</details>\n````");
    }
}
