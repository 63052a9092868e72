use crate::workspace_root;
use std::path::Path;
use std::process::{Command, Stdio};

pub fn run(filter: Option<&str>) -> Result<(), String> {
    let wants = |name: &str| filter.is_none_or(|filter| name.contains(filter));
    if wants("parse") {
        parse_benchmark()?;
    }
    Ok(())
}

fn cargo(args: &[&str]) -> Result<(), String> {
    let status = Command::new(env!("CARGO")).args(args).current_dir(workspace_root()).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cargo {} failed", args.join(" "))) }
}

/// Mean time in nanoseconds of a criterion benchmark, from its saved estimates.
fn criterion_mean_ns(group: &str, id: &str) -> Result<f64, String> {
    let path = workspace_root().join("target/criterion").join(group).join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("bad estimates in {}: {e}", path.display()))?;
    json["mean"]["point_estimate"].as_f64().ok_or_else(|| format!("no mean in {}", path.display()))
}

/// Peak resident memory in KiB of a child process running `program args`.
pub fn peak_rss_kib(program: &Path, args: &[&str]) -> Result<i64, String> {
    let before = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).map_err(|e| e.to_string())?.max_rss();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if !status.success() {
        return Err(format!("{} {} failed: {status}", program.display(), args.join(" ")));
    }
    let after = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).map_err(|e| e.to_string())?.max_rss();
    // ru_maxrss of children is the maximum over all waited-for children so far.
    Ok(after.max(before))
}

fn parse_benchmark() -> Result<(), String> {
    println!("== parse: 5 MB runbook, 10,000 code blocks (parse + graph vs bare pulldown-cmark walk)");
    cargo(&["bench", "-p", "runbook-graph", "--bench", "parse", "--", "--noplot"])?;
    let group = "parse-5mb-10k-blocks";
    let walk = criterion_mean_ns(group, "pulldown-walk")?;
    let ours = criterion_mean_ns(group, "parse-and-graph")?;
    println!("pulldown walk   {:>8.2} ms", walk / 1e6);
    println!("parse + graph   {:>8.2} ms", ours / 1e6);
    println!("ratio           {:>8.2}x  (target ≤ 1.5x)", ours / walk);

    cargo(&["build", "--release", "-q", "-p", "runbook-cli"])?;
    let dir = workspace_root().join("target/bench-data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("generated-5mb.md");
    let text = runbook_graph::generate_runbook(5 * 1024 * 1024, 10_000);
    std::fs::write(&file, &text).map_err(|e| e.to_string())?;
    let binary = workspace_root().join("target/release/runbook");
    let file_arg = file.to_string_lossy().into_owned();
    let peak = peak_rss_kib(&binary, &["list", &file_arg, "--json"])?;
    println!(
        "peak memory of `runbook list --json` on it: {:.1} MiB ({:.1}x the file size)",
        peak as f64 / 1024.0,
        peak as f64 * 1024.0 / text.len() as f64
    );
    Ok(())
}
