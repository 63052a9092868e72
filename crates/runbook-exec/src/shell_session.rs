//! Runs steps one shell process at a time while carrying shell state between them.
//!
//! Each step gets a shell of its own: a subshell forked by the session's long-lived step server
//! ([`crate::process_step_server`]) when its output is captured, or a fresh
//! `bash --noprofile --norc` when it gets the terminal. Before the step's script, the shell
//! sources the state the previous steps left; when the script ends (normally, through `exit`, or
//! by a terminating signal other than SIGKILL) an EXIT trap dumps the new state. See
//! [`crate::process_bash_wrapper`] for the bash side and [`crate::process_carried_state`] for
//! what is carried. Because the state travels in files, a step cannot damage the server's own
//! shell, and a server that dies is replaced without losing anything.
//!
//! Carried: variables a step assigned or exported (with their exported-ness, arrays included),
//! variables it unset or un-exported, the functions it defined, and its final working directory.
//! Not carried: shell options (`set -euo pipefail`, `shopt`), traps, aliases, bash-maintained
//! variables (PWD, OLDPWD, SHLVL, `_`, `BASH_*`, PIPESTATUS, ...), IFS and the prompts, readonly
//! variables, and whether a function was exported.
//!
//! Security: the state lives in a private directory (mode 0700, removed when the session is
//! dropped) and holds variable values, including secrets a step put in variables. Nothing else
//! is written anywhere. A runbook process that was killed cannot remove its directory; its name
//! carries the owner's pid, and the next session removes directories whose owner is gone. The
//! directory is preferably on a memory file system (`$XDG_RUNTIME_DIR` or `/dev/shm`), so those
//! values never reach a disk.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::process_bash_wrapper::{
    ARG_COUNT_VARIABLE, ARG_VARIABLE_PREFIX, DUMP_OUT_VARIABLE, SEQUENCE_VARIABLE,
    STATE_IN_VARIABLE, STEP_CWD_VARIABLE, WRAPPER, script_file_contents, script_file_name,
};
use crate::process_carried_state::{
    COMPLETE_MARKER, CarriedState, CarriedVariable, INTERNAL_PREFIX, is_shell_internal,
};
use crate::process_declare_statement::is_shell_identifier;
use crate::process_error::ExecIoError;
use crate::process_interrupter::Interrupter;
use crate::process_output::OutputChunk;
use crate::process_step_outcome::StepOutcome;
use crate::process_step_request::{StepIo, StepRequest};
use crate::process_step_server::{ServerLaunch, ServerLost, StepRequestFile, StepServer};
use crate::process_waker::StepWaker;
use crate::step_process::{FinishedStep, ProgramLookup, StepLaunch, StepProcess, Supervision};

/// Environment variables that would make bash run other code at startup or change its options.
const SHELL_STARTUP_VARIABLES: &[&str] = &["BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS"];

/// How to start step shells.
///
/// ```no_run
/// # use runbook_exec::ShellConfig;
/// let config = ShellConfig {
///     initial_cwd: std::env::current_dir().unwrap(),
///     base_env: std::env::vars().collect(),
///     ..ShellConfig::default()
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellConfig {
    /// The bash program: a path, or a name looked up on `PATH`.
    pub shell: PathBuf,
    /// Where the first step starts; relative paths are taken from the process's directory.
    pub initial_cwd: PathBuf,
    /// The environment every step shell starts with. `BASH_ENV`, `ENV`, `SHELLOPTS` and
    /// `BASHOPTS` are left out so that nothing runs or changes behind the step's back.
    pub base_env: Vec<(String, String)>,
    /// How long a stopped step gets between SIGINT, SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// Where to create the private state directory. By default `$XDG_RUNTIME_DIR`, else
    /// `/dev/shm`, else the system temp directory.
    pub state_dir_parent: Option<PathBuf>,
}

impl Default for ShellConfig {
    fn default() -> Self {
        ShellConfig {
            shell: PathBuf::from("bash"),
            initial_cwd: PathBuf::from("."),
            base_env: Vec::new(),
            kill_grace: Duration::from_secs(2),
            state_dir_parent: None,
        }
    }
}

impl ShellConfig {
    pub fn new(
        shell: impl Into<PathBuf>,
        initial_cwd: impl Into<PathBuf>,
        base_env: Vec<(String, String)>,
    ) -> Self {
        ShellConfig {
            shell: shell.into(),
            initial_cwd: initial_cwd.into(),
            base_env,
            ..ShellConfig::default()
        }
    }
}

/// A sequence of step shells that share variables, functions and working directory.
pub struct ShellSession {
    shell: PathBuf,
    base_env: Vec<(String, String)>,
    kill_grace: Duration,
    /// Private (0700); holds variable values. Removed on drop.
    state_dir: tempfile::TempDir,
    scripts_dir: PathBuf,
    state_path: PathBuf,
    dump_path: PathBuf,
    carried: CarriedState,
    variables: BTreeMap<String, CarriedVariable>,
    /// What the state file holds; empty when there is no state file.
    state_file_contents: Vec<u8>,
    next_sequence: u64,
    waker: StepWaker,
    shell_lookup: ProgramLookup,
    /// Started with the first captured step; replaced when it dies.
    server: Option<StepServer>,
}

impl ShellSession {
    pub fn new(config: ShellConfig) -> Result<Self, ExecIoError> {
        if config.shell.as_os_str().is_empty() {
            return Err(ExecIoError::InvalidConfig {
                reason: "the shell program is empty".to_owned(),
            });
        }
        let initial_cwd =
            absolute(&config.initial_cwd).map_err(|error| ExecIoError::WorkingDirectory {
                path: config.initial_cwd.clone(),
                reason: error.to_string(),
            })?;
        check_directory(&initial_cwd, "the initial working directory")?;
        let mut base_env = Vec::with_capacity(config.base_env.len());
        for (name, value) in config.base_env {
            check_env_entry(&name, &value)?;
            if !SHELL_STARTUP_VARIABLES.contains(&name.as_str())
                && !name.starts_with(INTERNAL_PREFIX)
            {
                base_env.push((name, value));
            }
        }
        let waker = StepWaker::new().map_err(|source| ExecIoError::WatchChildren { source })?;
        let state_dir = create_state_dir(config.state_dir_parent.as_deref())?;
        let scripts_dir = state_dir.path().join("scripts");
        fs::create_dir(&scripts_dir).map_err(|source| ExecIoError::CreateStateDir {
            parent: state_dir.path().to_owned(),
            source,
        })?;
        Ok(ShellSession {
            shell: config.shell,
            base_env,
            kill_grace: config.kill_grace,
            state_path: state_dir.path().join("state"),
            dump_path: state_dir.path().join("dump"),
            scripts_dir,
            state_dir,
            carried: CarriedState::empty(initial_cwd),
            variables: BTreeMap::new(),
            state_file_contents: Vec::new(),
            next_sequence: 1,
            waker,
            shell_lookup: ProgramLookup::default(),
            server: None,
        })
    }

    /// The working directory the next step starts in.
    pub fn cwd(&self) -> &Path {
        self.carried.cwd()
    }

    /// Scalar variables steps assigned or exported (arrays are carried but not listed here).
    /// Variables the steps inherited and left alone are not listed.
    pub fn variables(&self) -> &BTreeMap<String, CarriedVariable> {
        &self.variables
    }

    /// The private directory with the carried state. It holds variable values.
    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }

    /// Replaces the carried state, for `runbook resume`: later steps start in `cwd` and see
    /// `variables`. Functions and arrays of the earlier run are not restored. `cwd` must be
    /// absolute; whether it still exists is checked when the next step runs.
    pub fn restore(
        &mut self,
        cwd: impl Into<PathBuf>,
        variables: impl IntoIterator<Item = (String, CarriedVariable)>,
    ) -> Result<(), ExecIoError> {
        let cwd = cwd.into();
        if !cwd.is_absolute() {
            return Err(ExecIoError::InvalidRestore {
                reason: format!("the working directory {} is not absolute", cwd.display()),
            });
        }
        let state = CarriedState::from_variables(cwd, variables)
            .map_err(|reason| ExecIoError::InvalidRestore { reason })?;
        self.adopt(state)
    }

    /// Runs one step and waits for it, streaming captured output to `on_output` as it arrives.
    /// The same as [`prepare`](Self::prepare) followed by [`PreparedStep::run`].
    ///
    /// Blocks the calling thread. A step that fails, times out or is interrupted is an `Ok`
    /// outcome; errors mean the step could not be run or its state could not be kept.
    pub fn run(
        &mut self,
        request: StepRequest,
        interrupter: &Interrupter,
        on_output: &mut dyn FnMut(OutputChunk),
    ) -> Result<StepOutcome, ExecIoError> {
        self.prepare(request)?.run(interrupter, on_output)
    }

    /// Gets a step's shell ready without running anything of the step: for a captured step the
    /// server is asked to fork its subshell, which loads the step's variables and the carried
    /// state while the caller goes on. The caller records that the step starts (an fsync, which
    /// overlaps the fork), then calls [`PreparedStep::run`]; dropping the prepared step instead
    /// cancels it.
    pub fn prepare(&mut self, request: StepRequest) -> Result<PreparedStep<'_>, ExecIoError> {
        for (name, value) in &request.env {
            check_step_env_entry(name, value)?;
        }
        for (index, argument) in request.positional_args.iter().enumerate() {
            if argument.contains('\0') {
                return Err(ExecIoError::InvalidArgument {
                    index: index + 1,
                    reason: "it contains a NUL byte".to_owned(),
                });
            }
        }
        let (start_dir, what) = match &request.cwd {
            Some(dir) => (self.carried.cwd().join(dir), "the step's working directory"),
            None => (
                self.carried.cwd().to_owned(),
                "the working directory carried from the previous steps",
            ),
        };
        check_directory(&start_dir, what)?;

        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let file_name = script_file_name(&request.label);
        let script_path = self.scripts_dir.join(&file_name);
        // Overwritten when a step with the same label runs again; removed with the directory.
        fs::write(&script_path, script_file_contents(&request.script)).map_err(|source| {
            ExecIoError::WriteScript {
                path: script_path.clone(),
                source,
            }
        })?;
        let served = match request.io {
            StepIo::Captured => {
                Some(self.start_served(&request, &file_name, sequence, &start_dir)?)
            }
            StepIo::Terminal => None,
        };
        Ok(PreparedStep {
            session: self,
            request,
            file_name,
            sequence,
            start_dir,
            served,
        })
    }

    /// Writes the step's request file and has the step server start forking its subshell,
    /// without waiting for it.
    fn start_served(
        &mut self,
        request: &StepRequest,
        file_name: &str,
        sequence: u64,
        start_dir: &Path,
    ) -> Result<ServedStart, ExecIoError> {
        let state_in = if self.state_file_contents.is_empty() {
            Path::new("")
        } else {
            self.state_path.as_path()
        };
        let contents = StepRequestFile {
            sequence,
            script_file_name: file_name,
            step_cwd: start_dir,
            state_in,
            dump_out: &self.dump_path,
            positional_args: &request.positional_args,
            env: &request.env,
        }
        .render();
        // It holds the step's variables, secrets among them: readable by this user only, and
        // removed as soon as the subshell has read it (see `wait_served_ready`).
        let request_path = self.request_path();
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&request_path)
            .and_then(|mut file| io::Write::write_all(&mut file, &contents))
            .map_err(|source| ExecIoError::PrepareStep {
                path: request_path.clone(),
                source,
            })?;
        self.ask_server()
    }

    /// New output FIFOs, a running server (a new one if needed), and the request sent to it. A
    /// server that cannot take the request is dropped; [`Self::wait_served_ready`] then finds it
    /// gone and asks a new one.
    fn ask_server(&mut self) -> Result<ServedStart, ExecIoError> {
        let (stdout, stderr) = self.fresh_output_fifos()?;
        if !self.server.as_ref().is_some_and(StepServer::is_running) {
            self.server = None;
            let program = self.resolve_shell(&[]);
            let (out_fifo, err_fifo) = self.fifo_paths();
            let request_path = self.request_path();
            let server = StepServer::spawn(&ServerLaunch {
                shell: &self.shell,
                program: &program,
                start_dir: &self.scripts_dir,
                env: &self.base_env,
                request_path: &request_path,
                stdout_fifo: &out_fifo,
                stderr_fifo: &err_fifo,
            })?;
            self.server = Some(server);
        }
        if self
            .server
            .as_mut()
            .is_some_and(|server| server.request_step().is_err())
        {
            self.server = None;
        }
        Ok(ServedStart { stdout, stderr })
    }

    /// Waits until the served step's subshell is ready. A server that died since the last step
    /// (killed from outside, or by that step) or on the way is replaced once: nothing of the step
    /// has run either way.
    fn wait_served_ready(
        &mut self,
        start: ServedStart,
    ) -> Result<(nix::unistd::Pid, ServedStart), ExecIoError> {
        let (group, start) = match self.wait_server_ready() {
            Ok(group) => (group, start),
            Err(_) => {
                drop(start);
                let start = self.ask_server()?;
                let group = self
                    .wait_server_ready()
                    .map_err(|lost| self.explain_lost_server(lost.into_error()))?;
                (group, start)
            }
        };
        // The subshell read the request before it said it was ready.
        let _ = remove_if_present(&self.request_path());
        Ok((group, start))
    }

    /// The requested step's process group once its subshell is ready; a server that cannot say
    /// is dropped.
    fn wait_server_ready(&mut self) -> Result<nix::unistd::Pid, ServerLost> {
        let ready = match self.server.as_mut() {
            Some(server) => server.wait_ready(),
            None => Err(ServerLost::gone()),
        };
        if ready.is_err() {
            self.server = None;
        }
        ready
    }

    /// Waits for the step to end, then takes over the state it left.
    fn finish(
        &mut self,
        request: &StepRequest,
        sequence: u64,
        finished: FinishedStep,
    ) -> Result<StepOutcome, ExecIoError> {
        // Later entries win, as they do for the spawned process.
        let inherited: HashMap<&str, &str> = self
            .base_env
            .iter()
            .chain(&request.env)
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let dumped = self.read_dump(sequence, &inherited, request.cwd.is_none())?;
        let state_updated = match dumped {
            Some(state) => {
                self.adopt(state)?;
                true
            }
            None => false,
        };
        Ok(StepOutcome {
            status: finished.status,
            duration: finished.duration,
            stdout: finished
                .stdout
                .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned()),
            stdout_truncated: finished.stdout_truncated,
            state_updated,
        })
    }

    /// A server that dies twice before answering is most often a shell that is not bash (the
    /// front matter's `shell = "sh"`, say): say so, rather than only that it ended.
    fn explain_lost_server(&self, error: ExecIoError) -> ExecIoError {
        let probe = std::process::Command::new(&self.shell)
            .args(["-c", "printf %s \"${BASH_VERSION-}\""])
            .env_clear()
            .envs(self.base_env.iter().map(|(name, value)| (name, value)))
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        match probe {
            Ok(output) if output.stdout.is_empty() => ExecIoError::InvalidConfig {
                reason: format!(
                    "`{}` is not bash; steps run with bash (set `shell` in the front matter to \
                     bash or a path to it)",
                    self.shell.display()
                ),
            },
            _ => error,
        }
    }

    fn request_path(&self) -> PathBuf {
        self.state_dir.path().join("request")
    }

    fn fifo_paths(&self) -> (PathBuf, PathBuf) {
        (
            self.state_dir.path().join("stdout"),
            self.state_dir.path().join("stderr"),
        )
    }

    /// New FIFOs for the step's stdout and stderr, opened for reading (without blocking, so no
    /// writer is needed yet). New ones each step: a background job of an earlier step that still
    /// holds its FIFO open can never write into a later step's output.
    fn fresh_output_fifos(&self) -> Result<(File, File), ExecIoError> {
        let (out_fifo, err_fifo) = self.fifo_paths();
        let open = |path: &Path| {
            let error = |source| ExecIoError::PrepareStep {
                path: path.to_owned(),
                source,
            };
            remove_if_present(path).map_err(error)?;
            nix::unistd::mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR)
                .map_err(|errno| error(io::Error::from(errno)))?;
            OpenOptions::new()
                .read(true)
                .custom_flags(OFlag::O_NONBLOCK.bits())
                .open(path)
                .map_err(error)
        };
        Ok((open(&out_fifo)?, open(&err_fifo)?))
    }

    /// The shell program on the `PATH` a step with `step_env` gets.
    fn resolve_shell(&mut self, step_env: &[(String, String)]) -> PathBuf {
        // Later entries win, as they do for the spawned process.
        let search_path = self
            .base_env
            .iter()
            .chain(step_env)
            .rev()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| value.as_str());
        self.shell_lookup.resolve(&self.shell, search_path)
    }

    /// The wrapper's own variables (see [`crate::process_bash_wrapper`]).
    fn control_environment(
        &self,
        start_dir: &Path,
        sequence: u64,
        request: &StepRequest,
    ) -> Vec<(OsString, OsString)> {
        let mut environment: Vec<(OsString, OsString)> =
            Vec::with_capacity(5 + request.positional_args.len());
        let state_in = if !self.state_file_contents.is_empty() {
            self.state_path.clone().into_os_string()
        } else {
            OsString::new()
        };
        environment.push((STATE_IN_VARIABLE.into(), state_in));
        environment.push((
            DUMP_OUT_VARIABLE.into(),
            self.dump_path.clone().into_os_string(),
        ));
        environment.push((SEQUENCE_VARIABLE.into(), sequence.to_string().into()));
        environment.push((STEP_CWD_VARIABLE.into(), start_dir.as_os_str().to_owned()));
        environment.push((
            ARG_COUNT_VARIABLE.into(),
            request.positional_args.len().to_string().into(),
        ));
        for (index, argument) in request.positional_args.iter().enumerate() {
            environment.push((
                format!("{ARG_VARIABLE_PREFIX}{}", index + 1).into(),
                argument.into(),
            ));
        }
        environment
    }

    /// The state the step's shell dumped, if it finished dumping. A step that ran in
    /// a directory of its own (`StepRequest::cwd`) leaves the carried working directory alone.
    ///
    /// The dump is removed once read: it lists every variable the step had, the values runbook
    /// passed it (secrets among them) included, which are not carried. The sequence number in
    /// its completion marker keeps a stale dump (a background job of the step may still write
    /// one) from ever being taken for a newer one.
    ///
    /// `None` when the shell did not finish dumping (killed, `exec`ed, or its own EXIT trap
    /// replaced ours): the previous state then stays.
    fn read_dump(
        &self,
        sequence: u64,
        inherited: &HashMap<&str, &str>,
        carry_cwd: bool,
    ) -> Result<Option<CarriedState>, ExecIoError> {
        let dump = match fs::read(&self.dump_path) {
            Ok(dump) => {
                remove_if_present(&self.dump_path).map_err(|source| ExecIoError::WriteState {
                    path: self.dump_path.clone(),
                    source,
                })?;
                dump
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ExecIoError::ReadState {
                    path: self.dump_path.clone(),
                    source,
                });
            }
        };
        let complete = dump.ends_with(format!("{COMPLETE_MARKER} {sequence}\n").as_bytes());
        let state = complete
            .then(|| CarriedState::from_dump(&dump, sequence, inherited, &self.carried))
            .transpose()
            .map_err(|reason| ExecIoError::MalformedStateDump {
                path: self.dump_path.clone(),
                reason,
            });
        Ok(state?.map(|state| {
            if carry_cwd {
                state
            } else {
                state.with_cwd(self.carried.cwd().to_owned())
            }
        }))
    }

    /// Makes `state` the carried state, writing its script atomically (temp file + rename) so a
    /// crash never leaves a half-written state behind.
    fn adopt(&mut self, state: CarriedState) -> Result<(), ExecIoError> {
        let write_error = |source| ExecIoError::WriteState {
            path: self.state_path.clone(),
            source,
        };
        if !state.has_script() {
            if !self.state_file_contents.is_empty() {
                remove_if_present(&self.state_path).map_err(write_error)?;
                self.state_file_contents.clear();
            }
        } else {
            let contents = state.render();
            // Most steps leave the state as it was; rewriting it would only cost time.
            if contents != self.state_file_contents {
                let temporary = self.state_dir.path().join("state.tmp");
                fs::write(&temporary, &contents).map_err(write_error)?;
                fs::rename(&temporary, &self.state_path).map_err(write_error)?;
                self.state_file_contents = contents;
            }
        }
        self.variables = state.variables();
        self.carried = state;
        Ok(())
    }
}

/// A captured step the server was asked to start: the read ends of its output FIFOs.
struct ServedStart {
    stdout: File,
    stderr: File,
}

/// A step whose shell is ready but has run nothing of the step yet (see
/// [`ShellSession::prepare`]). Dropping it without [`run`](Self::run) cancels the step.
pub struct PreparedStep<'a> {
    session: &'a mut ShellSession,
    request: StepRequest,
    file_name: String,
    sequence: u64,
    start_dir: PathBuf,
    served: Option<ServedStart>,
}

impl PreparedStep<'_> {
    /// Runs the step and waits for it, streaming captured output to `on_output` as it arrives.
    ///
    /// Blocks the calling thread. A step that fails, times out or is interrupted is an `Ok`
    /// outcome; errors mean the step could not be run or its state could not be kept.
    pub fn run(
        mut self,
        interrupter: &Interrupter,
        on_output: &mut dyn FnMut(OutputChunk),
    ) -> Result<StepOutcome, ExecIoError> {
        let session = &mut *self.session;
        let request = &self.request;
        let supervision = Supervision {
            timeout: request.timeout,
            kill_grace: session.kill_grace,
            capture_stdout: request.capture_stdout && request.io == StepIo::Captured,
        };
        let finished = match self.served.take() {
            Some(start) => {
                let (group, ServedStart { stdout, stderr }) = session.wait_served_ready(start)?;
                let Some(server) = session.server.as_mut() else {
                    return Err(ServerLost::gone().into_error());
                };
                let started = Instant::now();
                if let Err(lost) = server.release(true) {
                    session.server = None;
                    return Err(lost.into_error());
                }
                StepProcess::served(server, group, started, stdout, stderr).supervise(
                    &supervision,
                    &session.waker,
                    interrupter,
                    on_output,
                )?
            }
            None => {
                let control_env =
                    session.control_environment(&self.start_dir, self.sequence, request);
                let program = session.resolve_shell(&request.env);
                let launch = StepLaunch {
                    shell: &session.shell,
                    program: &program,
                    args: &["--noprofile", "--norc", "-c", WRAPPER, &self.file_name],
                    start_dir: &session.scripts_dir,
                    inherited_env: [&session.base_env, &request.env],
                    control_env: &control_env,
                    io: request.io,
                };
                StepProcess::spawn(&launch)?.supervise(
                    &supervision,
                    &session.waker,
                    interrupter,
                    on_output,
                )?
            }
        };
        session.finish(request, self.sequence, finished)
    }
}

impl Drop for PreparedStep<'_> {
    fn drop(&mut self) {
        // Not run: the subshell is told to end without running anything. If even that fails, the
        // server is replaced so that its protocol never gets out of step. The FIFOs stay open
        // until then: the subshell opens them before it is ready.
        if let Some(fifos) = self.served.take() {
            if let Some(server) = self.session.server.as_mut()
                && server.cancel_step().is_err()
            {
                self.session.server = None;
            }
            let _ = remove_if_present(&self.session.request_path());
            drop(fifos);
        }
    }
}

/// Lists variable names only: values may be secrets.
impl std::fmt::Debug for ShellSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShellSession")
            .field("shell", &self.shell)
            .field("cwd", &self.carried.cwd())
            .field("state_dir", &self.state_dir.path())
            .field("variables", &self.variables.keys().collect::<Vec<_>>())
            .field("next_sequence", &self.next_sequence)
            .finish_non_exhaustive()
    }
}

fn create_state_dir(parent: Option<&Path>) -> Result<tempfile::TempDir, ExecIoError> {
    let candidates: Vec<PathBuf> = match parent {
        Some(parent) => vec![parent.to_owned()],
        None => std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from("/dev/shm"), std::env::temp_dir()])
            .collect(),
    };
    let mut last_error = None;
    let prefix = format!("{STATE_DIR_PREFIX}{}-", std::process::id());
    for candidate in candidates {
        remove_abandoned_state_dirs(&candidate);
        let created = tempfile::Builder::new()
            .prefix(&prefix)
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(&candidate)
            // The umask can only remove bits, but make sure nobody else can enter.
            .and_then(|dir| {
                fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).map(|()| dir)
            });
        match created {
            Ok(dir) => return Ok(dir),
            Err(source) => last_error = Some((candidate, source)),
        }
    }
    let (parent, source) = last_error.unwrap_or_else(|| {
        (
            PathBuf::new(),
            io::Error::new(io::ErrorKind::NotFound, "no candidate directory"),
        )
    });
    Err(ExecIoError::CreateStateDir { parent, source })
}

/// Start of the name of every session's private directory, followed by the owner's pid and `-`.
const STATE_DIR_PREFIX: &str = "runbook-shell-";

/// Removes the private directories in `parent` that sessions of runbook processes that no longer
/// exist left behind (killed with SIGKILL, or the machine lost power on a disk-backed directory).
/// Only directories of this user whose named owner is gone are touched; best effort.
fn remove_abandoned_state_dirs(parent: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let me = nix::unistd::geteuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|name| name.strip_prefix(STATE_DIR_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
            .filter(|&pid| pid > 0)
        else {
            continue;
        };
        let owner_gone = matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(owner), None),
            Err(nix::errno::Errno::ESRCH)
        );
        let path = entry.path();
        let mine = fs::symlink_metadata(&path)
            .is_ok_and(|metadata| metadata.is_dir() && metadata.uid() == me);
        if owner_gone && mine {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

fn absolute(path: &Path) -> io::Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_owned())
    } else {
        Ok(std::env::current_dir()?.join(path))
    }
}

fn check_directory(path: &Path, what: &str) -> Result<(), ExecIoError> {
    let reason = match fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => return Ok(()),
        Ok(_) => format!("{what} is not a directory"),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            format!("{what} does not exist (an earlier step may have removed it)")
        }
        Err(error) => format!("{what} is not accessible: {error}"),
    };
    Err(ExecIoError::WorkingDirectory {
        path: path.to_owned(),
        reason,
    })
}

fn check_env_entry(name: &str, value: &str) -> Result<(), ExecIoError> {
    let reason = if name.is_empty() {
        "the name is empty"
    } else if name.contains('=') {
        "the name contains `=`"
    } else if name.contains('\0') {
        "the name contains a NUL byte"
    } else if value.contains('\0') {
        "the value contains a NUL byte"
    } else {
        return Ok(());
    };
    Err(ExecIoError::InvalidEnvironment {
        name: name.to_owned(),
        reason: reason.to_owned(),
    })
}

fn check_step_env_entry(name: &str, value: &str) -> Result<(), ExecIoError> {
    check_env_entry(name, value)?;
    let reason = if !is_shell_identifier(name) {
        "it is not a shell variable name (letters, digits and `_`, not starting with a digit)"
    } else if SHELL_STARTUP_VARIABLES.contains(&name) {
        "it would change how bash starts"
    } else if is_shell_internal(name) {
        "bash maintains it, or it is reserved for the runbook wrapper"
    } else {
        return Ok(());
    };
    Err(ExecIoError::InvalidEnvironment {
        name: name.to_owned(),
        reason: reason.to_owned(),
    })
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
