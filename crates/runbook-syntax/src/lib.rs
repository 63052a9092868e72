//! Markdown runbooks to a [`Document`] with spans.
//!
//! Invariant: parsing never fails and never panics. [`parse`] returns the
//! document plus [`Diagnostic`]s, each tied to a [`Span`].

mod attributes;
mod block_content;
mod block_queue;
mod chunk_split;
mod classify;
mod diagnostic;
mod document;
mod front_matter;
mod known_commands;
mod parser;
pub mod shell_scan;
mod source_file;
mod span;
mod text_lines;
mod two_cores;

pub use attributes::{
    Confirm, Expect, FenceInfo, INCIDENT_MARKS, KNOWN_ATTRIBUTES, RawAttribute, StepAttributes,
    parse_duration, parse_fence_info,
};
pub use block_content::{
    BlockClass, BlockContent, BodyLine, ForeignSegment, ManualLine, ManualLineKind, Script,
};
pub use classify::classify;
pub use diagnostic::{Diagnostic, Label, Severity, did_you_mean};
pub use document::{
    CodeBlock, Document, DocumentText, FenceKind, InstructionItem, Item, ItemKind, Section,
    SectionId, TaskItem,
};
pub use front_matter::{FrontMatter, FrontMatterFormat, VarSpec};
pub use known_commands::{KNOWN_COMMANDS, is_known_command, is_shell_language};
pub use parser::{markdown_options, parse, parse_bytes, parse_bytes_owned, parse_owned, slugify};
pub use source_file::{Location, SourceFile};
pub use span::{Span, Spanned};
pub use two_cores::{drop_shared_in_halves, second_core_available};
