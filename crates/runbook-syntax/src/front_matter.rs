//! Front matter: TOML between `+++` lines is ours; YAML between `---` lines
//! is tolerated and read for its title, because many public runbooks have it.

use crate::diagnostic::did_you_mean;
use crate::shell_scan::is_identifier;
use crate::{Diagnostic, Span};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FrontMatterFormat {
    Toml,
    Yaml,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FrontMatter {
    pub format: Option<FrontMatterFormat>,
    pub span: Option<Span>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// The shell steps run with (default `bash`).
    pub shell: Option<String>,
    pub vars: Vec<VarSpec>,
    /// Lint ids allowed in the whole file.
    pub allow: Vec<String>,
}

/// A declared variable: `[vars.NAME]` in the TOML front matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VarSpec {
    pub name: String,
    pub span: Span,
    pub prompt: Option<String>,
    pub default: Option<String>,
    pub secret: bool,
    pub choices: Vec<String>,
    pub pattern: Option<String>,
}

impl FrontMatter {
    pub fn var(&self, name: &str) -> Option<&VarSpec> {
        self.vars.iter().find(|var| var.name == name)
    }

    /// Names of the declared variables that have a default: set before any step runs.
    pub fn defaulted_var_names(&self) -> impl Iterator<Item = &str> {
        self.vars
            .iter()
            .filter(|var| var.default.is_some())
            .map(|var| var.name.as_str())
    }
}

const TOP_LEVEL_KEYS: &[&str] = &["title", "description", "owner", "shell", "vars", "allow"];
const VAR_KEYS: &[&str] = &["prompt", "default", "secret", "choices", "pattern"];

/// Parses TOML front matter `body` that starts at source offset `offset`.
pub fn parse_toml(
    body: &str,
    offset: usize,
    block_span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> FrontMatter {
    let mut front = FrontMatter {
        format: Some(FrontMatterFormat::Toml),
        span: Some(block_span),
        ..FrontMatter::default()
    };
    let table: toml::Table = match body.parse() {
        Ok(table) => table,
        Err(error) => {
            let span = error
                .span()
                .map(|range| Span::new(offset + range.start, offset + range.end))
                .unwrap_or(block_span);
            diagnostics.push(
                Diagnostic::error(
                    "front-matter",
                    span,
                    format!("invalid TOML front matter: {}", error.message()),
                )
                .with_help(
                    "front matter between `+++` lines is TOML, e.g. title = \"Restart the API\"",
                ),
            );
            return front;
        }
    };
    let key_span = |key: &str| {
        find_key(body, key)
            .map(|start| Span::new(offset + start, offset + start + key.len()))
            .unwrap_or(block_span)
    };
    for (key, value) in &table {
        let wrong_type = |expected: &str| {
            Diagnostic::error(
                "front-matter",
                key_span(key),
                format!("`{key}` must be {expected}"),
            )
        };
        match key.as_str() {
            "title" | "description" | "owner" | "shell" => match value.as_str() {
                Some(text) => {
                    let text = Some(text.to_string());
                    match key.as_str() {
                        "title" => front.title = text,
                        "description" => front.description = text,
                        "owner" => front.owner = text,
                        _ => front.shell = text,
                    }
                }
                None => diagnostics.push(wrong_type("a string")),
            },
            "allow" => match value.as_array() {
                Some(items) => front.allow.extend(
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_string)),
                ),
                None => diagnostics.push(wrong_type(
                    "a list of lint ids, e.g. allow = [\"endless-without-timeout\"]",
                )),
            },
            "vars" => match value.as_table() {
                Some(vars) => {
                    for (name, spec) in vars {
                        if let Some(var) =
                            parse_var(name, spec, body, offset, block_span, diagnostics)
                        {
                            front.vars.push(var);
                        }
                    }
                }
                None => diagnostics.push(wrong_type("a table of variables, e.g. [vars.NAMESPACE]")),
            },
            unknown => {
                let mut diagnostic = Diagnostic::warning(
                    "unknown-front-matter-key",
                    key_span(unknown),
                    format!("unknown front matter key `{unknown}`"),
                );
                if let Some(suggestion) = did_you_mean(unknown, TOP_LEVEL_KEYS.iter().copied()) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                } else {
                    diagnostic =
                        diagnostic.with_help(format!("known keys: {}", TOP_LEVEL_KEYS.join(", ")));
                }
                diagnostics.push(diagnostic);
            }
        }
    }
    front
}

fn parse_var(
    name: &str,
    spec: &toml::Value,
    body: &str,
    offset: usize,
    block_span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<VarSpec> {
    let span = find_var(body, name)
        .map(|start| Span::new(offset + start, offset + start + name.len()))
        .unwrap_or(block_span);
    if !is_identifier(name) {
        diagnostics.push(
            Diagnostic::error(
                "front-matter",
                span,
                format!("variable name `{name}` is not a valid shell variable name"),
            )
            .with_help("use letters, digits and `_`, starting with a letter, e.g. TENANT_ID"),
        );
        return None;
    }
    let mut var = VarSpec {
        name: name.to_string(),
        span,
        ..VarSpec::default()
    };
    let table = match spec {
        toml::Value::Table(table) => table,
        // `[vars] NAME = "default"` is shorthand for a default value.
        scalar => {
            var.default = Some(scalar_to_string(scalar));
            return Some(var);
        }
    };
    for (key, value) in table {
        let bad = |expected: &str| {
            Diagnostic::error(
                "front-matter",
                span,
                format!("`vars.{name}.{key}` must be {expected}"),
            )
        };
        match key.as_str() {
            "prompt" => match value.as_str() {
                Some(text) => var.prompt = Some(text.to_string()),
                None => diagnostics.push(bad("a string")),
            },
            "default" => var.default = Some(scalar_to_string(value)),
            "secret" => match value.as_bool() {
                Some(flag) => var.secret = flag,
                None => diagnostics.push(bad("true or false")),
            },
            "choices" => match value.as_array() {
                Some(items) => var.choices = items.iter().map(scalar_to_string).collect(),
                None => diagnostics.push(bad("a list")),
            },
            "pattern" => match value.as_str() {
                Some(pattern) => match regex::Regex::new(pattern) {
                    Ok(_) => var.pattern = Some(pattern.to_string()),
                    Err(error) => diagnostics.push(bad(&format!(
                        "a valid regex ({})",
                        error.to_string().lines().last().unwrap_or("").trim()
                    ))),
                },
                None => diagnostics.push(bad("a regex string")),
            },
            unknown => {
                let mut diagnostic = Diagnostic::warning(
                    "unknown-front-matter-key",
                    span,
                    format!("unknown key `{unknown}` in `vars.{name}`"),
                );
                if let Some(suggestion) = did_you_mean(unknown, VAR_KEYS.iter().copied()) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                }
                diagnostics.push(diagnostic);
            }
        }
    }
    if let (Some(default), false) = (&var.default, var.choices.is_empty())
        && !var.choices.contains(default)
    {
        diagnostics.push(Diagnostic::error(
            "front-matter",
            span,
            format!("default `{default}` of `{name}` is not one of its choices"),
        ));
    }
    Some(var)
}

fn scalar_to_string(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn find_key(body: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix(key)
            && (rest.trim_start().starts_with('=')
                || rest.starts_with('.')
                || rest.starts_with(']'))
        {
            return Some(offset + indent);
        }
        if let Some(rest) = trimmed.strip_prefix('[')
            && rest.starts_with(key)
        {
            return Some(offset + indent + 1);
        }
        offset += line.len();
    }
    None
}

fn find_var(body: &str, name: &str) -> Option<usize> {
    for pattern in [
        format!("[vars.{name}]"),
        format!("vars.{name}"),
        format!("{name} ="),
    ] {
        if let Some(index) = body.find(&pattern) {
            return Some(index + pattern.find(name).unwrap_or(0));
        }
    }
    None
}

/// YAML front matter: only `title:` is read.
pub fn parse_yaml(body: &str, block_span: Span) -> FrontMatter {
    let title = body.lines().find_map(|line| {
        let rest = line.strip_prefix("title:")?;
        let value = rest.trim().trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then(|| value.to_string())
    });
    FrontMatter {
        format: Some(FrontMatterFormat::Yaml),
        span: Some(block_span),
        title,
        ..FrontMatter::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vars_with_spans() {
        let body = "title = \"T\"\n[vars.NAMESPACE]\nprompt = \"Namespace?\"\ndefault = \"prod\"\nchoices = [\"prod\", \"staging\"]\n[vars.API_TOKEN]\nsecret = true\n";
        let mut diagnostics = Vec::new();
        let front = parse_toml(body, 4, Span::new(0, 200), &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(front.title.as_deref(), Some("T"));
        let namespace = front.var("NAMESPACE").unwrap();
        assert_eq!(namespace.default.as_deref(), Some("prod"));
        assert_eq!(namespace.span, Span::new(4 + 18, 4 + 27));
        assert!(front.var("API_TOKEN").unwrap().secret);
    }

    #[test]
    fn toml_errors_point_into_the_file() {
        let mut diagnostics = Vec::new();
        parse_toml("title = \n", 4, Span::new(0, 20), &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].span.start >= 4);
    }

    #[test]
    fn unknown_keys_and_bad_values() {
        let mut diagnostics = Vec::new();
        parse_toml(
            "titel = \"x\"\n[vars.X]\nsecret = \"yes\"\npattern = \"(\"\n",
            0,
            Span::new(0, 50),
            &mut diagnostics,
        );
        let codes: Vec<_> = diagnostics.iter().map(|d| (d.code, d.is_error())).collect();
        assert_eq!(
            codes,
            vec![
                ("unknown-front-matter-key", false),
                ("front-matter", true),
                ("front-matter", true)
            ]
        );
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `title`?")
        );
    }

    #[test]
    fn yaml_title() {
        assert_eq!(
            parse_yaml("title: \"Disk full\"\nowner: x\n", Span::new(0, 1))
                .title
                .as_deref(),
            Some("Disk full")
        );
    }
}
