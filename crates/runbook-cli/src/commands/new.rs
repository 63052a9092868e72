//! `runbook new`: writes a runbook from a template in `templates/new/`.

use crate::cli::{NewArgs, TemplateKind};
use crate::usage_error;
use std::path::PathBuf;
use std::process::ExitCode;

const INCIDENT: &str = include_str!("../../../../templates/new/incident.md.hbs");
const MAINTENANCE: &str = include_str!("../../../../templates/new/maintenance.md.hbs");
const BLANK: &str = include_str!("../../../../templates/new/blank.md.hbs");

pub fn run(args: &NewArgs) -> Result<(), ExitCode> {
    let (path, text) = render(args).map_err(|message| usage_error(&message))?;
    if path.exists() && !args.force {
        return Err(usage_error(&format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| {
            usage_error(&format!("cannot create {}: {error}", parent.display()))
        })?;
    }
    std::fs::write(&path, text)
        .map_err(|error| usage_error(&format!("cannot write {}: {error}", path.display())))?;
    println!("wrote {}", path.display());
    println!(
        "next: fill in the commands, then `runbook check {}` and `runbook run {} --dry-run`",
        path.display(),
        path.display()
    );
    Ok(())
}

/// The file to write and its content.
pub fn render(args: &NewArgs) -> Result<(PathBuf, String), String> {
    let stem = args.name.strip_suffix(".md").unwrap_or(&args.name);
    if stem.is_empty()
        || !stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "`{}` is not a good file name: use letters, digits, `-`, `_` or `.`",
            args.name
        ));
    }
    let title = args.title.clone().unwrap_or_else(|| title_from_name(stem));
    let owner = args
        .owner
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "on-call".to_string());
    // Values land in TOML strings and Markdown text as written, so keep them plain.
    for (what, value) in [("title", &title), ("owner", &owner)] {
        if value.trim().is_empty()
            || value
                .chars()
                .any(|c| c == '"' || c == '\\' || c.is_control())
        {
            return Err(format!(
                "--{what} must be non-empty and have no quotes, backslashes or control characters"
            ));
        }
    }
    let template = match args.template {
        TemplateKind::Incident => INCIDENT,
        TemplateKind::Maintenance => MAINTENANCE,
        TemplateKind::Blank => BLANK,
    };
    let mut registry = handlebars::Handlebars::new();
    registry.register_escape_fn(handlebars::no_escape);
    registry.set_strict_mode(true);
    let date = jiff::Zoned::now().date().to_string();
    let text = registry
        .render_template(
            template,
            &serde_json::json!({ "title": title, "name": stem, "date": date, "owner": owner }),
        )
        .map_err(|error| format!("cannot render the template: {error}"))?;
    Ok((args.dir.join(format!("{stem}.md")), text))
}

fn title_from_name(stem: &str) -> String {
    let words: Vec<String> = stem
        .split(['-', '_', '.'])
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect();
    words.join(" ")
}
