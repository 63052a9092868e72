//! `runbook export`: a run as a Markdown postmortem draft, the JSON export
//! model, or a self-contained HTML page.

use crate::cli::{ExportArgs, ExportFormat};
use crate::commands::runs;
use crate::usage_error;
use runbook_timeline::{ExportModel, RunMeta, render_html, render_json, render_markdown};
use std::process::ExitCode;

pub fn run(args: &ExportArgs) -> Result<(), ExitCode> {
    if args.template.is_some() && args.format != ExportFormat::Markdown {
        return Err(usage_error(
            "--template only applies to --format markdown (json and html have fixed layouts)",
        ));
    }
    // Read before touching any run, so a bad template costs nothing.
    let template = match &args.template {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|error| {
            usage_error(&format!(
                "cannot read template `{}`: {error}",
                path.display()
            ))
        })?),
        None => None,
    };
    let state_dir = runs::state_dir(&args.state);
    let run = runs::find(&state_dir, args.run.as_deref())?;
    let events = runs::read_events(&run)?;
    if events.is_empty() {
        eprintln!(
            "warning: run {} has no events; the export is empty",
            run.id()
        );
    }
    let model = ExportModel::from_events(
        &events,
        &RunMeta {
            run_id: run.id().to_string(),
        },
    );
    let rendered = match args.format {
        ExportFormat::Markdown => render_markdown(&model, template.as_deref()),
        ExportFormat::Json => render_json(&model).map(|json| json + "\n"),
        ExportFormat::Html => render_html(&model),
    };
    let text = rendered.map_err(|error| match args.format {
        // A template problem is the user's to fix.
        ExportFormat::Markdown if args.template.is_some() => usage_error(&error.to_string()),
        _ => runs::failure(&error.to_string()),
    })?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, text.as_bytes()).map_err(|error| {
                runs::failure(&format!("cannot write {}: {error}", path.display()))
            })?;
            eprintln!(
                "wrote the {} export of run {} to {}",
                format_name(args.format),
                run.id(),
                path.display()
            );
            Ok(())
        }
        None => runs::print_stdout(&text),
    }
}

fn format_name(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Markdown => "markdown",
        ExportFormat::Json => "json",
        ExportFormat::Html => "html",
    }
}
