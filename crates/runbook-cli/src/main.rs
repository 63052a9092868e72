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
            return Err(exit_code::code(if error.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::SUCCESS
            }));
        }
    };
    if !matches!(cli.command, cli::Command::Run(_) | cli::Command::Resume(_)) {
        // `runbook list … | head` should end quietly like any Unix tool. A run keeps
        // SIGPIPE ignored: losing its stdout must not kill it before the timeline is written.
        restore_default_sigpipe();
    }
    match cli.command {
        cli::Command::Run(args) => commands::run::run(&args),
        cli::Command::List(args) => commands::list::run(&args),
        cli::Command::Check(args) => commands::check::run(&args),
        cli::Command::Graph(args) => commands::graph::run(&args),
        cli::Command::Resume(args) => commands::resume::run(&args),
        cli::Command::Note(args) => commands::note::run(&args),
        cli::Command::Mark(args) => commands::mark::run(&args),
        cli::Command::Severity(args) => commands::mark::severity(&args),
        cli::Command::Runs(args) => commands::runs::run(&args),
        cli::Command::Timeline(args) => commands::timeline::run(&args),
        cli::Command::Export(args) => commands::export::run(&args),
        cli::Command::New(args) => commands::new::run(&args),
        cli::Command::Completions(args) => commands::completions::run(&args),
        cli::Command::Complete(args) => commands::completions::complete(&args),
        cli::Command::Man(args) => commands::completions::man(&args),
    }
}

/// Prints an error the way every command does and returns the usage exit code.
pub fn usage_error(message: &str) -> ExitCode {
    let prefix = if color::stderr_color() {
        console::style("error:").red().bold().to_string()
    } else {
        "error:".to_string()
    };
    eprintln!("{prefix} {message}");
    exit_code::code(exit_code::USAGE)
}

#[allow(unsafe_code)]
fn restore_default_sigpipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: called once at start-up before any other thread exists; SIG_DFL
    // installs no Rust code as a handler.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}
