use crate::cli::{GraphArgs, GraphFormat};
use crate::loaded_runbook::LoadedRunbook;
use crate::usage_error;
use std::process::ExitCode;

pub fn run(args: &GraphArgs) -> Result<(), ExitCode> {
    let runbook = LoadedRunbook::load(&args.file).map_err(|message| usage_error(&message))?;
    let text = match args.format {
        GraphFormat::Mermaid => runbook.graph.to_mermaid(),
        GraphFormat::Dot => runbook.graph.to_dot(),
    };
    print!("{text}");
    Ok(())
}
