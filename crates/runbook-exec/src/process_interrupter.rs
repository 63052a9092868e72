use std::io;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use crate::process_waker::StepWaker;

/// Stops the running step on request, from any thread.
///
/// Semantics:
/// - While a step runs, each [`interrupt`](Self::interrupt) escalates its stop by one level:
///   the first sends SIGINT (to the step's process group in [`crate::StepIo::Captured`] mode, to
///   the shell alone in [`crate::StepIo::Terminal`] mode), the next SIGTERM, then SIGKILL. Without
///   further requests the stop escalates by itself after the session's kill grace. The step's
///   outcome is [`crate::StepStatus::Interrupted`].
/// - While no step runs, an interrupt is only recorded; [`take_pending_interrupt`]
///   (Self::take_pending_interrupt) reports and clears it. `ShellSession::run` neither consumes
///   nor acts on a pending interrupt, so an engine should take it before prompting (a "press
///   Ctrl-C again to quit" prompt takes it once to arm and once to quit).
/// - One step at a time: an `Interrupter` shared by two concurrently running sessions targets
///   whichever step registered last.
#[derive(Clone, Default)]
pub struct Interrupter {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<InterruptState>,
    sigint_handler_installed: AtomicBool,
    shutdown: AtomicBool,
}

#[derive(Default)]
struct InterruptState {
    /// Wakes the running step's supervisor.
    running_step: Option<Arc<UnixStream>>,
    /// Requests the running step's supervisor has not yet acted on.
    step_requests: u32,
    /// An interrupt that arrived while no step was running.
    pending: bool,
}

impl Interrupter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Interrupts the running step, or records the interrupt when none runs.
    pub fn interrupt(&self) {
        let mut state = self.lock();
        if state.running_step.is_none() {
            state.pending = true;
            return;
        }
        state.step_requests += 1;
        if let Some(waker) = &state.running_step {
            StepWaker::wake(waker);
        }
    }

    /// Whether an interrupt arrived while no step was running since the last call.
    pub fn take_pending_interrupt(&self) -> bool {
        std::mem::take(&mut self.lock().pending)
    }

    /// Turns SIGINT delivered to this process (Ctrl-C) into [`interrupt`](Self::interrupt) calls,
    /// and SIGHUP/SIGTERM into [`request_shutdown`](Self::request_shutdown), for the rest of the
    /// process's life: SIGINT no longer terminates the process, the caller
    /// decides when to quit (see [`take_pending_interrupt`](Self::take_pending_interrupt)).
    /// A background thread receives the signal, so the handler itself does nothing unsafe.
    /// Calling it again on this interrupter (or a clone) does nothing; calling it on another
    /// interrupter adds a second receiver.
    pub fn install_sigint_handler(&self) -> io::Result<()> {
        if self
            .shared
            .sigint_handler_installed
            .swap(true, Ordering::SeqCst)
        {
            return Ok(());
        }
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let installed = signal_hook::iterator::Signals::new([SIGINT, SIGHUP, SIGTERM]).and_then(
            |mut signals| {
                let interrupter = self.clone();
                thread::Builder::new()
                    .name("runbook-sigint".to_owned())
                    .spawn(move || {
                        for signal in signals.forever() {
                            if signal == SIGINT {
                                interrupter.interrupt();
                            } else {
                                // The terminal closed (SIGHUP) or someone asked runbook to stop
                                // (SIGTERM): stop the step and let the engine save and pause.
                                interrupter.request_shutdown();
                            }
                        }
                    })
                    .map(drop)
            },
        );
        if installed.is_err() {
            self.shared
                .sigint_handler_installed
                .store(false, Ordering::SeqCst);
        }
        installed
    }

    /// Stops the running step and asks the engine to pause the run with its state saved.
    pub fn request_shutdown(&self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.interrupt();
    }

    /// Whether SIGHUP/SIGTERM (or [`request_shutdown`](Self::request_shutdown)) asked the run to stop.
    pub fn shutdown_requested(&self) -> bool {
        self.shared.shutdown.load(Ordering::SeqCst)
    }

    /// Routes interrupts to a step until the returned registration is dropped.
    pub(crate) fn register_step(&self, waker: Arc<UnixStream>) -> StepRegistration<'_> {
        let mut state = self.lock();
        state.running_step = Some(waker);
        state.step_requests = 0;
        StepRegistration { interrupter: self }
    }

    fn lock(&self) -> MutexGuard<'_, InterruptState> {
        // The state stays consistent even if a holder panicked: every update is a single store.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running step's link to its [`Interrupter`].
pub(crate) struct StepRegistration<'a> {
    interrupter: &'a Interrupter,
}

impl StepRegistration<'_> {
    /// Interrupt requests that arrived since the last call.
    pub(crate) fn take_requests(&self) -> u32 {
        std::mem::take(&mut self.interrupter.lock().step_requests)
    }
}

impl Drop for StepRegistration<'_> {
    fn drop(&mut self) {
        let mut state = self.interrupter.lock();
        state.running_step = None;
        state.step_requests = 0;
    }
}

impl std::fmt::Debug for Interrupter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Interrupter")
            .field("step_running", &state.running_step.is_some())
            .field("pending", &state.pending)
            .finish()
    }
}
