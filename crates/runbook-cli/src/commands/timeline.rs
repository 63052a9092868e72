//! `runbook timeline`: a run's events in the order they happened (UTC), or
//! the raw JSON Lines with `--json`.

use crate::cli::TimelineArgs;
use crate::commands::runs;
use runbook_timeline::{Event, ExportModel, RunDir, RunMeta, TimelineRow, parse_timeline};
use std::io::Read;
use std::process::ExitCode;

pub fn run(args: &TimelineArgs) -> Result<(), ExitCode> {
    let state_dir = runs::state_dir(&args.state);
    let run = runs::find(&state_dir, args.run.as_deref())?;
    if args.json {
        return print_raw_lines(&run);
    }
    let events = runs::read_events(&run)?;
    let model = ExportModel::from_events(
        &events,
        &RunMeta {
            run_id: run.id().to_string(),
        },
    );
    let mut out = format!(
        "run {} · {} · {}\n",
        run.id(),
        model.header.title,
        model.header.status
    );
    if model.timeline.is_empty() {
        out.push_str("(no events recorded)\n");
    }
    out.push_str(&pretty_rows(&model.timeline));
    runs::print_stdout(&out)
}

/// Time, actor and step in aligned columns, then the description; a description's further
/// lines (multi-line commands) are indented under its first.
fn pretty_rows(rows: &[TimelineRow]) -> String {
    let actor_width = rows
        .iter()
        .map(|row| row.actor.chars().count())
        .max()
        .unwrap_or(0);
    let step_width = rows
        .iter()
        .map(|row| row.step.as_deref().map_or(1, |step| step.chars().count()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for row in rows {
        let step = row.step.as_deref().unwrap_or("-");
        let prefix = format!(
            "{}  {:actor_width$}  {:step_width$}  ",
            row.time, row.actor, step
        );
        let indent = " ".repeat(prefix.chars().count());
        let mut description = row.description.trim_end().to_string();
        if row.superseded {
            description.push_str(" (corrected later)");
        }
        if description.is_empty() {
            description.push('-');
        }
        for (index, line) in description.lines().enumerate() {
            let lead = if index == 0 { &prefix } else { &indent };
            out.push_str(format!("{lead}{line}").trim_end());
            out.push('\n');
        }
    }
    out
}

/// The lines of the file that are events, byte for byte; problems go to stderr as warnings.
fn print_raw_lines(run: &RunDir) -> Result<(), ExitCode> {
    let path = run.timeline_path();
    let bytes = read_regular_file(&path).map_err(|error| {
        runs::failure(&format!(
            "cannot read the timeline of run {} ({}): {error}",
            run.id(),
            path.display()
        ))
    })?;
    let (_, warnings) = parse_timeline(&bytes);
    for warning in warnings {
        eprintln!("warning: {}: {warning}", path.display());
    }
    let mut out = String::with_capacity(bytes.len());
    for line in bytes.split(|&byte| byte == b'\n') {
        if serde_json::from_slice::<Event>(line).is_ok()
            && let Ok(text) = std::str::from_utf8(line)
        {
            out.push_str(text);
            out.push('\n');
        }
    }
    runs::print_stdout(&out)
}

/// Like `read_timeline`, a device or pipe in place of the file is refused rather than read
/// forever.
fn read_regular_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a device, pipe or directory)",
        ));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
