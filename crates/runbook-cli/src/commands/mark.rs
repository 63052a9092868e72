//! `runbook mark` and `runbook severity`: incident milestones and severity,
//! appended to a run's timeline from any terminal.

use crate::cli::{MarkArgs, MilestoneArg, SeverityArgs};
use crate::commands::note::{append, target_run};
use crate::commands::runs;
use crate::time_input::parse_time;
use crate::usage_error;
use jiff::{SignedDuration, Timestamp};
use runbook_timeline::{EventDraft, Milestone, SeverityChanged, TimestampSet};
use std::process::ExitCode;

/// Marks more than this far ahead are accepted with a warning: clocks differ a little.
const FUTURE_TOLERANCE: SignedDuration = SignedDuration::from_secs(60);

pub fn run(args: &MarkArgs) -> Result<(), ExitCode> {
    let now = Timestamp::now();
    let at = match &args.at {
        Some(text) => parse_time(text, now).map_err(|message| usage_error(&message))?,
        None => now,
    };
    if at.duration_since(now) > FUTURE_TOLERANCE {
        eprintln!("warning: {} UTC is in the future", runs::utc_time(at));
    }
    let which = milestone(args.which);
    let state_dir = runs::state_dir(&args.state);
    let run = target_run(&state_dir, args.run.as_deref())?;
    let event = append(&run, EventDraft::new(TimestampSet { which, at }))?;
    println!(
        "marked {} at {} UTC in run {} (event {})",
        which.label(),
        runs::utc_time(at),
        run.id(),
        event.seq
    );
    Ok(())
}

pub fn severity(args: &SeverityArgs) -> Result<(), ExitCode> {
    let severity = args.severity.trim();
    if severity.is_empty() || severity.contains('\n') {
        return Err(usage_error(
            "the severity must be one non-empty line, such as SEV2",
        ));
    }
    let state_dir = runs::state_dir(&args.state);
    let run = target_run(&state_dir, args.run.as_deref())?;
    let event = append(
        &run,
        EventDraft::new(SeverityChanged {
            severity: severity.to_string(),
        }),
    )?;
    println!(
        "severity of run {} set to {severity} (event {})",
        run.id(),
        event.seq
    );
    Ok(())
}

fn milestone(which: MilestoneArg) -> Milestone {
    match which {
        MilestoneArg::ImpactStarted => Milestone::ImpactStarted,
        MilestoneArg::Detected => Milestone::Detected,
        MilestoneArg::Acknowledged => Milestone::Acknowledged,
        MilestoneArg::Mitigated => Milestone::Mitigated,
        MilestoneArg::Resolved => Milestone::Resolved,
    }
}
