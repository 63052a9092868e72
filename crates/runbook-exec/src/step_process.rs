//! One running step shell: starting it (or taking over a subshell the step server started),
//! streaming its output, enforcing its timeout, and stopping it on interrupt.
//!
//! Concurrency is a single `poll` loop on the caller's thread, not a tokio runtime or reader
//! threads. It waits on the stdout and stderr pipes (FIFOs for served steps), on the step
//! server's report pipe, and on a [`StepWaker`] socket that SIGCHLD and [`Interrupter`] requests
//! write to; the poll timeout doubles as the timer for the step's timeout and kill grace. Why:
//! - A step should cost little more than a fork of bash. The loop adds no thread spawns (about
//!   30 µs each on the 2-core dev machine, three per step with reader threads) and no
//!   cross-thread hand-offs, and the output callback, which need not be `Send`, runs on the
//!   caller's thread.
//! - Unlike a runtime owned by the session, it cannot panic when the engine itself runs inside
//!   an async runtime.
//! - A bash of the step's own is watched with `waitid(WNOWAIT)`, which does not reap, so its pid
//!   stays reserved while stragglers are signalled. A served step's subshell is reaped by the
//!   server; its process group id stays reserved for as long as any member of the group lives.
//! - Both pipes are read as soon as either has data and every chunk goes straight to the
//!   callback, so neither pipe can fill up and block the step, and memory stays flat however
//!   much it prints.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;

use crate::process_error::ExecIoError;
use crate::process_interrupter::Interrupter;
use crate::process_output::{OutputChunk, OutputStream};
use crate::process_step_outcome::StepStatus;
use crate::process_step_request::StepIo;
use crate::process_step_server::StepServer;
use crate::process_waker::StepWaker;

/// Largest read from a step's pipe. Larger reads were measured slower: a 256 KiB chunk, copied
/// and scanned several times on its way to the log, no longer stays in the CPU's cache.
const READ_BUFFER_BYTES: usize = 64 * 1024;
/// How often a stopping step's process group is checked for leftover jobs once the shell exited.
const GROUP_RECHECK_INTERVAL: Duration = Duration::from_millis(50);
/// Captured stdout beyond this is left out of [`FinishedStep::stdout`] (it is still streamed).
pub(crate) const CAPTURE_LIMIT_BYTES: usize = 1024 * 1024;
/// After the shell exits, how long to keep forwarding output of background jobs that still hold
/// its pipes. A detached thread goes on draining (and discarding) after that, so those jobs
/// (`kubectl port-forward ... &`) do not die of SIGPIPE.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(100);

/// How to start the step's shell.
pub(crate) struct StepLaunch<'a> {
    /// The shell as configured: its `argv[0]`, and the name in error messages.
    pub(crate) shell: &'a Path,
    /// The shell's path from [`ProgramLookup::resolve`].
    pub(crate) program: &'a Path,
    pub(crate) args: &'a [&'a str],
    pub(crate) start_dir: &'a Path,
    /// Base environment, then per-step variables (later entries win).
    pub(crate) inherited_env: [&'a [(String, String)]; 2],
    pub(crate) control_env: &'a [(OsString, OsString)],
    pub(crate) io: StepIo,
}

/// Limits and collection applied while the step runs.
pub(crate) struct Supervision {
    pub(crate) timeout: Option<Duration>,
    pub(crate) kill_grace: Duration,
    pub(crate) capture_stdout: bool,
}

/// How the shell ended and what it printed.
pub(crate) struct FinishedStep {
    pub(crate) status: StepStatus,
    pub(crate) duration: Duration,
    pub(crate) stdout: Option<Vec<u8>>,
    pub(crate) stdout_truncated: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StopCause {
    Timeout,
    Interrupt,
}

/// A stop in progress: the last signal sent and when to send the next one.
struct Stop {
    cause: StopCause,
    last_signal: Signal,
    next_escalation: Option<Instant>,
}

/// The shell a step runs in.
enum StepShell<'a> {
    /// A bash started for this step alone. Its exit is watched with `waitid`.
    Own(Child),
    /// A subshell the session's step server forked. The server reports its exit status; `ended`
    /// holds it once reported.
    Served {
        server: &'a mut StepServer,
        ended: Option<StepStatus>,
    },
}

/// A started step shell that has not been reaped yet.
pub(crate) struct StepProcess<'a> {
    shell: StepShell<'a>,
    /// The shell's pid, which is also its process group when `signals_group`.
    pid: Pid,
    /// Captured steps have a process group of their own and signals go to all of it; a step
    /// that shares the terminal's group gets them alone.
    signals_group: bool,
    started: Instant,
    stdout: Option<File>,
    stderr: Option<File>,
}

impl StepProcess<'static> {
    pub(crate) fn spawn(launch: &StepLaunch<'_>) -> Result<Self, ExecIoError> {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new(launch.program);
        command
            .arg0(launch.shell)
            .args(launch.args)
            .current_dir(launch.start_dir)
            .env_clear()
            .envs(
                launch
                    .inherited_env
                    .into_iter()
                    .flatten()
                    .map(|(name, value)| (name, value)),
            )
            .envs(launch.control_env.iter().map(|(name, value)| (name, value)));
        if launch.io == StepIo::Captured {
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .process_group(0);
        }
        let started = Instant::now();
        let mut child = command.spawn().map_err(|source| ExecIoError::Spawn {
            shell: launch.shell.to_owned(),
            source,
        })?;
        Ok(StepProcess {
            pid: Pid::from_raw(child.id() as i32),
            signals_group: launch.io == StepIo::Captured,
            started,
            stdout: child
                .stdout
                .take()
                .map(|pipe| File::from(OwnedFd::from(pipe))),
            stderr: child
                .stderr
                .take()
                .map(|pipe| File::from(OwnedFd::from(pipe))),
            shell: StepShell::Own(child),
        })
    }
}

impl<'a> StepProcess<'a> {
    /// A step the server started: `group` is its subshell's pid and process group, `stdout` and
    /// `stderr` the read ends of the FIFOs it writes to.
    pub(crate) fn served(
        server: &'a mut StepServer,
        group: Pid,
        started: Instant,
        stdout: File,
        stderr: File,
    ) -> Self {
        StepProcess {
            shell: StepShell::Served {
                server,
                ended: None,
            },
            pid: group,
            signals_group: true,
            started,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Forwards output to `on_output` until the shell has exited and its pipes are drained,
    /// applying the timeout and interrupt requests, then reaps it.
    pub(crate) fn supervise(
        mut self,
        supervision: &Supervision,
        waker: &StepWaker,
        interrupter: &Interrupter,
        on_output: &mut dyn FnMut(OutputChunk),
    ) -> Result<FinishedStep, ExecIoError> {
        let registration = interrupter.register_step(waker.writer());
        let grace = supervision.kill_grace;
        let timeout_at = supervision.timeout.map(|timeout| self.started + timeout);
        let mut stop: Option<Stop> = None;
        let mut exited_at: Option<Instant> = None;
        let mut drain_until: Option<Instant> = None;
        let mut captured = supervision.capture_stdout.then(Vec::new);
        let mut stdout_truncated = false;
        let mut buffer = vec![0u8; READ_BUFFER_BYTES];

        let failure = loop {
            let requests = registration.take_requests();
            // Requests that arrive after a clean exit have nothing left to stop.
            if exited_at.is_none() || stop.is_some() {
                for _ in 0..requests {
                    self.stop_or_escalate(&mut stop, StopCause::Interrupt, grace);
                }
            }
            if exited_at.is_none() {
                match self.has_exited() {
                    Ok(true) => {
                        exited_at = Some(Instant::now());
                        if let Some(active) = &mut stop {
                            self.after_exit_while_stopping(active, grace);
                        }
                    }
                    Ok(false) => {}
                    Err(source) => {
                        break Some(ExecIoError::WaitForStep {
                            pid: self.pid.as_raw() as u32,
                            source,
                        });
                    }
                }
            }
            let now = Instant::now();
            if exited_at.is_none() && stop.is_none() && timeout_at.is_some_and(|at| now >= at) {
                self.stop_or_escalate(&mut stop, StopCause::Timeout, grace);
            }
            // After the shell is gone, leftover jobs of the group may die from the signal
            // already sent: stop waiting as soon as they have, not at the escalation deadline.
            if exited_at.is_some()
                && let Some(active) = &mut stop
                && active.next_escalation.is_some()
                && !self.group_alive()
            {
                active.next_escalation = None;
            }
            if let Some(active) = &mut stop
                && active.next_escalation.is_some_and(|at| now >= at)
            {
                if exited_at.is_some() && !self.group_alive() {
                    active.next_escalation = None;
                } else {
                    self.escalate(active, grace);
                }
            }
            let settled = stop
                .as_ref()
                .is_none_or(|active| active.next_escalation.is_none());
            if exited_at.is_some() && settled {
                let drain_deadline = *drain_until.get_or_insert(now + DRAIN_AFTER_EXIT);
                let streams_open = self.stdout.is_some() || self.stderr.is_some();
                if !streams_open || now >= drain_deadline {
                    break None;
                }
            }

            let recheck_group = (exited_at.is_some()
                && stop
                    .as_ref()
                    .is_some_and(|active| active.next_escalation.is_some()))
            .then(|| now + GROUP_RECHECK_INTERVAL);
            let deadline = [
                timeout_at.filter(|_| exited_at.is_none() && stop.is_none()),
                stop.as_ref().and_then(|active| active.next_escalation),
                drain_until,
                recheck_group,
            ]
            .into_iter()
            .flatten()
            .min();
            let wait = deadline.map(|at| at.saturating_duration_since(now));
            let ready = match self.wait_for_activity(waker, wait) {
                Ok(ready) => ready,
                Err(error) => break Some(error),
            };
            let mut read_failure = None;
            for stream in ready {
                let read = match stream {
                    OutputStream::Stdout => self.stdout.as_mut().map(|pipe| pipe.read(&mut buffer)),
                    OutputStream::Stderr => self.stderr.as_mut().map(|pipe| pipe.read(&mut buffer)),
                };
                match read {
                    Some(Ok(0)) => self.close(stream),
                    Some(Ok(count)) => {
                        let bytes = buffer[..count].to_vec();
                        if stream == OutputStream::Stdout
                            && let Some(captured) = &mut captured
                        {
                            let room = CAPTURE_LIMIT_BYTES - captured.len();
                            stdout_truncated |= bytes.len() > room;
                            captured.extend_from_slice(&bytes[..bytes.len().min(room)]);
                        }
                        on_output(OutputChunk {
                            stream,
                            bytes,
                            at: Instant::now(),
                        });
                    }
                    Some(Err(error))
                        if matches!(
                            error.kind(),
                            io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                        ) => {}
                    Some(Err(source)) => {
                        self.close(stream);
                        read_failure = Some(ExecIoError::ReadOutput { stream, source });
                    }
                    None => {}
                }
            }
            if let Some(error) = read_failure {
                break Some(error);
            }
        };
        drop(registration);

        if let Some(error) = failure {
            self.signal(Signal::SIGKILL);
            match &mut self.shell {
                StepShell::Own(child) => {
                    let _ = child.wait();
                }
                // Where the server's protocol stands is unknown now: the next step gets a new one.
                StepShell::Served { server, .. } => server.stop(),
            }
            return Err(error);
        }
        self.keep_draining_in_background();
        let exited = match &mut self.shell {
            StepShell::Own(child) => {
                let exit = child.wait().map_err(|source| ExecIoError::WaitForStep {
                    pid: self.pid.as_raw() as u32,
                    source,
                })?;
                StepStatus::from_exit_status(exit)
            }
            StepShell::Served { ended, .. } => ended.unwrap_or(StepStatus::Signaled(0)),
        };
        let status = match stop.map(|active| active.cause) {
            Some(StopCause::Timeout) => StepStatus::TimedOut,
            Some(StopCause::Interrupt) => StepStatus::Interrupted,
            None => exited,
        };
        Ok(FinishedStep {
            status,
            duration: exited_at.unwrap_or_else(Instant::now) - self.started,
            stdout: captured,
            stdout_truncated,
        })
    }
}

impl StepProcess<'_> {
    /// Whether the shell has exited, without reaping it.
    fn has_exited(&mut self) -> io::Result<bool> {
        if let StepShell::Served { server, ended } = &mut self.shell {
            if ended.is_none() {
                *ended = server.finished_step()?;
                // The server died under the step (the step signalled `$$`, say): like a terminal
                // whose shell died, the step goes with it rather than run on unsupervised.
                if ended.is_some() && !server.is_running() {
                    let _ = killpg(self.pid, Signal::SIGKILL);
                }
            }
            return Ok(ended.is_some());
        }
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        loop {
            match waitid(Id::Pid(self.pid), flags) {
                Ok(WaitStatus::StillAlive) => return Ok(false),
                Ok(_) => return Ok(true),
                Err(Errno::EINTR) => {}
                Err(errno) => return Err(io::Error::from(errno)),
            }
        }
    }

    /// Blocks until a pipe has data or reached its end, the waker fired, or `timeout` passed.
    /// Returns the pipes worth reading.
    fn wait_for_activity(
        &self,
        waker: &StepWaker,
        timeout: Option<Duration>,
    ) -> Result<Vec<OutputStream>, ExecIoError> {
        let mut streams = Vec::with_capacity(2);
        let mut fds = Vec::with_capacity(3);
        if let Some(pipe) = &self.stdout {
            streams.push(OutputStream::Stdout);
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        if let Some(pipe) = &self.stderr {
            streams.push(OutputStream::Stderr);
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        fds.push(PollFd::new(waker.fd(), PollFlags::POLLIN));
        if let StepShell::Served {
            server,
            ended: None,
        } = &self.shell
        {
            fds.push(PollFd::new(server.reports_fd(), PollFlags::POLLIN));
        }
        let timeout = match timeout {
            // Rounded up: waking early would spin until the deadline.
            Some(timeout) => PollTimeout::try_from(timeout.as_micros().div_ceil(1000))
                .unwrap_or(PollTimeout::NONE),
            None => PollTimeout::NONE,
        };
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            // SIGCHLD interrupts poll; the caller checks for the exit next.
            Err(Errno::EINTR) => return Ok(Vec::new()),
            Err(errno) => {
                return Err(ExecIoError::WaitForStep {
                    pid: self.pid.as_raw() as u32,
                    source: io::Error::from(errno),
                });
            }
        }
        let is_ready = |fd: &PollFd<'_>| {
            fd.revents().is_some_and(|events| {
                events.intersects(
                    PollFlags::POLLIN
                        | PollFlags::POLLHUP
                        | PollFlags::POLLERR
                        | PollFlags::POLLNVAL,
                )
            })
        };
        if fds.get(streams.len()).is_some_and(is_ready) {
            waker.drain();
        }
        Ok(streams
            .into_iter()
            .zip(&fds)
            .filter(|(_, fd)| is_ready(fd))
            .map(|(stream, _)| stream)
            .collect())
    }

    fn close(&mut self, stream: OutputStream) {
        match stream {
            OutputStream::Stdout => self.stdout = None,
            OutputStream::Stderr => self.stderr = None,
        }
    }

    /// Background jobs of the step still hold its pipes: keep reading them on a detached thread
    /// until they close, discarding the output.
    fn keep_draining_in_background(&mut self) {
        let pipes: Vec<File> = [self.stdout.take(), self.stderr.take()]
            .into_iter()
            .flatten()
            .collect();
        if pipes.is_empty() {
            return;
        }
        // If the thread cannot start, the pipes close and the jobs get SIGPIPE on their next
        // write, which is the most that can be done.
        let _ = thread::Builder::new()
            .name("runbook-step-drain".to_owned())
            .stack_size(64 * 1024)
            .spawn(move || drain_until_closed(pipes));
    }

    /// Starts stopping the step, or, when a stop is under way, sends the next signal at once.
    fn stop_or_escalate(&self, stop: &mut Option<Stop>, cause: StopCause, grace: Duration) {
        match stop {
            Some(active) => self.escalate(active, grace),
            None => {
                let first_signal = match cause {
                    StopCause::Interrupt => Signal::SIGINT,
                    StopCause::Timeout => Signal::SIGTERM,
                };
                self.signal(first_signal);
                *stop = Some(Stop {
                    cause,
                    last_signal: first_signal,
                    next_escalation: Some(Instant::now() + grace),
                });
            }
        }
    }

    fn escalate(&self, stop: &mut Stop, grace: Duration) {
        let next_signal = match stop.last_signal {
            Signal::SIGINT => Signal::SIGTERM,
            _ => Signal::SIGKILL,
        };
        self.signal(next_signal);
        stop.last_signal = next_signal;
        stop.next_escalation = (next_signal != Signal::SIGKILL).then(|| Instant::now() + grace);
    }

    /// The shell is gone but background jobs of the step may live on in its group: jobs started
    /// with `&` ignore SIGINT, so they get SIGTERM right away and SIGKILL after the grace.
    fn after_exit_while_stopping(&self, stop: &mut Stop, grace: Duration) {
        if !self.group_alive() {
            stop.next_escalation = None;
        } else if stop.last_signal == Signal::SIGINT {
            self.escalate(stop, grace);
        }
    }

    /// Whether any process is left in the step's group. Its id cannot have been reused: a group
    /// id stays taken while the group has members.
    fn group_alive(&self) -> bool {
        self.signals_group && group_has_live_member(self.pid)
    }

    /// Signals the step: its whole process group when it has its own, else only the shell.
    /// Failures mean the targets are already gone.
    fn signal(&self, signal: Signal) {
        let _ = if self.signals_group {
            killpg(self.pid, signal)
        } else {
            kill(self.pid, signal)
        };
    }
}

/// Whether a process other than a zombie is left in process group `group`.
///
/// `killpg(group, 0)` alone is not enough: the unreaped shell, and orphans
/// whose new parent never reaps them (PID 1 in many containers), are
/// zombies that keep the group "existing" although nothing runs; waiting
/// for them would always cost the full kill grace.
fn group_has_live_member(group: Pid) -> bool {
    if killpg(group, None).is_err() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the parenthesised command name: state ppid pgrp …
        let Some(after_name) = stat.rfind(')').map(|index| &stat[index + 1..]) else {
            continue;
        };
        let mut fields = after_name.split_whitespace();
        let state = fields.next();
        let _parent = fields.next();
        let process_group = fields.next().and_then(|field| field.parse::<i32>().ok());
        if process_group == Some(group.as_raw()) && state != Some("Z") {
            return true;
        }
    }
    false
}

fn drain_until_closed(mut pipes: Vec<File>) {
    let mut buffer = vec![0u8; READ_BUFFER_BYTES];
    while !pipes.is_empty() {
        let mut fds: Vec<PollFd<'_>> = pipes
            .iter()
            .map(|pipe| PollFd::new(pipe.as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return,
        }
        let ready: Vec<bool> = fds.iter().map(|fd| fd.any().unwrap_or(false)).collect();
        drop(fds);
        let mut index = 0;
        pipes.retain_mut(|pipe| {
            let keep = !ready[index]
                || match pipe.read(&mut buffer) {
                    Ok(0) => false,
                    Ok(_) => true,
                    Err(error) => error.kind() == io::ErrorKind::Interrupted,
                };
            index += 1;
            keep
        });
    }
}

/// Finds the step shell on the `PATH` the step gets, once per distinct `PATH`.
///
/// Why not leave it to `std::process::Command`: given a bare name and a cleared environment, std
/// cannot use `posix_spawn` and falls back to `fork` + `execvp`. Forking copies the engine's page
/// tables and makes every page it writes afterwards fault (copy-on-write), and `execvp` tries
/// each `PATH` directory with a failing `execve`; together about a third of a millisecond per
/// step. With an absolute path std spawns through `posix_spawn` (a `vfork`) and one `execve`.
/// It remembers the last lookup: the `PATH` searched, the name, and what was found.
#[derive(Debug, Default)]
pub(crate) struct ProgramLookup {
    last: Option<(Option<String>, PathBuf, PathBuf)>,
}

impl ProgramLookup {
    /// `program` as `execvp` would find it on `search_path` (the child's `PATH`; `None` when the
    /// child has none, searched like glibc does: `/bin:/usr/bin`). A name containing `/`, or one
    /// not found, is returned as it is, so spawning fails or succeeds exactly as before.
    pub(crate) fn resolve(&mut self, program: &Path, search_path: Option<&str>) -> PathBuf {
        if let Some((path, name, found)) = &self.last
            && path.as_deref() == search_path
            && name == program
        {
            return found.clone();
        }
        let found = find_on_path(program, search_path).unwrap_or_else(|| program.to_owned());
        self.last = Some((
            search_path.map(str::to_owned),
            program.to_owned(),
            found.clone(),
        ));
        found
    }
}

fn find_on_path(program: &Path, search_path: Option<&str>) -> Option<PathBuf> {
    let name = program.to_str()?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let search_path = search_path.unwrap_or("/bin:/usr/bin");
    search_path
        .split(':')
        // An empty entry means the current directory, which depends on where the step starts:
        // leave such lookups to execvp.
        .take_while(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(name))
        .find(|candidate| is_executable_file(candidate))
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn executable(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, "#!/bin/sh\n").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    #[test]
    fn finds_the_first_executable_on_the_path() {
        let first = tempfile::tempdir().expect("tempdir");
        let second = tempfile::tempdir().expect("tempdir");
        // Not executable: skipped, as execvp skips it.
        fs::write(first.path().join("myshell"), "").expect("write");
        let expected = executable(second.path(), "myshell");
        let path = format!("{}:{}", first.path().display(), second.path().display());
        let mut lookup = ProgramLookup::default();
        assert_eq!(lookup.resolve(Path::new("myshell"), Some(&path)), expected);
        // Cached for the same PATH, looked up again for another.
        assert_eq!(lookup.resolve(Path::new("myshell"), Some(&path)), expected);
        let only_first = first.path().display().to_string();
        assert_eq!(
            lookup.resolve(Path::new("myshell"), Some(&only_first)),
            PathBuf::from("myshell")
        );
    }

    #[test]
    fn paths_and_unknown_names_are_left_alone() {
        let mut lookup = ProgramLookup::default();
        assert_eq!(
            lookup.resolve(Path::new("./bash"), Some("/usr/bin")),
            PathBuf::from("./bash")
        );
        assert_eq!(
            lookup.resolve(Path::new("no-such-shell-here"), Some("/usr/bin:/bin")),
            PathBuf::from("no-such-shell-here")
        );
        let empty_entry = lookup.resolve(Path::new("bash"), Some(":/usr/bin"));
        assert_eq!(empty_entry, PathBuf::from("bash"));
    }
}
