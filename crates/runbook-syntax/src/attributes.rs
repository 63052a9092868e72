//! Attributes written in a fence's info string:
//! ```` ```bash {name=restart-api confirm=true timeout=30s} ````
//! or Runme's JSON form ```` ```sh {"name":"x","interactive":"false"} ````.

use crate::diagnostic::did_you_mean;
use crate::known_commands::{is_known_command, is_shell_language};
use crate::shell_scan::is_identifier;
use crate::{Diagnostic, Span, Spanned};
use serde::Serialize;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::time::Duration;

/// One `key=value` as written, before its value is checked. Borrowed from
/// the info string unless reading it changed it (quotes, escapes, JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    pub key: Spanned<Cow<'a, str>>,
    pub value: Spanned<Cow<'a, str>>,
}

/// What a fence info string holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FenceInfo<'a> {
    pub lang: Option<Spanned<&'a str>>,
    /// Inline up to four: fences seldom hold more, so reading one allocates nothing.
    pub attributes: SmallVec<[RawAttribute<'a>; 4]>,
    /// A command written on the fence line itself: ```` ```bash docker ps ````.
    pub command: Option<Spanned<&'a str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Confirm {
    /// Ask the default y/N question.
    Yes,
    /// Ask with this prompt text.
    Prompt(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Expect {
    ExitCode(i32),
    /// A regex the combined output must match.
    OutputMatches(String),
}

/// The checked, typed attributes of a step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepAttributes {
    pub name: Option<Spanned<String>>,
    pub needs: Vec<Spanned<String>>,
    pub confirm: Option<Confirm>,
    /// Overrides destructive-command detection either way.
    pub danger: Option<bool>,
    #[serde(with = "optional_duration_ms")]
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    #[serde(with = "optional_duration_ms")]
    pub delay: Option<Duration>,
    pub capture: Option<Spanned<String>>,
    pub expect: Option<Expect>,
    pub interactive: Option<bool>,
    pub cwd: Option<String>,
    pub skip: bool,
    /// Runme's `excludeFromRunAll`: kept, but not run when running everything.
    pub exclude_from_run_all: bool,
    pub prompt_env: Option<bool>,
    pub tags: Vec<String>,
    /// Lint ids allowed for this step.
    pub allow: Vec<String>,
    /// A program that receives the block on stdin, making a non-shell block runnable.
    pub runner: Option<String>,
    /// Incident timestamp recorded when the step succeeds (`detected`, `mitigated`…).
    pub mark: Option<String>,
}

/// Incident timestamps a step can mark, in the order they usually happen.
pub const INCIDENT_MARKS: &[&str] = &[
    "impact-started",
    "detected",
    "acknowledged",
    "mitigated",
    "resolved",
];

/// Keys we understand, with one line each for `--help`-style docs and "did you mean".
pub const KNOWN_ATTRIBUTES: &[(&str, &str)] = &[
    ("name", "step name, used by needs, --from, --only"),
    ("needs", "comma list of step names that must run first"),
    ("confirm", "true, or a prompt text: ask y/N before running"),
    (
        "danger",
        "true/false: override destructive-command detection",
    ),
    (
        "timeout",
        "duration (30s, 5m): kill the step's process group after it",
    ),
    ("retries", "how many times to retry until the step succeeds"),
    ("delay", "duration between retries (default 2s)"),
    ("capture", "variable name that receives the trimmed stdout"),
    ("expect", "exit code, or /regex/ the output must match"),
    ("interactive", "true: give the step the real terminal"),
    ("cwd", "working directory for the step"),
    ("skip", "true: show but never run"),
    ("tag", "comma list of tags"),
    ("allow", "comma list of lint ids to allow for this step"),
    (
        "runner",
        "program that gets the block on stdin (e.g. psql \"$DATABASE_URL\")",
    ),
    (
        "mark",
        "incident timestamp to record when the step succeeds: detected, mitigated…",
    ),
    // Runme's names, so Runme runbooks work unchanged.
    (
        "excludeFromRunAll",
        "Runme: do not run when running everything",
    ),
    ("ignore", "Runme: same as skip"),
    ("promptEnv", "Runme: prompt for exported variables"),
    ("id", "Runme: cell id (ignored)"),
    ("background", "Runme: run in the background (ignored)"),
    ("closeTerminalOnSuccess", "Runme: editor setting (ignored)"),
    ("interpreter", "Runme: interpreter (ignored; use runner)"),
    ("mimeType", "Runme: output type (ignored)"),
    ("terminalRows", "Runme: editor setting (ignored)"),
    ("category", "Runme: category, treated as a tag"),
    ("skipPrompts", "Runme: editor setting (ignored)"),
];

pub(crate) mod optional_duration_ms {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => serializer.serialize_some(&(duration.as_millis() as u64)),
            None => serializer.serialize_none(),
        }
    }
}

/// Splits an info string (starting at source offset `offset`) into language,
/// raw attributes and an optional fence-line command.
pub fn parse_fence_info<'a>(
    info: &'a str,
    offset: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> FenceInfo<'a> {
    let mut result = FenceInfo::default();
    let leading = info.len() - info.trim_start().len();
    let mut rest_start = leading;
    if !info[leading..].starts_with('{') {
        let lang_end = info[leading..]
            .find(|c: char| c.is_whitespace() || c == '{')
            .map(|i| leading + i)
            .unwrap_or(info.len());
        let lang = &info[leading..lang_end];
        if !lang.is_empty() {
            result.lang = Some(Spanned::new(
                lang,
                Span::new(offset + leading, offset + lang_end),
            ));
        }
        rest_start = lang_end;
    }
    let rest = &info[rest_start..];
    let rest_trimmed = rest.trim_start();
    let rest_offset = offset + rest_start + (rest.len() - rest_trimmed.len());
    if rest_trimmed.is_empty() {
        return result;
    }
    if rest_trimmed.starts_with('{') {
        let close = matching_close_brace(rest_trimmed);
        let inner_end = close.unwrap_or(rest_trimmed.len());
        let inner = &rest_trimmed[1..inner_end];
        if close.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "attribute-syntax",
                    Span::new(rest_offset, rest_offset + rest_trimmed.len()),
                    "unclosed `{` in fence attributes",
                )
                .with_help("close the attribute list with `}`"),
            );
        }
        if inner.trim_start().starts_with('"') {
            // The source may lack the closing brace; the span stays inside what was written.
            let written = Span::new(
                rest_offset,
                rest_offset + close.map(|c| c + 1).unwrap_or(rest_trimmed.len()),
            );
            parse_json_attributes(
                &format!("{{{inner}}}"),
                written,
                &mut result.attributes,
                diagnostics,
            );
        } else {
            parse_key_values(inner, rest_offset + 1, &mut result.attributes, diagnostics);
        }
        if let Some(close) = close {
            let trailing = rest_trimmed[close + 1..].trim();
            if !trailing.is_empty() {
                let start =
                    rest_offset + close + 1 + rest_trimmed[close + 1..].find(trailing).unwrap_or(0);
                diagnostics.push(Diagnostic::warning(
                    "attribute-syntax",
                    Span::new(start, start + trailing.len()),
                    "text after the attribute list is ignored",
                ));
            }
        }
        return result;
    }
    let looks_like_attributes = rest_trimmed
        .split_whitespace()
        .next()
        .and_then(|token| token.split_once('='))
        .is_some_and(|(key, _)| {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
    let lang_is_shell = result
        .lang
        .as_ref()
        .is_some_and(|lang| is_shell_language(lang.value));
    // `bash`/`sh` are languages first: `bash name=x` holds attributes, not a command.
    let lang_is_command = result
        .lang
        .as_ref()
        .is_some_and(|lang| is_known_command(lang.value) && !is_shell_language(lang.value));
    if looks_like_attributes && !lang_is_command {
        parse_key_values(
            rest_trimmed,
            rest_offset,
            &mut result.attributes,
            diagnostics,
        );
    } else if lang_is_shell {
        result.command = Some(Spanned::new(
            rest_trimmed.trim_end(),
            Span::new(rest_offset, rest_offset + rest_trimmed.trim_end().len()),
        ));
    } else if lang_is_command {
        let lang = result.lang.take().expect("checked above");
        let end = rest_offset + rest_trimmed.trim_end().len();
        result.command = Some(Spanned::new(
            info[leading..].trim_end(),
            Span::new(lang.span.start, end),
        ));
    } else {
        diagnostics.push(
            Diagnostic::warning(
                "attribute-syntax",
                Span::new(rest_offset, rest_offset + rest_trimmed.trim_end().len()),
                "text after the fence language is ignored",
            )
            .with_help("write attributes as `{key=value}`"),
        );
    }
    result
}

fn matching_close_brace(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (index, c) in text.char_indices().skip(1) {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '}') => return Some(index),
            _ => {}
        }
    }
    None
}

fn parse_json_attributes(
    json: &str,
    span: Span,
    out: &mut SmallVec<[RawAttribute<'_>; 4]>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let offset = span.start;
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json) {
        Ok(map) => {
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| item.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                let key_span = json
                    .find(&format!("\"{key}\""))
                    .map(|i| Span::new(offset + i, (offset + i + key.len() + 2).min(span.end)))
                    .filter(|key_span| key_span.start < span.end)
                    .unwrap_or(span);
                out.push(RawAttribute {
                    key: Spanned::new(Cow::Owned(key), key_span),
                    value: Spanned::new(Cow::Owned(value), key_span),
                });
            }
        }
        Err(error) => diagnostics.push(
            Diagnostic::error(
                "attribute-syntax",
                span,
                format!("invalid JSON attributes: {error}"),
            )
            .with_help("Runme's form is {\"name\":\"restart\",\"interactive\":\"false\"}"),
        ),
    }
}

fn parse_key_values<'a>(
    text: &'a str,
    offset: usize,
    out: &mut SmallVec<[RawAttribute<'a>; 4]>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        while index < bytes.len() && (bytes[index].is_ascii_whitespace() || bytes[index] == b',') {
            index += 1;
        }
        if index >= bytes.len() {
            break;
        }
        let key_start = index;
        while index < bytes.len()
            && !bytes[index].is_ascii_whitespace()
            && bytes[index] != b'='
            && bytes[index] != b','
        {
            index += 1;
        }
        let key = &text[key_start..index];
        let key_span = Span::new(offset + key_start, offset + index);
        if index >= bytes.len() || bytes[index] != b'=' {
            // A bare key is a flag: `{interactive}` means interactive=true.
            out.push(RawAttribute {
                key: Spanned::new(Cow::Borrowed(key), key_span),
                value: Spanned::new(Cow::Borrowed("true"), key_span),
            });
            continue;
        }
        index += 1;
        let value_start = index;
        let value = if index < bytes.len() && (bytes[index] == b'"' || bytes[index] == b'\'') {
            let quote = bytes[index];
            index += 1;
            let mut value = String::new();
            let mut closed = false;
            while index < bytes.len() {
                let c = text[index..].chars().next().unwrap_or('\0');
                if c == '\\' && index + 1 < bytes.len() && bytes[index + 1] == quote {
                    value.push(quote as char);
                    index += 2;
                    continue;
                }
                if c as u32 == quote as u32 {
                    closed = true;
                    index += 1;
                    break;
                }
                value.push(c);
                index += c.len_utf8();
            }
            if !closed {
                diagnostics.push(Diagnostic::error(
                    "attribute-syntax",
                    Span::new(offset + value_start, offset + index),
                    format!("unclosed quote in the value of `{key}`"),
                ));
            }
            Cow::Owned(value)
        } else {
            while index < bytes.len() && !bytes[index].is_ascii_whitespace() {
                index += 1;
            }
            // `{a=1, b=2}`: a comma right before the next key separates pairs.
            let value = text[value_start..index].trim_end_matches(',');
            index = value_start + value.len();
            Cow::Borrowed(value)
        };
        let value_span = Span::new(offset + value_start, offset + index);
        out.push(RawAttribute {
            key: Spanned::new(Cow::Borrowed(key), key_span),
            value: Spanned::new(value, value_span),
        });
    }
}

/// An owned copy of a value read from the info string.
fn owned(value: &Spanned<Cow<'_, str>>) -> Spanned<String> {
    Spanned::new(value.value.to_string(), value.span)
}

/// Parses a duration such as `30s`, `5m`, `1h30m`, `500ms` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_end == 0 {
            return None;
        }
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "ms" => number / 1000.0,
            "s" | "sec" | "secs" => number,
            "m" | "min" | "mins" => number * 60.0,
            "h" | "hr" | "hrs" => number * 3600.0,
            "d" => number * 86400.0,
            _ => return None,
        };
        total += Duration::from_secs_f64(seconds);
        rest = &rest[unit_end..];
    }
    Some(total)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn comma_list(value: &Spanned<Cow<'_, str>>) -> Vec<Spanned<String>> {
    let mut out = Vec::new();
    let mut cursor = 0;
    for part in value.value.split(',') {
        let trimmed = part.trim();
        let start = cursor + (part.len() - part.trim_start().len());
        cursor += part.len() + 1;
        if trimmed.is_empty() {
            continue;
        }
        // Quoted values have no reliable inner offsets; point at the whole value then.
        let span = if value.span.len() == value.value.len() {
            Span::new(
                value.span.start + start,
                value.span.start + start + trimmed.len(),
            )
        } else {
            value.span
        };
        out.push(Spanned::new(trimmed.to_string(), span));
    }
    out
}

pub fn is_valid_step_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

impl StepAttributes {
    /// Checks raw attributes: unknown keys are warnings (with "did you mean"),
    /// bad values are errors at the value's span.
    pub fn from_raw(raw: &[RawAttribute<'_>], diagnostics: &mut Vec<Diagnostic>) -> Self {
        let mut attrs = StepAttributes::default();
        for (position, attribute) in raw.iter().enumerate() {
            let key: &str = &attribute.key.value;
            let value = &attribute.value;
            // A fence holds a handful of attributes: looking back costs less than a set.
            if raw[..position]
                .iter()
                .any(|earlier| earlier.key.value == key)
            {
                diagnostics.push(Diagnostic::warning(
                    "duplicate-attribute",
                    attribute.key.span,
                    format!("attribute `{key}` is given more than once; the last one wins"),
                ));
            }
            let bad = |expected: &str| {
                Diagnostic::error(
                    "invalid-attribute-value",
                    value.span,
                    format!("invalid value `{}` for `{key}`", value.value),
                )
                .with_help(format!("`{key}` expects {expected}"))
            };
            match key {
                "name" => {
                    if is_valid_step_name(&value.value) {
                        attrs.name = Some(owned(value));
                    } else {
                        diagnostics.push(bad("letters, digits, `-`, `_`, `.` or `/`, starting with a letter or digit"));
                    }
                }
                "needs" => {
                    for need in comma_list(value) {
                        if is_valid_step_name(&need.value) {
                            attrs.needs.push(need);
                        } else {
                            diagnostics.push(bad("a comma list of step names"));
                        }
                    }
                }
                "confirm" => {
                    attrs.confirm = match parse_bool(&value.value) {
                        Some(true) => Some(Confirm::Yes),
                        Some(false) => None,
                        None if value.value.trim().is_empty() => {
                            diagnostics.push(bad("true, false or a prompt text"));
                            None
                        }
                        None => Some(Confirm::Prompt(value.value.to_string())),
                    }
                }
                "danger" | "interactive" | "skip" | "ignore" | "excludeFromRunAll"
                | "promptEnv" => {
                    let parsed = match (key, value.value.to_ascii_lowercase().as_str()) {
                        ("promptEnv", "auto") => Some(true),
                        ("promptEnv", "never") => Some(false),
                        _ => parse_bool(&value.value),
                    };
                    match parsed {
                        Some(flag) => match key {
                            "danger" => attrs.danger = Some(flag),
                            "interactive" => attrs.interactive = Some(flag),
                            "skip" | "ignore" => attrs.skip = flag,
                            "excludeFromRunAll" => attrs.exclude_from_run_all = flag,
                            _ => attrs.prompt_env = Some(flag),
                        },
                        None => diagnostics.push(bad("true or false")),
                    }
                }
                "timeout" | "delay" => match parse_duration(&value.value) {
                    Some(duration) if key == "timeout" && duration.is_zero() => {
                        diagnostics.push(bad("a duration above zero, like 30s or 5m"))
                    }
                    Some(duration) if key == "timeout" => attrs.timeout = Some(duration),
                    Some(duration) => attrs.delay = Some(duration),
                    None => diagnostics.push(bad("a duration like 500ms, 30s, 5m or 1h30m")),
                },
                "retries" => match value.value.trim().parse::<u32>() {
                    Ok(retries) => attrs.retries = Some(retries),
                    Err(_) => diagnostics.push(bad("a whole number of retries")),
                },
                "capture" => {
                    if is_identifier(&value.value) {
                        attrs.capture = Some(owned(value));
                    } else {
                        diagnostics.push(bad("a shell variable name such as POD_NAME"));
                    }
                }
                "expect" => {
                    let text = value.value.trim();
                    if let Ok(code) = text.parse::<i32>() {
                        attrs.expect = Some(Expect::ExitCode(code));
                    } else {
                        let pattern = text
                            .strip_prefix('/')
                            .and_then(|t| t.strip_suffix('/'))
                            .unwrap_or(text);
                        match regex::Regex::new(pattern) {
                            Ok(_) if !pattern.is_empty() => attrs.expect = Some(Expect::OutputMatches(pattern.to_string())),
                            Ok(_) => diagnostics.push(bad("an exit code or a /regex/")),
                            Err(error) => diagnostics.push(
                                Diagnostic::error("invalid-attribute-value", value.span, format!("invalid regex in `expect`: {}", first_line(&error.to_string())))
                                    .with_help("`expect` takes an exit code or a /regex/ the output must match"),
                            ),
                        }
                    }
                }
                "cwd" => {
                    if value.value.trim().is_empty() {
                        diagnostics.push(bad("a directory"));
                    } else {
                        attrs.cwd = Some(value.value.to_string());
                    }
                }
                "tag" | "tags" | "category" => attrs
                    .tags
                    .extend(comma_list(value).into_iter().map(|t| t.value)),
                "allow" => attrs
                    .allow
                    .extend(comma_list(value).into_iter().map(|t| t.value)),
                "runner" => {
                    if value.value.trim().is_empty() {
                        diagnostics.push(bad("a command such as psql \"$DATABASE_URL\""));
                    } else {
                        attrs.runner = Some(value.value.to_string());
                    }
                }
                "mark" => {
                    let value_lower = value.value.trim().to_ascii_lowercase().replace('_', "-");
                    if INCIDENT_MARKS.contains(&value_lower.as_str()) {
                        attrs.mark = Some(value_lower);
                    } else {
                        diagnostics.push(bad(&format!("one of {}", INCIDENT_MARKS.join(", "))));
                    }
                }
                "id"
                | "background"
                | "closeTerminalOnSuccess"
                | "interpreter"
                | "mimeType"
                | "terminalRows"
                | "skipPrompts" => {}
                unknown => {
                    let mut diagnostic = Diagnostic::warning(
                        "unknown-attribute",
                        attribute.key.span,
                        format!("unknown attribute `{unknown}`"),
                    );
                    diagnostic =
                        match did_you_mean(unknown, KNOWN_ATTRIBUTES.iter().map(|(name, _)| *name))
                        {
                            Some(suggestion) => {
                                diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                            }
                            None => diagnostic.with_help(format!(
                                "known attributes: {}",
                                KNOWN_ATTRIBUTES
                                    .iter()
                                    .take(15)
                                    .map(|(name, _)| *name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                    diagnostics.push(diagnostic);
                }
            }
        }
        attrs
    }
}

fn first_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(info: &str) -> (FenceInfo<'_>, StepAttributes, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let fence = parse_fence_info(info, 0, &mut diagnostics);
        let attrs = StepAttributes::from_raw(&fence.attributes, &mut diagnostics);
        (fence, attrs, diagnostics)
    }

    #[test]
    fn key_value_form() {
        let (fence, attrs, diagnostics) = parse(
            "bash {name=restart-api confirm=\"Really restart?\" timeout=1m30s retries=3 needs=a,b}",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(fence.lang.unwrap().value, "bash");
        assert_eq!(attrs.name.unwrap().value, "restart-api");
        assert_eq!(
            attrs.confirm,
            Some(Confirm::Prompt("Really restart?".into()))
        );
        assert_eq!(attrs.timeout, Some(Duration::from_secs(90)));
        assert_eq!(attrs.retries, Some(3));
        let needs: Vec<_> = attrs
            .needs
            .iter()
            .map(|n| (n.value.as_str(), n.span))
            .collect();
        assert_eq!(
            needs,
            vec![("a", Span::new(79, 80)), ("b", Span::new(81, 82))]
        );
    }

    #[test]
    fn runme_json_form() {
        let (_, attrs, diagnostics) =
            parse(r#"sh {"name":"build","interactive":"false","excludeFromRunAll":"true"}"#);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(attrs.name.unwrap().value, "build");
        assert_eq!(attrs.interactive, Some(false));
        assert!(attrs.exclude_from_run_all);
    }

    #[test]
    fn unknown_key_warns_with_suggestion_and_bad_value_errors_at_value() {
        let (_, _, diagnostics) = parse("bash {timeot=5s retries=many}");
        assert_eq!(diagnostics.len(), 2);
        assert_eq!(diagnostics[0].code, "unknown-attribute");
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `timeout`?")
        );
        assert_eq!(diagnostics[0].span, Span::new(6, 12));
        assert!(diagnostics[1].is_error());
        assert_eq!(diagnostics[1].span, Span::new(24, 28));
    }

    #[test]
    fn command_on_the_fence_line() {
        let (fence, _, diagnostics) = parse("bash docker compose up -d");
        assert!(diagnostics.is_empty());
        assert_eq!(fence.command.unwrap().value, "docker compose up -d");
        let (fence, _, _) = parse("kubectl get pods -A");
        assert!(fence.lang.is_none());
        assert_eq!(fence.command.unwrap().value, "kubectl get pods -A");
    }

    #[test]
    fn expect_takes_codes_and_regexes() {
        assert_eq!(parse("bash {expect=0}").1.expect, Some(Expect::ExitCode(0)));
        assert_eq!(
            parse("bash {expect=/\"ok\"/}").1.expect,
            Some(Expect::OutputMatches("\"ok\"".into()))
        );
        assert!(parse("bash {expect=/(/}").2[0].is_error());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("-1"), None);
    }

    #[test]
    fn unclosed_json_attributes_keep_spans_inside_the_info_string() {
        let info = r#"sh {"name":"x"#;
        let (_, _, diagnostics) = parse(info);
        assert!(!diagnostics.is_empty());
        assert!(
            diagnostics.iter().all(|d| d.span.end <= info.len()),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn unclosed_brace_is_an_error_not_a_panic() {
        let (_, attrs, diagnostics) = parse("bash {name=x");
        assert!(diagnostics.iter().any(|d| d.is_error()));
        assert_eq!(attrs.name.unwrap().value, "x");
    }
}
