//! A checker process that can never hang the lint: stdin is closed, output
//! is captured, and it is killed when its deadline passes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct BoundedProcess {
    handle: duct::Handle,
    deadline: Instant,
}

/// How a checker process ended.
#[derive(Debug)]
pub enum ProcessEnd {
    Exited {
        code: Option<i32>,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
    TimedOut,
    /// Waiting failed: the operating system's message.
    Failed(String),
}

pub struct ProcessSpec<'a> {
    pub program: &'a Path,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    /// Environment overrides, e.g. a locale so messages are parseable.
    pub env: &'a [(&'a str, &'a str)],
    pub capture_stdout: bool,
    pub timeout: Duration,
}

impl BoundedProcess {
    pub fn start(spec: ProcessSpec<'_>) -> Result<BoundedProcess, String> {
        let mut expression = duct::cmd(spec.program, spec.args)
            .stdin_null()
            .stderr_capture()
            .unchecked();
        expression = if spec.capture_stdout {
            expression.stdout_capture()
        } else {
            expression.stdout_null()
        };
        for (key, value) in spec.env {
            expression = expression.env(key, value);
        }
        if let Some(cwd) = spec.cwd {
            expression = expression.dir(cwd);
        }
        // Its own process group, so a timeout also kills anything it started
        // (which would otherwise keep the output pipes open).
        #[cfg(unix)]
        {
            expression = expression.before_spawn(|command| {
                std::os::unix::process::CommandExt::process_group(command, 0);
                Ok(())
            });
        }
        let handle = expression
            .start()
            .map_err(|error| format!("could not start {}: {error}", spec.program.display()))?;
        let deadline = Instant::now()
            .checked_add(spec.timeout)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        Ok(BoundedProcess { handle, deadline })
    }

    /// Waits until the process exits or its deadline passes (then kills it).
    pub fn finish(self) -> ProcessEnd {
        match self.handle.wait_deadline(self.deadline) {
            Ok(Some(output)) => ProcessEnd::Exited {
                code: output.status.code(),
                stdout: output.stdout.clone(),
                stderr: output.stderr.clone(),
            },
            Ok(None) => {
                self.kill_group();
                // Reaping it so no zombie stays.
                let _ = self.handle.wait();
                ProcessEnd::TimedOut
            }
            Err(error) => ProcessEnd::Failed(error.to_string()),
        }
    }
}

impl BoundedProcess {
    /// Kills the process group this checker leads (only processes we started).
    #[cfg(unix)]
    fn kill_group(&self) {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        for pid in self.handle.pids() {
            if let Ok(pid) = i32::try_from(pid) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        let _ = self.handle.kill();
    }

    #[cfg(not(unix))]
    fn kill_group(&self) {
        let _ = self.handle.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program_lookup::find_program;

    fn spec(program: &Path, args: &[&str], timeout: Duration) -> ProcessSpec<'static> {
        ProcessSpec {
            program: Box::leak(program.to_path_buf().into_boxed_path()),
            args: args.iter().map(OsString::from).collect(),
            cwd: None,
            env: &[],
            capture_stdout: true,
            timeout,
        }
    }

    #[test]
    fn captures_output_and_exit_code() {
        let bash = find_program(None, "bash").expect("bash installed");
        let process = BoundedProcess::start(spec(
            &bash,
            &["-c", "echo out; echo err >&2; exit 3"],
            Duration::from_secs(10),
        ))
        .unwrap();
        match process.finish() {
            ProcessEnd::Exited {
                code,
                stdout,
                stderr,
            } => {
                assert_eq!(code, Some(3));
                assert_eq!(stdout, b"out\n");
                assert_eq!(stderr, b"err\n");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_hanging_process_is_killed_at_the_deadline() {
        let bash = find_program(None, "bash").expect("bash installed");
        let started = Instant::now();
        // The shell waits for a child that holds the output pipes: both must go.
        let process = BoundedProcess::start(spec(
            &bash,
            &["-c", "read line; sleep 30; echo done"],
            Duration::from_millis(300),
        ))
        .unwrap();
        assert!(matches!(process.finish(), ProcessEnd::TimedOut));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_missing_program_is_an_error_with_its_name() {
        let error = BoundedProcess::start(spec(
            Path::new("/nonexistent/bash"),
            &[],
            Duration::from_secs(1),
        ))
        .err()
        .unwrap();
        assert!(error.contains("/nonexistent/bash"), "{error}");
    }
}
