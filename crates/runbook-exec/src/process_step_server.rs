//! The session's step server: one long-lived bash that forks a subshell for every step whose
//! output is captured (see [`crate::process_bash_wrapper::STEP_SERVER`] for the bash side).
//!
//! The protocol is line-based and tiny: runbook writes `step` to the server's stdin after it
//! wrote the request file and opened the step's FIFOs; the server answers `pid N` on its stdout
//! when the subshell is ready (N is also its process group). runbook records the step's start,
//! then writes `go` (or `stop` to cancel), which the subshell itself reads; the server answers
//! `done STATUS` when the subshell ended. Everything else about the step travels in files, so
//! nothing a step prints or sets can be mistaken for protocol.
//!
//! When the server dies (a step ran `kill -9 $$`, say), its stdout reaches end-of-file: the step
//! under way ends with the server's own exit status, and the session starts a new server for the
//! next step. Nothing is lost by that: the carried state lives in files, not in the server.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::Pid;

use crate::process_bash_wrapper::STEP_SERVER;
use crate::process_error::ExecIoError;
use crate::process_step_outcome::StepStatus;

/// How long the server may take to answer (a step's subshell ready, or a cancelled one ended)
/// before it counts as hung. Far above the fraction of a millisecond it takes, so only a stopped
/// or wedged server trips it.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// How to start the server.
pub(crate) struct ServerLaunch<'a> {
    /// The shell as configured: its `argv[0]`, and the name in error messages.
    pub(crate) shell: &'a Path,
    /// The shell's resolved path.
    pub(crate) program: &'a Path,
    pub(crate) start_dir: &'a Path,
    pub(crate) env: &'a [(String, String)],
    pub(crate) request_path: &'a Path,
    pub(crate) stdout_fifo: &'a Path,
    pub(crate) stderr_fifo: &'a Path,
}

/// The server is gone or stopped answering, and why; a new one may do better.
#[derive(Debug)]
pub(crate) struct ServerLost(pub(crate) String);

impl ServerLost {
    pub(crate) fn gone() -> Self {
        ServerLost("the step server is gone".to_owned())
    }

    fn stopped_reading(error: io::Error) -> Self {
        ServerLost(format!("the step server stopped reading: {error}"))
    }

    pub(crate) fn into_error(self) -> ExecIoError {
        ExecIoError::StepServer { reason: self.0 }
    }
}

/// A running step server.
pub(crate) struct StepServer {
    child: Child,
    control: ChildStdin,
    reports: ChildStdout,
    /// Bytes of `reports` read but not yet taken as a whole line.
    pending: Vec<u8>,
    /// Set once `reports` reached its end: the server is gone.
    ended: Option<ExitStatus>,
}

impl StepServer {
    pub(crate) fn spawn(launch: &ServerLaunch<'_>) -> Result<Self, ExecIoError> {
        let mut command = Command::new(launch.program);
        command
            .arg0(launch.shell)
            .args(["--noprofile", "--norc", "-c", STEP_SERVER, "runbook"])
            .arg(launch.request_path)
            .arg(launch.stdout_fifo)
            .arg(launch.stderr_fifo)
            .current_dir(launch.start_dir)
            .env_clear()
            .envs(launch.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Job-control notices ("Terminated" after a timeout) are not the step's output.
            .stderr(Stdio::null())
            // Its own group: Ctrl-C at the terminal and the signals that stop a step never reach it.
            .process_group(0);
        let spawn_error = |source| ExecIoError::Spawn {
            shell: launch.shell.to_owned(),
            source,
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        let (Some(control), Some(reports)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(spawn_error(io::Error::other(
                "the step server's pipes were not set up",
            )));
        };
        set_nonblocking(reports.as_fd()).map_err(spawn_error)?;
        Ok(StepServer {
            child,
            control,
            reports,
            pending: Vec::new(),
            ended: None,
        })
    }

    /// Whether the server is still usable.
    pub(crate) fn is_running(&self) -> bool {
        self.ended.is_none()
    }

    /// Asks the server to prepare the step described by the request file. Returns at once: the
    /// server forks while the caller goes on. Nothing of the step runs before
    /// [`release`](Self::release).
    pub(crate) fn request_step(&mut self) -> Result<(), ServerLost> {
        self.control.write_all(b"step\n").map_err(|error| {
            self.stop();
            ServerLost::stopped_reading(error)
        })
    }

    /// Waits until the requested step's subshell is ready; returns its process group.
    pub(crate) fn wait_ready(&mut self) -> Result<Pid, ServerLost> {
        match self.wait_for_report()? {
            Report::Started(group) => Ok(group),
            Report::Finished(_) => {
                self.stop();
                Err(ServerLost(
                    "the step server reported a step it was not asked for".to_owned(),
                ))
            }
        }
    }

    /// Lets the ready subshell run the step (`go`), or end without running it.
    pub(crate) fn release(&mut self, go: bool) -> Result<(), ServerLost> {
        self.control
            .write_all(if go { b"go\n" } else { b"stop\n" })
            .map_err(|error| {
                self.stop();
                ServerLost::stopped_reading(error)
            })
    }

    /// Tells the requested step's subshell to end without running the step, and waits until it
    /// has.
    pub(crate) fn cancel_step(&mut self) -> Result<(), ServerLost> {
        self.wait_ready()?;
        self.release(false)?;
        match self.wait_for_report()? {
            Report::Finished(_) => Ok(()),
            Report::Started(_) => {
                self.stop();
                Err(ServerLost(
                    "the step server started a step it was not asked for".to_owned(),
                ))
            }
        }
    }

    /// Blocks until the next report, for at most [`ANSWER_TIMEOUT`].
    fn wait_for_report(&mut self) -> Result<Report, ServerLost> {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            match self.next_report() {
                Ok(Some(report)) => return Ok(report),
                Ok(None) if self.ended.is_some() => {
                    return Err(ServerLost(format!(
                        "the step server ended ({})",
                        describe(self.ended)
                    )));
                }
                Ok(None) => {}
                Err(error) => {
                    self.stop();
                    return Err(ServerLost(format!(
                        "cannot read from the step server: {error}"
                    )));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.stop();
                return Err(ServerLost(format!(
                    "the step server did not answer within {}s",
                    ANSWER_TIMEOUT.as_secs()
                )));
            }
            let mut fds = [PollFd::new(self.reports.as_fd(), PollFlags::POLLIN)];
            let timeout =
                PollTimeout::try_from(left.as_millis().max(1)).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(errno) => {
                    self.stop();
                    return Err(ServerLost(format!(
                        "cannot wait for the step server: {errno}"
                    )));
                }
            }
        }
    }

    /// How the running step ended, once the server reported it; `None` while it runs. Never
    /// blocks. When the server itself is gone, the step ends with the server's exit status.
    pub(crate) fn finished_step(&mut self) -> io::Result<Option<StepStatus>> {
        loop {
            match self.next_report()? {
                Some(Report::Finished(code)) => return Ok(Some(StepStatus::Exited(code))),
                // A start report here would be out of step with us; the caller's step is over.
                Some(Report::Started(_)) => {}
                None => return Ok(self.ended.map(StepStatus::from_exit_status)),
            }
        }
    }

    /// The pipe the server reports on, for `poll`.
    pub(crate) fn reports_fd(&self) -> BorrowedFd<'_> {
        self.reports.as_fd()
    }

    /// The next whole report line, reading what is available without blocking.
    fn next_report(&mut self) -> io::Result<Option<Report>> {
        loop {
            if let Some(end) = self.pending.iter().position(|&byte| byte == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                if let Some(report) = Report::parse(&line[..end]) {
                    return Ok(Some(report));
                }
                continue;
            }
            if self.ended.is_some() {
                return Ok(None);
            }
            let mut buffer = [0u8; 256];
            match self.reports.read(&mut buffer) {
                Ok(0) => {
                    self.ended = Some(self.reap());
                    return Ok(None);
                }
                Ok(count) => self.pending.extend_from_slice(&buffer[..count]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Ends the server for good; the session starts a new one for the next step.
    pub(crate) fn stop(&mut self) {
        if self.ended.is_none() {
            let _ = self.child.kill();
            self.ended = Some(self.reap());
        }
    }

    fn reap(&mut self) -> ExitStatus {
        loop {
            match self.child.wait() {
                Ok(status) => return status,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                // Already reaped, or not ours to wait for: report it as killed (a raw wait
                // status of 9 is "terminated by SIGKILL").
                Err(_) => return ExitStatus::from_raw(9),
            }
        }
    }
}

impl Drop for StepServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One line from the server.
enum Report {
    Started(Pid),
    Finished(i32),
}

impl Report {
    fn parse(line: &[u8]) -> Option<Report> {
        let line = std::str::from_utf8(line).ok()?;
        if let Some(pid) = line.strip_prefix("pid ") {
            return pid
                .parse()
                .ok()
                .map(|pid| Report::Started(Pid::from_raw(pid)));
        }
        line.strip_prefix("done ")?
            .parse()
            .ok()
            .map(Report::Finished)
    }
}

fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = fcntl(fd, FcntlArg::F_GETFL).map_err(io::Error::from)?;
    let flags = OFlag::from_bits_retain(flags) | OFlag::O_NONBLOCK;
    fcntl(fd, FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;
    Ok(())
}

fn describe(status: Option<ExitStatus>) -> String {
    match status {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            _ => status.to_string(),
        },
        None => "still running".to_owned(),
    }
}

/// The step's variables, control values and arguments, NUL-separated, as the server's subshell
/// reads them (see [`STEP_SERVER`]).
pub(crate) struct StepRequestFile<'a> {
    pub(crate) sequence: u64,
    pub(crate) script_file_name: &'a str,
    pub(crate) step_cwd: &'a Path,
    /// Empty when there is no carried state yet.
    pub(crate) state_in: &'a Path,
    pub(crate) dump_out: &'a Path,
    pub(crate) positional_args: &'a [String],
    pub(crate) env: &'a [(String, String)],
}

impl StepRequestFile<'_> {
    pub(crate) fn render(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        let mut bytes = Vec::with_capacity(
            256 + self
                .env
                .iter()
                .map(|(name, value)| name.len() + value.len() + 2)
                .sum::<usize>(),
        );
        let mut field = |value: &[u8]| {
            bytes.extend_from_slice(value);
            bytes.push(0);
        };
        field(self.sequence.to_string().as_bytes());
        field(self.script_file_name.as_bytes());
        field(self.step_cwd.as_os_str().as_bytes());
        field(self.state_in.as_os_str().as_bytes());
        field(self.dump_out.as_os_str().as_bytes());
        field(self.positional_args.len().to_string().as_bytes());
        for argument in self.positional_args {
            field(argument.as_bytes());
        }
        for (name, value) in self.env {
            field(name.as_bytes());
            field(value.as_bytes());
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_parse_and_junk_is_ignored() {
        assert!(
            matches!(Report::parse(b"pid 42"), Some(Report::Started(pid)) if pid.as_raw() == 42)
        );
        assert!(matches!(
            Report::parse(b"done 130"),
            Some(Report::Finished(130))
        ));
        assert!(Report::parse(b"done").is_none());
        assert!(Report::parse(b"pid x").is_none());
        assert!(Report::parse(b"\xff").is_none());
    }

    #[test]
    fn request_fields_are_nul_separated_and_values_kept_verbatim() {
        let env = vec![("A".to_owned(), "'; touch /tmp/x; '\n$(id)".to_owned())];
        let args = vec!["one two".to_owned()];
        let request = StepRequestFile {
            sequence: 7,
            script_file_name: "step",
            step_cwd: Path::new("/w"),
            state_in: Path::new(""),
            dump_out: Path::new("/d"),
            positional_args: &args,
            env: &env,
        };
        assert_eq!(
            request.render(),
            b"7\0step\0/w\0\0/d\x001\0one two\0A\0'; touch /tmp/x; '\n$(id)\0".to_vec()
        );
    }
}
