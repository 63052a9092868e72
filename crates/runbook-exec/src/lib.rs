//! Runs runbook steps with a person at the keyboard (or unattended).
//!
//! The [`Engine`] walks a plan of steps from a [`runbook_graph::StepGraph`],
//! asks the operator through a [`Prompter`], runs shell in a
//! [`ShellSession`] that carries variables and the working directory from
//! step to step, and reports everything as [`Event`]s to an [`EventSink`].
//! It never prints: the CLI renders events, the timeline records them.

pub mod command_render;
mod engine;
mod event;
mod event_sink;
mod process_bash_wrapper;
mod process_carried_state;
mod process_declare_statement;
mod process_error;
mod process_interrupter;
mod process_output;
mod process_step_outcome;
mod process_step_request;
mod process_step_server;
mod process_waker;
mod prompter;
mod shell_session;
mod step_process;
mod variable_store;

pub use engine::{Engine, EngineConfig, RunHeader, RunOutcome, humanize};
pub use event::{Event, RunMode, RunStatus, StepResult, StepStatusLine, StepView, ValueSource};
pub use event_sink::{CollectingSink, EventSink, SinkError, Sinks};
pub use process_carried_state::CarriedVariable;
pub use process_error::ExecIoError;
pub use process_interrupter::Interrupter;
pub use process_output::{OutputChunk, OutputStream};
pub use process_step_outcome::{StepOutcome, StepStatus};
pub use process_step_request::{StepIo, StepRequest};
pub use prompter::{
    FailureAction, FailureView, JumpTarget, ManualAction, MarkRequest, PromptError, PromptResult,
    Prompter, StepAction, ValueRequest,
};
pub use shell_session::{PreparedStep, ShellConfig, ShellSession};
pub use variable_store::{Variable, VariableStore};
