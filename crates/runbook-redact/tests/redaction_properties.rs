//! Property tests: whatever the secrets and however the output is chunked, no known encoding of a
//! secret survives, and output without secrets passes through untouched.
//!
//! The oracles here are computed independently of the crate's pattern generator: the base64 run
//! that must disappear is found by encoding the payload with all-zero and all-one neighbours and
//! keeping the characters that do not change.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use runbook_redact::{Redactor, StreamRedactor};

#[derive(Debug, Clone)]
enum Piece {
    Filler(Vec<u8>),
    Raw(usize),
    /// base64(prefix + secret + suffix), the secret at any byte alignment.
    Base64Embedded {
        secret: usize,
        prefix: Vec<u8>,
        suffix: Vec<u8>,
        url_safe: bool,
        padded: bool,
    },
    PercentEncoded {
        secret: usize,
        form_style: bool,
    },
}

fn secret_value() -> impl Strategy<Value = String> {
    // No `[` or `]`, so a secret can never be pieced together from a `[REDACTED:..]` marker.
    "[a-z][a-zA-Z0-9 !@#$%^&*()_+=:;,./?~é日-]{2,30}[a-z0-9]"
}

fn piece(secret_count: usize) -> impl Strategy<Value = Piece> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Piece::Filler),
        (0..secret_count).prop_map(Piece::Raw),
        (
            0..secret_count,
            proptest::collection::vec(any::<u8>(), 0..12),
            proptest::collection::vec(any::<u8>(), 0..12),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(secret, prefix, suffix, url_safe, padded)| {
                Piece::Base64Embedded {
                    secret,
                    prefix,
                    suffix,
                    url_safe,
                    padded,
                }
            }),
        (0..secret_count, any::<bool>())
            .prop_map(|(secret, form_style)| Piece::PercentEncoded { secret, form_style }),
    ]
}

fn scenario() -> impl Strategy<Value = (Vec<String>, Vec<Piece>, Vec<usize>)> {
    (1usize..=3).prop_flat_map(|count| {
        (
            proptest::collection::vec(secret_value(), count),
            proptest::collection::vec(piece(count), 1..12),
            proptest::collection::vec(1usize..48, 1..8),
        )
    })
}

fn base64_encode(data: &[u8], url_safe: bool, padded: bool) -> String {
    match (url_safe, padded) {
        (false, true) => STANDARD.encode(data),
        (false, false) => STANDARD_NO_PAD.encode(data),
        (true, true) => URL_SAFE.encode(data),
        (true, false) => URL_SAFE_NO_PAD.encode(data),
    }
}

/// The characters of base64(prefix + secret + suffix) that are fixed by the secret alone: those
/// identical whether the neighbours are all 0x00 or all 0xFF bytes.
fn base64_secret_run(
    prefix_len: usize,
    secret: &[u8],
    suffix_len: usize,
    url_safe: bool,
) -> String {
    let encode_with = |fill: u8| {
        let mut payload = vec![fill; prefix_len];
        payload.extend_from_slice(secret);
        payload.extend(std::iter::repeat_n(fill, suffix_len));
        base64_encode(&payload, url_safe, false).into_bytes()
    };
    let (zeros, ones) = (encode_with(0x00), encode_with(0xFF));
    let fixed: Vec<bool> = zeros.iter().zip(&ones).map(|(a, b)| a == b).collect();
    let start = fixed.iter().position(|&same| same).unwrap_or(0);
    let end = fixed
        .iter()
        .rposition(|&same| same)
        .map_or(0, |last| last + 1);
    String::from_utf8(zeros[start..end.max(start)].to_vec()).expect("base64 is ascii")
}

/// RFC 3986 percent-encoding, written out here rather than taken from the crate under test.
fn percent_encode(secret: &str, form_style: bool) -> String {
    let mut out = String::new();
    for byte in secret.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => out.push(byte as char),
            b'~' if !form_style => out.push('~'),
            b'*' if form_style => out.push('*'),
            b' ' if form_style => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn redactor_for(secrets: &[String]) -> Arc<Redactor> {
    let mut redactor = Redactor::new();
    for (index, value) in secrets.iter().enumerate() {
        redactor
            .add_secret(&format!("S{index}"), value)
            .expect("secret is accepted");
    }
    Arc::new(redactor)
}

fn stream_through(
    redactor: &Arc<Redactor>,
    input: &[u8],
    chunk_sizes: &[usize],
) -> (Vec<u8>, usize) {
    let mut stream: StreamRedactor = redactor.stream();
    let mut output = Vec::new();
    let mut rest = input;
    for size in chunk_sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        output.extend(stream.push(chunk));
        rest = tail;
    }
    let (tail, count) = stream.finish_with_count();
    output.extend(tail);
    (output, count)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_secret_form_survives_any_chunking((secrets, pieces, chunk_sizes) in scenario()) {
        let mut input = Vec::new();
        let mut forbidden: Vec<String> = secrets.clone();
        for piece in &pieces {
            match piece {
                Piece::Filler(bytes) => input.extend_from_slice(bytes),
                Piece::Raw(index) => input.extend_from_slice(secrets[*index].as_bytes()),
                Piece::Base64Embedded { secret, prefix, suffix, url_safe, padded } => {
                    let value = secrets[*secret].as_bytes();
                    let mut payload = prefix.clone();
                    payload.extend_from_slice(value);
                    payload.extend_from_slice(suffix);
                    input.extend_from_slice(base64_encode(&payload, *url_safe, *padded).as_bytes());
                    forbidden.push(base64_secret_run(prefix.len(), value, suffix.len(), *url_safe));
                }
                Piece::PercentEncoded { secret, form_style } => {
                    let encoded = percent_encode(&secrets[*secret], *form_style);
                    input.extend_from_slice(encoded.as_bytes());
                    forbidden.push(encoded);
                }
            }
        }
        let markers: Vec<String> = (0..secrets.len()).map(|i| format!("[REDACTED:S{i}]")).collect();
        prop_assume!(forbidden.iter().all(|needle| markers.iter().all(|m| !m.contains(needle.as_str()))));

        let redactor = redactor_for(&secrets);
        let (output, count) = stream_through(&redactor, &input, &chunk_sizes);
        for needle in &forbidden {
            prop_assert!(
                !contains(&output, needle.as_bytes()),
                "{needle:?} survived in {:?}", String::from_utf8_lossy(&output)
            );
        }
        let secret_pieces = pieces.iter().filter(|p| !matches!(p, Piece::Filler(_))).count();
        prop_assert!(count >= secret_pieces.min(1));
    }

    #[test]
    fn text_without_secrets_passes_through_byte_identical(
        secrets in proptest::collection::vec(secret_value(), 1..4),
        // No letters, digits, `%`, `+`, `/`, `-`, `_`, `=`: no secret form can start or fit here.
        input in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(b" \t\n.,;:!?\"'()<>{}#@&*^|\\~`$".to_vec()),
                0x80u8..=0xFF,
                0x00u8..0x09,
            ],
            0..400,
        ),
        chunk_sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let redactor = redactor_for(&secrets);
        let (output, count) = stream_through(&redactor, &input, &chunk_sizes);
        prop_assert_eq!(output, input);
        prop_assert_eq!(count, 0);
    }

    #[test]
    fn streaming_matches_one_shot((secrets, pieces, chunk_sizes) in scenario()) {
        let mut input = Vec::new();
        for piece in &pieces {
            match piece {
                Piece::Filler(bytes) => input.extend_from_slice(bytes),
                Piece::Raw(index) => input.extend_from_slice(secrets[*index].as_bytes()),
                Piece::Base64Embedded { secret, prefix, suffix, url_safe, padded } => {
                    let mut payload = prefix.clone();
                    payload.extend_from_slice(secrets[*secret].as_bytes());
                    payload.extend_from_slice(suffix);
                    input.extend_from_slice(base64_encode(&payload, *url_safe, *padded).as_bytes());
                }
                Piece::PercentEncoded { secret, form_style } => {
                    input.extend_from_slice(percent_encode(&secrets[*secret], *form_style).as_bytes());
                }
            }
        }
        let redactor = redactor_for(&secrets);
        let one_shot = redactor.redact_bytes(&input);
        let streamed = stream_through(&redactor, &input, &chunk_sizes);
        prop_assert_eq!(streamed, one_shot);
    }
}

#[test]
fn basic_auth_header_built_by_curl_is_redacted() {
    let redactor = redactor_for(&["hunter2-pass".to_owned()]);
    let header = format!(
        "Authorization: Basic {}",
        STANDARD.encode("admin:hunter2-pass")
    );
    let (output, count) = redactor.redact_str(&header);
    assert_eq!(count, 1);
    let run = base64_secret_run("admin:".len(), b"hunter2-pass", 0, false);
    assert!(!output.contains(&run), "{output}");
    assert!(
        output.starts_with("Authorization: Basic YWRtaW4"),
        "{output}"
    );
}

#[test]
fn echo_piped_to_base64_is_redacted() {
    // `echo -n "$S" | base64` and `echo "$S" | base64` (with the trailing newline).
    let redactor = redactor_for(&["s3cr3t-v4lue".to_owned()]);
    for encoded in [
        STANDARD.encode("s3cr3t-v4lue"),
        STANDARD.encode("s3cr3t-v4lue\n"),
    ] {
        let (output, count) = redactor.redact_str(&format!("{encoded}\n"));
        assert_eq!(count, 1, "{encoded}");
        assert!(output.contains("[REDACTED:S0]"), "{output}");
    }
}
