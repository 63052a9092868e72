//! Runs the fake Muninn Cloud API until SIGTERM/SIGINT/SIGHUP (or stdin EOF).
//!
//! The first stdout line is `listening on http://127.0.0.1:PORT`.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;

use clap::Parser;
use nix::sys::signal::{SigSet, Signal};
use runbook_sandbox::{FakeApi, FakeApiConfig, Health};

/// Fake Muninn Cloud API for runbook end-to-end tests.
#[derive(Debug, Parser)]
#[command(name = "sandbox-api", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Append one JSON object per request to this file.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Exit when standard input reaches end of file (ties the server to its parent).
    #[arg(long)]
    exit_on_stdin_eof: bool,
    /// Start degraded instead of healthy.
    #[arg(long)]
    degraded: bool,
    /// Accept only this bearer token on authenticated endpoints.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SANDBOX_API_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Value returned for tenants' db_url (default: this server's own URL).
    #[arg(long, value_name = "URL")]
    tenant_db_url: Option<String>,
}

enum Stop {
    Signal(Signal),
    StdinClosed,
}

fn main() -> ExitCode {
    let args = Args::parse();

    // Block the stop signals before any thread exists so every thread inherits
    // the mask and only the waiter below receives them.
    let mut stop_signals = SigSet::empty();
    for signal in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        stop_signals.add(signal);
    }
    if let Err(error) = stop_signals.thread_block() {
        eprintln!("sandbox-api: cannot block stop signals: {error}");
        return ExitCode::FAILURE;
    }

    let config = FakeApiConfig {
        port: args.port,
        health: if args.degraded {
            Health::Degraded
        } else {
            Health::Ok
        },
        bearer_token: args.token,
        log_path: args.log,
        tenant_db_url: args.tenant_db_url,
    };
    let api = match FakeApi::try_start(config) {
        Ok(api) => api,
        Err(error) => {
            eprintln!("sandbox-api: {error}");
            return ExitCode::FAILURE;
        }
    };

    let mut stdout = io::stdout().lock();
    if writeln!(stdout, "listening on {}", api.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("sandbox-api: cannot write the listening line to stdout");
        return ExitCode::FAILURE;
    }
    drop(stdout);

    let (stop_sender, stop_receiver) = mpsc::channel();
    let signal_sender = stop_sender.clone();
    let spawned = thread::Builder::new()
        .name("signal-wait".into())
        .spawn(move || {
            if let Ok(signal) = stop_signals.wait() {
                let _ = signal_sender.send(Stop::Signal(signal));
            }
        });
    if let Err(error) = spawned {
        eprintln!("sandbox-api: cannot start the signal thread: {error}");
        return ExitCode::FAILURE;
    }
    if args.exit_on_stdin_eof {
        let spawned = thread::Builder::new()
            .name("stdin-watch".into())
            .spawn(move || {
                let mut sink = [0_u8; 4096];
                let mut stdin = io::stdin().lock();
                loop {
                    match stdin.read(&mut sink) {
                        Ok(0) => break,
                        Ok(_) => continue,
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
                let _ = stop_sender.send(Stop::StdinClosed);
            });
        if let Err(error) = spawned {
            eprintln!("sandbox-api: cannot start the stdin thread: {error}");
            return ExitCode::FAILURE;
        }
    }

    let reason = stop_receiver.recv();
    drop(api);
    match reason {
        Ok(Stop::Signal(signal)) => eprintln!("sandbox-api: stopping on {signal}"),
        Ok(Stop::StdinClosed) => eprintln!("sandbox-api: stopping, stdin closed"),
        Err(_) => eprintln!("sandbox-api: stopping"),
    }
    ExitCode::SUCCESS
}
