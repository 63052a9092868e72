//! Steps, dependencies, order and checks.
//!
//! [`StepGraph::build`] turns a parsed [`runbook_syntax::Document`] into
//! steps with their inputs and risk flags, resolves `needs`, finds cycles and
//! duplicate names, and computes an execution order. Like parsing, building
//! never fails: problems are diagnostics.

mod diagram;
mod dump;
mod generate;
mod graph_source;
mod input;
mod input_detection;
mod risk;
mod script_offsets;
mod selection;
mod step;
mod step_analysis;
mod step_graph;
mod step_title;

pub use dump::dump;
pub use generate::generate_runbook;
pub use input::{Input, InputKind};
pub use input_detection::{is_secret_name, normalize_placeholder};
pub use risk::{RiskFlags, RiskReason};
pub use selection::Selector;
pub use step::{Step, StepKind};
pub use step_graph::StepGraph;
