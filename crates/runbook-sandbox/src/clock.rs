/// Current UTC time in RFC 3339 with whole seconds, e.g. `2025-11-05T10:00:00Z`.
pub(crate) fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// UTC time `seconds` from now in RFC 3339.
pub(crate) fn rfc3339_in(seconds: i64) -> String {
    let later = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    later.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_seconds() -> i64 {
    jiff::Timestamp::now().as_second()
}
