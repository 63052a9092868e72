//! Times typed by an operator for `mark --at`: RFC 3339, or `HH:MM[:SS]`
//! today (UTC), or a relative `-15m`.

use jiff::{Timestamp, ToSpan};

pub fn parse_time(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp);
    }
    if let Some(ago) = text.strip_prefix('-') {
        let duration = runbook_syntax::parse_duration(ago)
            .ok_or_else(|| format!("cannot read `{text}` as a time"))?;
        let seconds = i64::try_from(duration.as_secs()).map_err(|_| "too far back".to_string())?;
        return now
            .checked_sub(seconds.seconds())
            .map_err(|error| error.to_string());
    }
    let parts: Vec<&str> = text.split(':').collect();
    if (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
    {
        let number = |index: usize| {
            parts
                .get(index)
                .map(|p| p.parse::<i8>().unwrap_or(-1))
                .unwrap_or(0)
        };
        let (hour, minute, second) = (number(0), number(1), number(2));
        if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0..60).contains(&second) {
            return Err(format!("`{text}` is not a valid time of day"));
        }
        let date = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let civil = date.at(hour, minute, second, 0);
        return civil
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|zoned| zoned.timestamp())
            .map_err(|error| error.to_string());
    }
    Err(format!(
        "cannot read `{text}` as a time: use RFC 3339 (2024-05-01T14:03:00Z), HH:MM (UTC today) or -15m"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let now: Timestamp = "2026-11-23T10:30:00Z".parse().unwrap();
        assert_eq!(
            parse_time("2026-11-23T09:00:00Z", now).unwrap().to_string(),
            "2026-11-23T09:00:00Z"
        );
        assert_eq!(
            parse_time("09:15", now).unwrap().to_string(),
            "2026-11-23T09:15:00Z"
        );
        assert_eq!(
            parse_time("-15m", now).unwrap().to_string(),
            "2026-11-23T10:15:00Z"
        );
        assert!(parse_time("25:00", now).is_err());
        assert!(parse_time("yesterday", now).is_err());
    }
}
