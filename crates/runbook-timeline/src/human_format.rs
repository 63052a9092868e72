//! Human-readable times, durations and sizes used by the export.

use jiff::Timestamp;

/// `2024-05-01 14:03:22` (UTC, seconds precision).
pub fn utc_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// `2024-05-01` (UTC).
pub fn utc_date(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

/// `850ms`, `12.3s`, `4m 05s`, `2h 03m 04s`, `1d 02h 03m`; negative durations get a `-`.
pub fn duration_ms(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let seconds = ms / 1000;
    let text = if ms < 1000 {
        format!("{ms}ms")
    } else if seconds < 60 {
        format!("{}.{}s", seconds, (ms % 1000) / 100)
    } else if seconds < 3600 {
        format!("{}m {:02}s", seconds / 60, seconds % 60)
    } else if seconds < 86_400 {
        format!(
            "{}h {:02}m {:02}s",
            seconds / 3600,
            (seconds % 3600) / 60,
            seconds % 60
        )
    } else {
        format!(
            "{}d {:02}h {:02}m",
            seconds / 86_400,
            (seconds % 86_400) / 3600,
            (seconds % 3600) / 60
        )
    };
    format!("{sign}{text}")
}

/// `512 B`, `4.0 KiB`, `1.5 MiB`.
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut value = count as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_ms(0), "0ms");
        assert_eq!(duration_ms(850), "850ms");
        assert_eq!(duration_ms(12_345), "12.3s");
        assert_eq!(duration_ms(245_000), "4m 05s");
        assert_eq!(duration_ms(7_384_000), "2h 03m 04s");
        assert_eq!(duration_ms(93_780_000), "1d 02h 03m");
        assert_eq!(duration_ms(-300_000), "-5m 00s");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4096), "4.0 KiB");
        assert_eq!(bytes(1_572_864), "1.5 MiB");
    }
}
