//! `.env` files: `KEY=VALUE`, optional `export`, `#` comments, single quotes
//! (literal) and double quotes (with `\n`, `\"`, `\\` escapes).

use std::path::Path;

pub fn parse_env_file(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read env file `{}`: {error}", path.display()))?;
    parse_env_text(&text).map_err(|(line, message)| format!("{}:{line}: {message}", path.display()))
}

pub fn parse_env_text(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err((line_number, format!("expected NAME=VALUE, found `{line}`")));
        };
        let name = name.trim();
        if !runbook_syntax::shell_scan::is_identifier(name) {
            return Err((
                line_number,
                format!("`{name}` is not a valid variable name"),
            ));
        }
        let value = value.trim_start();
        let value = if let Some(rest) = value.strip_prefix('\'') {
            rest.strip_suffix('\'')
                .ok_or((line_number, "unclosed single quote".to_string()))?
                .to_string()
        } else if let Some(rest) = value.strip_prefix('"') {
            let inner = rest
                .strip_suffix('"')
                .ok_or((line_number, "unclosed double quote".to_string()))?;
            let mut unescaped = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => unescaped.push('\n'),
                        Some('t') => unescaped.push('\t'),
                        Some(other) => unescaped.push(other),
                        None => unescaped.push('\\'),
                    }
                } else {
                    unescaped.push(c);
                }
            }
            unescaped
        } else {
            // Unquoted: a ` #` starts a comment.
            value
                .split(" #")
                .next()
                .unwrap_or(value)
                .trim_end()
                .to_string()
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}

/// `NAME=VALUE` from `--var`.
pub fn parse_var_flag(flag: &str) -> Result<(String, String), String> {
    let (name, value) = flag
        .split_once('=')
        .ok_or_else(|| format!("--var expects NAME=VALUE, got `{flag}`"))?;
    if !runbook_syntax::shell_scan::is_identifier(name) {
        return Err(format!(
            "--var: `{name}` is not a valid variable name (letters, digits and _)"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let parsed =
            parse_env_text("# c\nA=1\nexport B='two words'\nC=\"x\\ny\"\nD=plain # comment\n\n")
                .unwrap();
        assert_eq!(
            parsed,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x\ny".into()),
                ("D".into(), "plain".into())
            ]
        );
    }

    #[test]
    fn reports_the_bad_line() {
        assert_eq!(parse_env_text("A=1\nnope\n").unwrap_err().0, 2);
        assert!(parse_var_flag("1X=2").is_err());
        assert_eq!(parse_var_flag("X=a=b").unwrap(), ("X".into(), "a=b".into()));
    }
}
