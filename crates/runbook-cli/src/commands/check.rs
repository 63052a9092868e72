use crate::cli::{CheckArgs, CheckFormat};
use crate::color::stdout_color;
use crate::diagnostic_render::{JsonDiagnostic, render_github, render_human, to_json};
use crate::exit_code;
use crate::loaded_runbook::LoadedRunbook;
use crate::usage_error;
use rayon::prelude::*;
use runbook_lint::{Allowances, LintOptions, LintReport, ShellcheckMode, lint, lint_many};
use runbook_syntax::{Diagnostic, Severity};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One checked file: its runbook (for rendering) and its diagnostics.
struct CheckedFile {
    runbook: LoadedRunbook,
    diagnostics: Vec<Diagnostic>,
}

/// `check --format json` output, version 1.
#[derive(Serialize)]
struct CheckJson {
    version: u32,
    files: Vec<FileJson>,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct FileJson {
    file: String,
    diagnostics: Vec<JsonDiagnostic>,
}

pub fn run(args: &CheckArgs) -> Result<(), ExitCode> {
    let mut files = Vec::new();
    let mut io_errors = Vec::new();
    for path in &args.paths {
        collect_runbooks(path, &mut files, &mut io_errors);
    }
    let options = LintOptions {
        shellcheck: if args.no_shellcheck || args.fast {
            ShellcheckMode::Off
        } else {
            ShellcheckMode::Auto
        },
        shell_syntax: !args.fast,
        ..LintOptions::default()
    };
    // Without checker processes to share between files, each file is linted on the thread that
    // parsed it, so the lints run in parallel too.
    let lint_each = options.shellcheck == ShellcheckMode::Off && !options.shell_syntax;
    let checked: Vec<Result<(CheckedFile, Option<LintReport>), String>> = files
        .par_iter()
        .map(|path| {
            let runbook = LoadedRunbook::load(path)?;
            let diagnostics = runbook.diagnostics();
            let report = lint_each.then(|| lint(&runbook.document, &runbook.graph, &options));
            Ok((
                CheckedFile {
                    runbook,
                    diagnostics,
                },
                report,
            ))
        })
        .collect();
    let mut results = Vec::new();
    let mut reports = Vec::new();
    for result in checked {
        match result {
            Ok((file, report)) => {
                results.push(file);
                reports.extend(report);
            }
            Err(message) => io_errors.push(message),
        }
    }
    if !lint_each {
        let pairs: Vec<(&runbook_syntax::Document, &runbook_graph::StepGraph)> = results
            .iter()
            .map(|file| (&file.runbook.document, &file.runbook.graph))
            .collect();
        reports = lint_many(&pairs, &options);
    }
    let file_notes: Vec<Vec<String>> = results
        .par_iter_mut()
        .zip(reports)
        .map(|(file, report)| {
            let allowances = Allowances::new(&file.runbook.document, &file.runbook.graph);
            file.diagnostics
                .retain(|diagnostic| diagnostic.is_error() || !allowances.allows(diagnostic));
            file.diagnostics.extend(report.diagnostics);
            file.diagnostics
                .sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
            report.notes
        })
        .collect();
    let mut notes: Vec<String> = Vec::new();
    for note in file_notes.into_iter().flatten() {
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    for note in &notes {
        eprintln!("note: {note}");
    }
    let deny_warnings = args.deny.is_some();
    let errors: usize = results
        .iter()
        .map(|file| file.diagnostics.iter().filter(|d| d.is_error()).count())
        .sum();
    let warnings: usize = results
        .iter()
        .map(|file| {
            file.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count()
        })
        .sum();
    match args.format {
        CheckFormat::Human => {
            let color = stdout_color();
            for file in &results {
                for diagnostic in &file.diagnostics {
                    println!(
                        "{}\n",
                        render_human(&file.runbook.document.source, diagnostic, color)
                    );
                }
            }
            let summary = format!(
                "checked {} file{}: {errors} error{}, {warnings} warning{}",
                results.len(),
                plural(results.len()),
                plural(errors),
                plural(warnings)
            );
            println!("{summary}");
        }
        CheckFormat::Json => {
            let json = CheckJson {
                version: 1,
                files: results
                    .iter()
                    .map(|file| FileJson {
                        file: file.runbook.path.display().to_string(),
                        diagnostics: file
                            .diagnostics
                            .iter()
                            .map(|d| to_json(&file.runbook.document.source, d))
                            .collect(),
                    })
                    .collect(),
                errors,
                warnings,
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&json)
                    .map_err(|error| usage_error(&error.to_string()))?
            );
        }
        CheckFormat::Github => {
            for file in &results {
                for diagnostic in &file.diagnostics {
                    println!(
                        "{}",
                        render_github(&file.runbook.document.source, diagnostic)
                    );
                }
            }
        }
    }
    // Freeing a thousand parsed runbooks one allocation at a time took an eighth of the
    // command's time; the process ends right after and hands the memory back at once.
    std::mem::forget(results);
    if !io_errors.is_empty() {
        for message in &io_errors {
            usage_error(message);
        }
        return Err(exit_code::code(exit_code::USAGE));
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        return Err(exit_code::code(exit_code::FAILURE));
    }
    Ok(())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Files are taken as given; directories are searched for `*.md`, skipping
/// hidden directories, `target` and `node_modules`.
fn collect_runbooks(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) => {
            errors.push(format!("cannot read `{}`: {error}", path.display()));
            return;
        }
    };
    if !metadata.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let mut stack = vec![path.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                errors.push(format!(
                    "cannot read directory `{}`: {error}",
                    dir.display()
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let entry_path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if is_dir {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    stack.push(entry_path);
                }
            } else if entry_path.extension().is_some_and(|ext| {
                ext.eq_ignore_ascii_case("md") || ext.eq_ignore_ascii_case("markdown")
            }) {
                found.push(entry_path);
            }
        }
    }
    found.sort();
    files.extend(found);
}
