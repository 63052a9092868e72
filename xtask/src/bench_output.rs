//! `output`: one step printing 256 MiB and 1 GiB through redaction (a secret is registered) and
//! the step log, vs the same stream piped through `cat` into a file; throughput ratio and peak
//! memory, which must stay flat whatever the size.
//!
//! "sparse": the secret never appears (the common case: the matcher scans everything).
//! "dense": every 80-byte line carries the secret (the worst case: a redaction per line).
//!
//! On disk the step log is fsynced when the step ends (the product keeps it durable) while
//! `cat`'s file is not, so the disk cases include waiting for the disk; the tmpfs cases (run
//! state and `cat`'s file on `/dev/shm`) show the streaming cost alone.

use crate::bench::{BenchContext, measure_runbook_run, remove_dir};
use crate::child_measurement::{MeasuredCommand, Measurement, median};
use crate::summary_table::SummaryRow;
use std::path::{Path, PathBuf};

const MIB: u64 = 1024 * 1024;
const RATIO_TARGET: f64 = 1.2;
const PEAK_TARGET_MIB: f64 = 20.0;
const SECRET: &str = "s3cr3t-bench-token-4f9a";
/// Output rounds are long; more than this adds little.
const MAX_ROUNDS: usize = 3;

struct OutputCase {
    name: &'static str,
    bytes: u64,
    /// The shell pipeline printing `bytes` bytes.
    pipeline: &'static str,
    redacts: bool,
    /// Run state and `cat`'s file on `/dev/shm` instead of `target/`.
    on_tmpfs: bool,
}

const SPARSE: &str = r#"yes "INFO request handled in 12ms status=200 path=/api/v1/items user=alice" | head -c "$BENCH_BYTES""#;
const DENSE: &str = r#"yes "INFO auth=$API_TOKEN request handled in 12ms status=200 path=/items" | head -c "$BENCH_BYTES""#;

const CASES: [OutputCase; 5] = [
    OutputCase {
        name: "sparse",
        bytes: 256 * MIB,
        pipeline: SPARSE,
        redacts: false,
        on_tmpfs: false,
    },
    OutputCase {
        name: "sparse",
        bytes: 1024 * MIB,
        pipeline: SPARSE,
        redacts: false,
        on_tmpfs: false,
    },
    OutputCase {
        name: "dense",
        bytes: 256 * MIB,
        pipeline: DENSE,
        redacts: true,
        on_tmpfs: false,
    },
    OutputCase {
        name: "sparse",
        bytes: 1024 * MIB,
        pipeline: SPARSE,
        redacts: false,
        on_tmpfs: true,
    },
    OutputCase {
        name: "dense",
        bytes: 256 * MIB,
        pipeline: DENSE,
        redacts: true,
        on_tmpfs: true,
    },
];

pub fn run(context: &BenchContext) -> Result<Vec<SummaryRow>, String> {
    let rounds = context.rounds.min(MAX_ROUNDS);
    println!(
        "== output: one step printing N bytes through redaction + step log vs `| cat > file` ({rounds} rounds)"
    );
    std::fs::create_dir_all(&context.disk_state_dir).map_err(|e| e.to_string())?;
    let tmpfs = PathBuf::from(format!("/dev/shm/runbook-bench-{}", std::process::id()));
    let mut rows = Vec::new();
    for case in &CASES {
        if case.on_tmpfs && !Path::new("/dev/shm").is_dir() {
            continue;
        }
        let root = if case.on_tmpfs {
            &tmpfs
        } else {
            &context.disk_state_dir
        };
        std::fs::create_dir_all(root)
            .map_err(|e| format!("cannot create {}: {e}", root.display()))?;
        let state_dir = root.join("output");
        let baseline_file = root.join("output-baseline.out");
        let place = if case.on_tmpfs { "tmpfs" } else { "disk" };
        let runbook = context.data_dir.join(format!("output-{}.md", case.name));
        std::fs::write(&runbook, output_runbook(case.pipeline))
            .map_err(|e| format!("cannot write {}: {e}", runbook.display()))?;
        let mut ours_seconds = Vec::new();
        let mut base_seconds = Vec::new();
        let mut ratios = Vec::new();
        let mut peak_kib = 0;
        for round in 0..rounds {
            let (ours, base) = if round % 2 == 0 {
                let base = cat_baseline(context, case, &baseline_file)?;
                (runbook_run(context, case, &runbook, &state_dir)?, base)
            } else {
                let ours = runbook_run(context, case, &runbook, &state_dir)?;
                (ours, cat_baseline(context, case, &baseline_file)?)
            };
            let ours_s = ours.elapsed.as_secs_f64();
            let base_s = base.elapsed.as_secs_f64();
            ours_seconds.push(ours_s);
            base_seconds.push(base_s);
            ratios.push(ours_s / base_s);
            peak_kib = peak_kib.max(ours.peak_kib);
            println!(
                "  {} {} MiB on {place} round {}: runbook {:.0} MiB/s, cat {:.0} MiB/s, {:.2}x, peak RSS {:.1} MiB",
                case.name,
                case.bytes / MIB,
                round + 1,
                mib_per_second(case.bytes, ours_s),
                mib_per_second(case.bytes, base_s),
                ours_s / base_s,
                ours.peak_mib()
            );
        }
        let ours = mib_per_second(case.bytes, median(&ours_seconds));
        let base = mib_per_second(case.bytes, median(&base_seconds));
        let ratio = median(&ratios);
        let peak_mib = peak_kib as f64 / 1024.0;
        println!(
            "{} {} MiB on {place}: runbook {ours:.0} MiB/s vs cat {base:.0} MiB/s: {ratio:.2}x the time (target <= {RATIO_TARGET}x), peak RSS {peak_mib:.1} MiB (target < {PEAK_TARGET_MIB} MiB)",
            case.name,
            case.bytes / MIB
        );
        rows.push(SummaryRow {
            ours: format!("{ours:.0} MiB/s"),
            baseline: format!("{base:.0} MiB/s"),
            ratio: Some(ratio),
            ratio_target: Some(RATIO_TARGET),
            peak_mib: Some(peak_mib),
            peak_target_mib: Some(PEAK_TARGET_MIB),
            ..SummaryRow::new(format!(
                "output {} {} MiB ({place})",
                case.name,
                case.bytes / MIB
            ))
        });
        remove_dir(&state_dir)?;
        let _ = std::fs::remove_file(&baseline_file);
    }
    remove_dir(&tmpfs)?;
    Ok(rows)
}

fn mib_per_second(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / MIB as f64 / seconds
}

/// One step running `pipeline`, with `API_TOKEN` declared secret. `yes` never ends by itself as
/// far as the step graph knows, so the step has a timeout to run unattended.
fn output_runbook(pipeline: &str) -> String {
    format!(
        "+++\ntitle = \"Output benchmark\"\n[vars.API_TOKEN]\nsecret = true\n+++\n\n# Output\n\n```bash {{timeout=1h}}\n{pipeline}\n```\n"
    )
}

fn cat_baseline(
    context: &BenchContext,
    case: &OutputCase,
    file: &Path,
) -> Result<Measurement, String> {
    let script = format!("{} | cat > \"$BENCH_OUT\"", case.pipeline);
    let measured = MeasuredCommand::new("bash")
        .arg("-c")
        .arg(script)
        .env("BENCH_BYTES", case.bytes.to_string())
        .env("BENCH_OUT", file)
        .env("API_TOKEN", SECRET)
        .current_dir(&context.data_dir)
        .run()?;
    let written = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(file);
    if measured.exit_code != 0 || written != case.bytes {
        return Err(format!(
            "the cat baseline failed (exit code {}, {written} bytes written)",
            measured.exit_code
        ));
    }
    Ok(measured)
}

fn runbook_run(
    context: &BenchContext,
    case: &OutputCase,
    runbook: &Path,
    state_dir: &Path,
) -> Result<Measurement, String> {
    let measured = measure_runbook_run(context, runbook, state_dir, |command| {
        command
            .arg("--var")
            .arg(format!("API_TOKEN={SECRET}"))
            .env("BENCH_BYTES", case.bytes.to_string())
    })?;
    let (bytes, redactions) = step_output_totals(state_dir)?;
    remove_dir(state_dir)?;
    // The log holds the redacted stream: as long as the input without redactions, longer with.
    // Dense lines are about 80 bytes; allow for the line length changing.
    let expected_redactions = if case.redacts { case.bytes / 128 } else { 0 };
    if (!case.redacts && (bytes != case.bytes || redactions != 0))
        || (case.redacts && redactions < expected_redactions)
    {
        return Err(format!(
            "the step log holds {bytes} bytes with {redactions} redactions; expected {} bytes, {}",
            case.bytes,
            if case.redacts {
                "a redaction per line"
            } else {
                "none"
            }
        ));
    }
    Ok(measured)
}

/// Bytes and redactions recorded by the run's `step.output` events.
fn step_output_totals(state_dir: &Path) -> Result<(u64, u64), String> {
    let runs = state_dir.join("runs");
    let run: PathBuf = std::fs::read_dir(&runs)
        .map_err(|e| format!("cannot read {}: {e}", runs.display()))?
        .flatten()
        .map(|entry| entry.path())
        .next()
        .ok_or_else(|| format!("no run in {}", runs.display()))?;
    let timeline = std::fs::read_to_string(run.join("timeline.jsonl"))
        .map_err(|e| format!("cannot read the timeline: {e}"))?;
    let mut totals = (0, 0);
    for line in timeline.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if event["kind"] == "step.output" {
            totals.0 += event["data"]["bytes"].as_u64().unwrap_or(0);
            totals.1 += event["data"]["redactions"].as_u64().unwrap_or(0);
        }
    }
    Ok(totals)
}
