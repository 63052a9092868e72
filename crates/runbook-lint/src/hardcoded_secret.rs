//! `hardcoded-secret`: credentials written into the runbook, in code or
//! prose. Patterns are specific token formats, not "anything called
//! token", and obvious stand-ins (`xxxx`, `your…`, `EXAMPLE`) are skipped.

use crate::lint_catalog::HARDCODED_SECRET;
use regex::Regex;
use runbook_syntax::{Diagnostic, Document, Span};
use std::sync::LazyLock;

struct SecretPattern {
    what: &'static str,
    regex: Regex,
}

static PATTERNS: LazyLock<Vec<SecretPattern>> = LazyLock::new(|| {
    [
        // A JWT is base64url JSON, so it starts `eyJ`; the seeds keep truncated ones (`eyJ…...`).
        ("JWT", r"eyJ[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]+){0,2}"),
        ("Stripe live key", r"\b[sr]k_live_[A-Za-z0-9]{16,}"),
        ("AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
        ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
        ("Slack token", r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
    ]
    .into_iter()
    .map(|(what, pattern)| SecretPattern {
        what,
        regex: Regex::new(pattern).expect("valid secret regex"),
    })
    .collect()
});

/// Words that mark a documented stand-in rather than a real credential.
const STAND_INS: &[&str] = &[
    "xxxx",
    "example",
    "your",
    "placeholder",
    "redacted",
    "dummy",
    "fake",
    "sample",
    "changeme",
    "0000000000",
    "1234567890",
];

pub fn hardcoded_secrets(document: &Document, out: &mut Vec<Diagnostic>) {
    let text = document.source.text();
    for pattern in PATTERNS.iter() {
        for found in pattern.regex.find_iter(text) {
            let before = text[..found.start()].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '+')
            {
                continue; // inside a longer base64 or identifier: not a token of its own
            }
            let token = found.as_str();
            let lower = token.to_ascii_lowercase();
            if STAND_INS.iter().any(|word| lower.contains(word)) || is_one_repeated_character(token)
            {
                continue;
            }
            if pattern.what == "private key" && !has_key_body(&text[found.end()..]) {
                continue;
            }
            if pattern.what == "Slack token" && !token.bytes().any(|b| b.is_ascii_digit()) {
                continue;
            }
            let after = &text[found.end()..];
            let truncated = pattern.what == "JWT"
                && (after.starts_with("...")
                    || after.starts_with('…')
                    || token.matches('.').count() < 2);
            let what = if truncated {
                "JWT (truncated, but still part of a real token)"
            } else {
                pattern.what
            };
            out.push(
                Diagnostic::warning(HARDCODED_SECRET, Span::new(found.start(), found.end()), format!("hardcoded {what} in the runbook"))
                    .with_help("remove it and rotate it; read it from a secret variable instead: [vars.NAME] with secret = true in front matter, then use $NAME"),
            );
        }
    }
}

fn is_one_repeated_character(token: &str) -> bool {
    let tail: Vec<char> = token
        .rsplit(['_', '-'])
        .next()
        .unwrap_or(token)
        .chars()
        .collect();
    tail.len() > 3 && tail.iter().all(|c| *c == tail[0])
}

/// A real PEM block has base64 (or PEM headers) on the next line.
fn has_key_body(after: &str) -> bool {
    let Some(next) = after.split('\n').nth(1) else {
        return false;
    };
    let next = next.trim_start_matches([' ', '\t', '>']).trim_end();
    next.starts_with("Proc-Type:")
        || (next.len() >= 20
            && next
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
}
