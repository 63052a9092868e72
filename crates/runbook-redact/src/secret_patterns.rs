//! The byte patterns under which a secret value can show up in command output.
//!
//! Commands rarely print a secret only verbatim: they base64 it into basic-auth headers, embed it
//! into larger base64 payloads (`echo -n "user:$TOKEN" | base64`), or percent-encode it into URLs.
//! Every form we can predict from the secret alone becomes a pattern.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

/// Secrets shorter than this are not pattern-matched: a 1–3 byte pattern (and its base64 core)
/// would match all over ordinary output and make it unreadable.
pub const MIN_SECRET_LEN: usize = 4;

/// RFC 3986 unreserved characters stay literal (curl `--data-urlencode`, `jq @uri`,
/// Python `quote(s, safe="")`).
const RFC3986_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// JavaScript `encodeURIComponent` additionally keeps `!*'()` literal.
const JS_URI_COMPONENT: &AsciiSet = &RFC3986_COMPONENT
    .remove(b'!')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Python's `urllib.parse.quote(s)` default keeps `/` literal.
const PYTHON_QUOTE_DEFAULT: &AsciiSet = &RFC3986_COMPONENT.remove(b'/');

/// `application/x-www-form-urlencoded` (HTML forms, Python `urlencode`): keeps `*-._`, and
/// spaces become `+` afterwards.
const FORM_URLENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// Every pattern for `value`, deduplicated, each at least [`MIN_SECRET_LEN`] bytes long.
/// Returns nothing for a value shorter than [`MIN_SECRET_LEN`] once whitespace is trimmed.
pub fn patterns_for(value: &[u8]) -> Vec<Vec<u8>> {
    if value.trim_ascii().len() < MIN_SECRET_LEN {
        return Vec::new();
    }
    let mut patterns: Vec<Vec<u8>> = Vec::new();
    let mut add = |pattern: Vec<u8>| {
        if pattern.len() >= MIN_SECRET_LEN && !patterns.contains(&pattern) {
            patterns.push(pattern);
        }
    };
    for base in base_values(value) {
        add(base.to_vec());
        for encoded in percent_encodings(base) {
            add(encoded);
        }
        for encoded in base64_encodings(base) {
            add(encoded);
        }
    }
    patterns
}

/// The value itself and, when it differs, the value without surrounding whitespace: a secret read
/// from a file often carries a trailing newline that commands do not print.
fn base_values(value: &[u8]) -> Vec<&[u8]> {
    let trimmed = value.trim_ascii();
    if trimmed.len() == value.len() {
        vec![value]
    } else {
        vec![value, trimmed]
    }
}

fn percent_encodings(value: &[u8]) -> Vec<Vec<u8>> {
    let mut encodings = Vec::new();
    for set in [
        RFC3986_COMPONENT,
        JS_URI_COMPONENT,
        PYTHON_QUOTE_DEFAULT,
        NON_ALPHANUMERIC,
    ] {
        let upper = percent_encode(value, set).to_string();
        encodings.push(lowercase_percent_hex(&upper).into_bytes());
        encodings.push(upper.into_bytes());
    }
    let form = percent_encode(value, FORM_URLENCODED)
        .to_string()
        .replace("%20", "+");
    encodings.push(lowercase_percent_hex(&form).into_bytes());
    encodings.push(form.into_bytes());
    encodings
}

/// Encoders emit `%2F`; some (and hand-written code) emit `%2f`.
fn lowercase_percent_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for hex in chars.by_ref().take(2) {
                out.push(hex.to_ascii_lowercase());
            }
        }
    }
    out
}

/// The complete encodings of `value` (standard and URL-safe alphabets, padded and unpadded), plus,
/// for each of the three byte alignments the value can have inside a larger payload, the run of
/// base64 characters that depends on the value's bits alone.
pub fn base64_encodings(value: &[u8]) -> Vec<Vec<u8>> {
    let mut encodings = Vec::new();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        encodings.push(engine.encode(value).into_bytes());
    }
    for shift in 0..3 {
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            if let Some(core) = base64_stable_core(value, shift, engine) {
                encodings.push(core);
            }
        }
    }
    encodings
}

/// With `shift` unknown bytes before the value, base64 character `i` covers payload bits
/// `6i..6i+6`; the characters whose six bits all fall inside the value's bits
/// `8*shift..8*(shift+len)` are the same whatever surrounds the value.
fn base64_stable_core(
    value: &[u8],
    shift: usize,
    engine: &base64::engine::GeneralPurpose,
) -> Option<Vec<u8>> {
    let mut payload = vec![0u8; shift];
    payload.extend_from_slice(value);
    let encoded = engine.encode(&payload).into_bytes();
    let first_stable = (8 * shift).div_ceil(6);
    let end_stable = (8 * (shift + value.len())) / 6;
    (end_stable > first_stable).then(|| encoded[first_stable..end_stable].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_have_no_patterns() {
        assert!(patterns_for(b"abc").is_empty());
        // Whitespace padding does not make a short secret long enough to match safely.
        assert!(patterns_for(b"  ab \n").is_empty());
        assert!(patterns_for(b"    ").is_empty());
    }

    #[test]
    fn stable_core_matches_basic_auth_header() {
        // `curl -u user:hunter22` sends base64("user:hunter22"); the secret starts at byte 5,
        // i.e. alignment 2.
        let header = STANDARD.encode(b"user:hunter22");
        let patterns = patterns_for(b"hunter22");
        assert!(
            patterns.iter().any(|p| header
                .as_bytes()
                .windows(p.len())
                .any(|w| w == p.as_slice())),
            "no pattern found in {header}"
        );
    }

    #[test]
    fn percent_encoding_variants_cover_common_encoders() {
        let patterns = patterns_for(b"p@ss w/rd");
        for expected in [
            "p%40ss%20w%2Frd",
            "p%40ss%20w%2frd",
            "p%40ss%20w/rd",
            "p%40ss+w%2Frd",
        ] {
            assert!(
                patterns.contains(&expected.as_bytes().to_vec()),
                "missing {expected}"
            );
        }
    }

    #[test]
    fn trimmed_value_is_a_pattern_too() {
        let patterns = patterns_for(b"s3cr3t-token\n");
        assert!(patterns.contains(&b"s3cr3t-token".to_vec()));
        assert!(patterns.contains(&b"s3cr3t-token\n".to_vec()));
    }
}
