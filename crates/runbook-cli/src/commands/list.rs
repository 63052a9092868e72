use crate::cli::ListArgs;
use crate::color::stdout_color;
use crate::loaded_runbook::LoadedRunbook;
use crate::usage_error;
use console::Style;
use runbook_graph::{Input, InputKind, RiskReason, Step};
use serde::Serialize;
use std::borrow::Cow;
use std::process::ExitCode;

/// `list --json` output. Stable: fields are only ever added. Version 1.
#[derive(Serialize)]
pub struct ListJson<'a> {
    pub version: u32,
    pub file: String,
    pub title: String,
    pub steps: Vec<StepJson<'a>>,
}

#[derive(Serialize)]
pub struct StepJson<'a> {
    /// 1-based position in execution order.
    pub number: usize,
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub heading_path: &'a [String],
    pub kind: &'static str,
    pub title: Cow<'a, str>,
    pub flags: FlagsJson<'a>,
    pub inputs: Vec<InputJson<'a>>,
    pub needs: Vec<&'a str>,
    pub line: usize,
    pub column: usize,
    pub reason: &'a str,
}

#[derive(Serialize)]
pub struct FlagsJson<'a> {
    pub destructive: Vec<&'a str>,
    pub endless: Vec<&'a str>,
    pub interactive: Vec<&'a str>,
    pub secret_inputs: bool,
}

#[derive(Serialize)]
pub struct InputJson<'a> {
    pub name: &'a str,
    pub kind: InputKind,
    pub secret: bool,
    pub optional: bool,
    pub declared: bool,
}

fn reasons(list: &[RiskReason]) -> Vec<&str> {
    list.iter().map(|reason| reason.what.as_str()).collect()
}

pub fn run(args: &ListArgs) -> Result<(), ExitCode> {
    let runbook = LoadedRunbook::load(&args.file).map_err(|message| usage_error(&message))?;
    if args.json {
        let json = to_json(&runbook);
        println!(
            "{}",
            serde_json::to_string_pretty(&json).map_err(|error| usage_error(&error.to_string()))?
        );
        return Ok(());
    }
    print_human(&runbook, args.explain);
    Ok(())
}

pub fn to_json(runbook: &LoadedRunbook) -> ListJson<'_> {
    let graph = &runbook.graph;
    let steps = graph
        .order
        .iter()
        .enumerate()
        .map(|(position, &index)| {
            let step = &graph.steps[index];
            let location = runbook.document.source.location(step.span.start);
            StepJson {
                number: position + 1,
                id: &step.id,
                name: step.name().map(|name| name.value.as_str()),
                heading_path: step.heading_path(),
                kind: step.kind.as_str(),
                title: step.title(),
                flags: FlagsJson {
                    destructive: reasons(&step.risk().destructive),
                    endless: reasons(&step.risk().endless),
                    interactive: reasons(&step.risk().interactive),
                    secret_inputs: step.inputs().iter().any(|input| input.secret),
                },
                inputs: step.inputs().iter().map(input_json).collect(),
                needs: graph.needs[index]
                    .iter()
                    .map(|&need| graph.steps[need].id.as_str())
                    .collect(),
                line: location.line,
                column: location.column,
                reason: step.reason(),
            }
        })
        .collect();
    ListJson {
        version: 1,
        file: runbook.path.display().to_string(),
        title: runbook.title(),
        steps,
    }
}

fn input_json(input: &Input) -> InputJson<'_> {
    InputJson {
        name: &input.name,
        kind: input.kind,
        secret: input.secret,
        optional: input.optional,
        declared: input.declared,
    }
}

fn print_human(runbook: &LoadedRunbook, explain: bool) {
    let color = stdout_color();
    let style = |style: Style| if color { style } else { Style::new() };
    let dim = style(Style::new().dim());
    let bold = style(Style::new().bold());
    let red = style(Style::new().red());
    let yellow = style(Style::new().yellow());
    let cyan = style(Style::new().cyan());
    let graph = &runbook.graph;
    println!(
        "{} — {} steps",
        bold.apply_to(runbook.title()),
        graph.steps.len()
    );
    let width = graph.order.len().to_string().len();
    let mut last_heading = String::new();
    for (position, &index) in graph.order.iter().enumerate() {
        let step: &Step = &graph.steps[index];
        let heading = step.heading_display();
        if heading != last_heading {
            println!(
                "\n{}",
                cyan.apply_to(if heading.is_empty() {
                    "(top)"
                } else {
                    &heading
                })
            );
            last_heading = heading;
        }
        let mut flags = Vec::new();
        if step.is_destructive() {
            flags.push(
                red.apply_to(format!(
                    "destructive({})",
                    reasons(&step.risk().destructive).join(", ")
                ))
                .to_string(),
            );
        }
        if step.is_endless() {
            flags.push(
                yellow
                    .apply_to(format!(
                        "endless({})",
                        reasons(&step.risk().endless).join(", ")
                    ))
                    .to_string(),
            );
        }
        if !step.risk().interactive.is_empty() {
            flags.push(
                yellow
                    .apply_to(format!(
                        "interactive({})",
                        reasons(&step.risk().interactive).join(", ")
                    ))
                    .to_string(),
            );
        }
        if step.inputs().iter().any(|input| input.secret) {
            flags.push(red.apply_to("secret-inputs").to_string());
        }
        let inputs: Vec<String> = step
            .inputs()
            .iter()
            .map(|input| {
                let mut name = match input.kind {
                    InputKind::Positional => format!("${}", input.name),
                    InputKind::Placeholder => {
                        input.literal.clone().unwrap_or_else(|| input.name.clone())
                    }
                    _ => input.name.clone(),
                };
                if input.secret {
                    name.push('*');
                }
                if input.optional {
                    name.push('?');
                }
                name
            })
            .collect();
        println!(
            "  {:>width$}. {:<28} {:<8} {}{}{} {}",
            position + 1,
            step.id,
            step.kind.as_str(),
            step.title(),
            if flags.is_empty() {
                String::new()
            } else {
                format!("  [{}]", flags.join(" "))
            },
            if inputs.is_empty() {
                String::new()
            } else {
                format!("  inputs: {}", inputs.join(", "))
            },
            dim.apply_to(format!("line {}", step.line)),
        );
        if explain {
            println!(
                "  {:>width$}  {}",
                "",
                dim.apply_to(format!("↳ {}", step.reason()))
            );
        }
    }
    let diagnostics = runbook.diagnostics();
    if !diagnostics.is_empty() {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "\n{} error(s), {} warning(s): run `runbook check {}` for details",
            errors,
            diagnostics.len() - errors,
            runbook.path.display()
        );
    }
}
