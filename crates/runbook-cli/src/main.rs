//! The `runbook` binary: wires the libraries to the terminal.

mod cli;
mod color;
mod commands;
mod diagnostic_render;
mod env_file;
mod event_renderer;
mod exit_code;
mod loaded_runbook;
mod terminal_prompter;
mod time_input;
mod timeline_recorder;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => exit_code::code(exit_code::SUCCESS),
        Err(code) => code,
    }
}

fn run() -> Result<(), ExitCode> {
    color::configure();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return Err(exit_code::code(if error.use_stderr() { exit_code::USAGE } else { exit_code::SUCCESS }));
        }
    };
    match cli.command {
        cli::Command::Run(args) => commands::run::run(&args),
        cli::Command::List(args) => commands::list::run(&args),
        cli::Command::Check(args) => commands::check::run(&args),
        cli::Command::Graph(args) => commands::graph::run(&args),
    }
}

/// Prints an error the way every command does and returns the usage exit code.
pub fn usage_error(message: &str) -> ExitCode {
    let prefix = if color::stderr_color() { console::style("error:").red().bold().to_string() } else { "error:".to_string() };
    eprintln!("{prefix} {message}");
    exit_code::code(exit_code::USAGE)
}
