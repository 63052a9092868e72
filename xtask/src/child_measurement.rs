//! Wall time and peak memory of one command.
//!
//! `getrusage(RUSAGE_CHILDREN)` reports the largest peak RSS among all children a process ever
//! waited for, so xtask's own earlier children (cargo, rustc) would hide the number we want. Each
//! measurement therefore runs in a fresh `xtask measure-child` process whose only child is the
//! measured command. The peak is that of the largest single process in the measured tree (the
//! `runbook` binary, or a step's `bash`, whichever is bigger), not their sum.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};

/// What one run of a command cost.
#[derive(Debug, Clone, Copy)]
pub struct Measurement {
    pub elapsed: Duration,
    pub peak_kib: u64,
    pub exit_code: i32,
}

impl Measurement {
    pub fn peak_mib(&self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

/// A command to measure: program, arguments, working directory, extra environment.
pub struct MeasuredCommand {
    program: PathBuf,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
}

impl MeasuredCommand {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        MeasuredCommand {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn describe(&self) -> String {
        let mut words = vec![self.program.display().to_string()];
        words.extend(
            self.args
                .iter()
                .map(|arg| arg.to_string_lossy().into_owned()),
        );
        words.join(" ")
    }

    /// Runs the command in a fresh `xtask measure-child` process.
    pub fn run(&self) -> Result<Measurement, String> {
        let xtask =
            std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
        let mut command = Command::new(xtask);
        command
            .arg("measure-child")
            .arg(&self.program)
            .arg("--")
            .args(&self.args);
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        command.envs(self.env.iter().map(|(name, value)| (name, value)));
        let output = command
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run xtask measure-child: {e}"))?;
        if !output.status.success() {
            return Err(format!("measuring `{}` failed", self.describe()));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        let parse = |index: usize| {
            fields
                .get(index)
                .and_then(|field| field.parse::<i64>().ok())
        };
        match (parse(0), parse(1), parse(2)) {
            (Some(nanos), Some(peak), Some(code)) => Ok(Measurement {
                elapsed: Duration::from_nanos(nanos.max(0) as u64),
                peak_kib: peak.max(0) as u64,
                exit_code: code as i32,
            }),
            _ => Err(format!(
                "unexpected measure-child output for `{}`: {text:?}",
                self.describe()
            )),
        }
    }
}

/// `xtask measure-child`: runs the program with its output discarded, then prints wall nanoseconds, the peak RSS in KiB
/// and the exit code (-1 when killed by a signal). The program's stderr is shown only when it
/// fails, so benchmark output stays readable.
pub fn measure_child_main(program: &Path, args: &[String]) -> Result<(), String> {
    let args = match args.first() {
        Some(first) if first == "--" => &args[1..],
        _ => args,
    };
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    // Read stderr while the child runs so a chatty child cannot block on a full pipe.
    let mut stderr = Vec::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_end(&mut stderr);
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for {}: {e}", program.display()))?;
    let elapsed = started.elapsed();
    let peak_kib = getrusage(UsageWho::RUSAGE_CHILDREN)
        .map_err(|e| format!("getrusage: {e}"))?
        .max_rss();
    let exit_code = status.code().unwrap_or(-1);
    if !status.success() {
        let text = String::from_utf8_lossy(&stderr);
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines[lines.len().saturating_sub(20)..] {
            eprintln!("  | {line}");
        }
    }
    println!("{} {peak_kib} {exit_code}", elapsed.as_nanos());
    Ok(())
}

/// Median of `values` (the mean of the middle two for an even count); 0 when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
