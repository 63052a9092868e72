//! The table printed at the end of `cargo xtask bench`.

/// One line of the summary: our number, the baseline's, their ratio and peak memory, each
/// against its target.
#[derive(Debug, Clone, Default)]
pub struct SummaryRow {
    pub name: String,
    pub ours: String,
    pub baseline: String,
    /// Ours divided by the baseline (time, or time per unit of work): lower is better.
    pub ratio: Option<f64>,
    pub ratio_target: Option<f64>,
    /// An absolute time target, for benchmarks without a baseline (seconds).
    pub seconds: Option<f64>,
    pub seconds_target: Option<f64>,
    pub peak_mib: Option<f64>,
    pub peak_target_mib: Option<f64>,
}

impl SummaryRow {
    pub fn new(name: impl Into<String>) -> Self {
        SummaryRow {
            name: name.into(),
            ..SummaryRow::default()
        }
    }

    /// Whether every target the row has is met; `None` when it has none.
    fn verdict(&self) -> Option<bool> {
        let checks = [
            self.ratio
                .zip(self.ratio_target)
                .map(|(ratio, target)| ratio <= target),
            self.seconds
                .zip(self.seconds_target)
                .map(|(seconds, target)| seconds < target),
            self.peak_mib
                .zip(self.peak_target_mib)
                .map(|(peak, target)| peak < target),
        ];
        let known: Vec<bool> = checks.into_iter().flatten().collect();
        (!known.is_empty()).then(|| known.iter().all(|met| *met))
    }
}

pub fn print(rows: &[SummaryRow]) {
    if rows.is_empty() {
        return;
    }
    let header = [
        "benchmark",
        "ours",
        "baseline",
        "ratio",
        "target",
        "peak RSS",
        "target",
        "",
    ];
    let mut table: Vec<[String; 8]> = vec![header.map(str::to_string)];
    for row in rows {
        let ratio = row
            .ratio
            .map(|ratio| format!("{ratio:.2}x"))
            .unwrap_or_else(|| "-".into());
        let target = match (row.ratio_target, row.seconds_target) {
            (Some(target), _) => format!("<= {target:.1}x"),
            (None, Some(seconds)) => format!("< {seconds:.1} s"),
            (None, None) => "-".into(),
        };
        let peak = row
            .peak_mib
            .map(|peak| format!("{peak:.1} MiB"))
            .unwrap_or_else(|| "-".into());
        let peak_target = row
            .peak_target_mib
            .map(|target| format!("< {target:.0} MiB"))
            .unwrap_or_else(|| "-".into());
        let verdict = match row.verdict() {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        table.push([
            row.name.clone(),
            row.ours.clone(),
            row.baseline.clone(),
            ratio,
            target,
            peak,
            peak_target,
            verdict.into(),
        ]);
    }
    let mut widths = [0usize; 8];
    for line in &table {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    println!();
    println!("== summary");
    for line in &table {
        let cells: Vec<String> = line
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::SummaryRow;

    #[test]
    fn verdict_needs_every_target_met() {
        let mut row = SummaryRow::new("steps");
        assert_eq!(row.verdict(), None);
        row.ratio = Some(1.1);
        row.ratio_target = Some(1.2);
        row.peak_mib = Some(12.0);
        row.peak_target_mib = Some(10.0);
        assert_eq!(row.verdict(), Some(false));
        row.peak_mib = Some(8.0);
        assert_eq!(row.verdict(), Some(true));
    }
}
