//! `parse`: parse + graph of a 5 MB runbook with 10,000 code blocks (criterion, in process) vs a
//! bare pulldown-cmark walk over the same text with the same options, the same with every step's
//! (lazily computed) inputs and risk flags forced, and the peak memory of `runbook list --json`.

use crate::bench::cargo;
use crate::child_measurement::MeasuredCommand;
use crate::summary_table::SummaryRow;
use crate::workspace_root;
use std::path::Path;

pub fn run(binary: Option<&Path>) -> Result<Vec<SummaryRow>, String> {
    println!(
        "== parse: 5 MB runbook, 10,000 code blocks (parse + graph vs bare pulldown-cmark walk)"
    );
    cargo(&[
        "bench",
        "-p",
        "runbook-graph",
        "--bench",
        "parse",
        "--",
        "--noplot",
    ])?;
    let group = "parse-5mb-10k-blocks";
    let walk = criterion_mean_ns(group, "pulldown-walk")?;
    let ours = criterion_mean_ns(group, "parse-and-graph")?;
    let analysed = criterion_mean_ns(group, "parse-graph-and-analysis")?;
    println!("pulldown walk                       {:>8.2} ms", walk / 1e6);
    println!(
        "parse + graph                       {:>8.2} ms  {:>6.2}x  (target <= 1.5x)",
        ours / 1e6,
        ours / walk
    );
    println!(
        "parse + graph + per-step analysis   {:>8.2} ms  {:>6.2}x",
        analysed / 1e6,
        analysed / walk
    );

    let binary = match binary {
        Some(binary) => binary.to_path_buf(),
        None => {
            cargo(&["build", "--release", "-q", "-p", "runbook-cli"])?;
            workspace_root().join("target/release/runbook")
        }
    };
    let dir = workspace_root().join("target/bench-data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("generated-5mb.md");
    let text = runbook_graph::generate_runbook(5 * 1024 * 1024, 10_000);
    std::fs::write(&file, &text).map_err(|e| e.to_string())?;
    let measured = MeasuredCommand::new(&binary)
        .arg("list")
        .arg(&file)
        .arg("--json")
        .run()?;
    if measured.exit_code != 0 {
        return Err(format!(
            "`runbook list` failed with exit code {}",
            measured.exit_code
        ));
    }
    println!(
        "peak memory of `runbook list --json` on it: {:.1} MiB ({:.1}x the file size)",
        measured.peak_mib(),
        measured.peak_kib as f64 * 1024.0 / text.len() as f64
    );
    Ok(vec![
        SummaryRow {
            ours: format!("{:.1} ms", ours / 1e6),
            baseline: format!("{:.1} ms walk", walk / 1e6),
            ratio: Some(ours / walk),
            ratio_target: Some(1.5),
            peak_mib: Some(measured.peak_mib()),
            ..SummaryRow::new("parse 5 MB (list --json RSS)")
        },
        // The analysis `list --json` and `check` force: reported against the same walk and target.
        SummaryRow {
            ours: format!("{:.1} ms", analysed / 1e6),
            baseline: format!("{:.1} ms walk", walk / 1e6),
            ratio: Some(analysed / walk),
            ratio_target: Some(1.5),
            ..SummaryRow::new("parse 5 MB + per-step analysis")
        },
    ])
}

/// Mean time in nanoseconds of a criterion benchmark, from its saved estimates.
fn criterion_mean_ns(group: &str, id: &str) -> Result<f64, String> {
    let path = workspace_root()
        .join("target/criterion")
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("bad estimates in {}: {e}", path.display()))?;
    json["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("no mean in {}", path.display()))
}
