use std::fmt;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::error::RedactError;
use crate::secret_patterns::{MIN_SECRET_LEN, patterns_for};
use crate::stream_redactor::StreamRedactor;

/// Replaces every known form of a set of named secrets with `[REDACTED:NAME]`.
///
/// Build it once with [`Redactor::add_secret`], then share it behind an [`Arc`]; every output
/// stream gets its own [`StreamRedactor`] from [`Redactor::stream`].
#[derive(Clone, Default)]
pub struct Redactor {
    secret_names: Vec<String>,
    /// One entry per automaton pattern: the index into `secret_names` it redacts.
    pattern_owners: Vec<usize>,
    patterns: Vec<Vec<u8>>,
    automaton: Option<AhoCorasick>,
    longest_pattern: usize,
    too_short: Vec<String>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `value` under `name`. A value shorter than 4 bytes once surrounding whitespace
    /// is trimmed is not matched (it would shred ordinary output, and a whitespace-padded short
    /// value would match indentation); its name is listed by [`Redactor::too_short`] so the
    /// caller can warn. Empty values are ignored: there is nothing to leak.
    pub fn add_secret(&mut self, name: &str, value: &str) -> Result<(), RedactError> {
        if value.is_empty() {
            return Ok(());
        }
        if value.trim_ascii().len() < MIN_SECRET_LEN {
            if !self.too_short.iter().any(|known| known == name) {
                self.too_short.push(name.to_owned());
            }
            return Ok(());
        }
        let owner = match self.secret_names.iter().position(|known| known == name) {
            Some(index) => index,
            None => {
                self.secret_names.push(name.to_owned());
                self.secret_names.len() - 1
            }
        };
        let mut patterns = self.patterns.clone();
        let mut owners = self.pattern_owners.clone();
        for pattern in patterns_for(value.as_bytes()) {
            // When two secrets share a form, the first registered name is the one shown.
            if !patterns.contains(&pattern) {
                patterns.push(pattern);
                owners.push(owner);
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|source| RedactError::PatternSet {
                secret: name.to_owned(),
                reason: source.to_string(),
            })?;
        self.longest_pattern = patterns.iter().map(Vec::len).max().unwrap_or(0);
        self.patterns = patterns;
        self.pattern_owners = owners;
        self.automaton = Some(automaton);
        Ok(())
    }

    /// Names of secrets whose values were too short to redact safely.
    pub fn too_short(&self) -> &[String] {
        &self.too_short
    }

    /// Names of the secrets that are being redacted.
    pub fn secret_names(&self) -> &[String] {
        &self.secret_names
    }

    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// Length of the longest pattern; a stream holds back at most one byte less than this.
    pub fn longest_pattern(&self) -> usize {
        self.longest_pattern
    }

    /// Redacts a complete buffer; returns the redacted bytes and the number of redactions.
    pub fn redact_bytes(&self, input: &[u8]) -> (Vec<u8>, usize) {
        let mut out = Vec::with_capacity(input.len());
        let (_, redactions) = self.redact_prefix(input, input.len(), &mut out);
        (out, redactions)
    }

    /// Redacts a complete string. Patterns are valid UTF-8 or ASCII, so matches in valid UTF-8
    /// always fall on character boundaries and the result stays valid UTF-8.
    pub fn redact_str(&self, input: &str) -> (String, usize) {
        let (bytes, redactions) = self.redact_bytes(input.as_bytes());
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        };
        (text, redactions)
    }

    /// A fresh streaming redactor for one output stream.
    pub fn stream(self: &Arc<Self>) -> StreamRedactor {
        StreamRedactor::new(Arc::clone(self))
    }

    /// Appends to `out` the redaction of every match that starts before `emit_limit`, and the
    /// plain bytes up to `emit_limit`. Returns how many bytes of `input` were consumed (at least
    /// `emit_limit`; more when a match runs past it) and how many matches were replaced.
    ///
    /// Whether a match starts at position `p` depends only on `input[p..p + longest_pattern]`,
    /// so the caller must guarantee those bytes are final for every `p < emit_limit`.
    pub(crate) fn redact_prefix(
        &self,
        input: &[u8],
        emit_limit: usize,
        out: &mut Vec<u8>,
    ) -> (usize, usize) {
        let mut consumed = 0;
        let mut redactions = 0;
        if let Some(automaton) = &self.automaton {
            for found in automaton.find_iter(input) {
                if found.start() >= emit_limit {
                    break;
                }
                out.extend_from_slice(&input[consumed..found.start()]);
                let name = &self.secret_names[self.pattern_owners[found.pattern().as_usize()]];
                out.extend_from_slice(b"[REDACTED:");
                out.extend_from_slice(name.as_bytes());
                out.push(b']');
                consumed = found.end();
                redactions += 1;
            }
        }
        if consumed < emit_limit {
            out.extend_from_slice(&input[consumed..emit_limit]);
            consumed = emit_limit;
        }
        (consumed, redactions)
    }
}

/// Shows names and counts only: the patterns are the secrets.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secret_names", &self.secret_names)
            .field("patterns", &self.patterns.len())
            .field("too_short", &self.too_short)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(secrets: &[(&str, &str)]) -> Redactor {
        let mut redactor = Redactor::new();
        for (name, value) in secrets {
            redactor.add_secret(name, value).expect("valid secret");
        }
        redactor
    }

    #[test]
    fn replaces_raw_value_with_named_marker() {
        let r = redactor(&[("API_TOKEN", "tok-12345")]);
        let (out, count) = r.redact_str("Authorization: Bearer tok-12345\n");
        assert_eq!(out, "Authorization: Bearer [REDACTED:API_TOKEN]\n");
        assert_eq!(count, 1);
    }

    #[test]
    fn longest_secret_wins_when_one_contains_another() {
        let r = redactor(&[("SHORT", "abcd"), ("LONG", "abcdefgh")]);
        let (out, count) = r.redact_str("x abcdefgh y abcd");
        assert_eq!(out, "x [REDACTED:LONG] y [REDACTED:SHORT]");
        assert_eq!(count, 2);
    }

    #[test]
    fn too_short_secrets_are_reported_not_matched() {
        let r = redactor(&[
            ("PIN", "123"),
            ("EMPTY", ""),
            ("PADDED", "  12\n"),
            ("OK", "1234"),
        ]);
        assert_eq!(r.too_short(), ["PIN".to_owned(), "PADDED".to_owned()]);
        let (out, count) = r.redact_str("123 1234");
        assert_eq!(out, "123 [REDACTED:OK]");
        assert_eq!(count, 1);
    }

    #[test]
    fn debug_output_does_not_reveal_values() {
        let r = redactor(&[("DB_PASSWORD", "correct-horse")]);
        let shown = format!("{r:?}");
        assert!(shown.contains("DB_PASSWORD"));
        assert!(!shown.contains("correct-horse"));
    }

    #[test]
    fn empty_redactor_passes_everything_through() {
        let r = Redactor::new();
        let input = b"\xff\xfe binary \x00 data";
        assert_eq!(r.redact_bytes(input), (input.to_vec(), 0));
        assert!(r.is_empty());
    }

    #[test]
    fn multibyte_secret_keeps_output_valid_utf8() {
        let r = redactor(&[("PASS", "pässwörd")]);
        let (out, count) = r.redact_str("é pässwörd ü p%C3%A4ssw%C3%B6rd");
        assert_eq!(out, "é [REDACTED:PASS] ü [REDACTED:PASS]");
        assert_eq!(count, 2);
    }

    #[test]
    fn same_name_added_twice_redacts_both_values() {
        let r = redactor(&[("TOKEN", "old-value"), ("TOKEN", "new-value")]);
        let (out, _) = r.redact_str("old-value new-value");
        assert_eq!(out, "[REDACTED:TOKEN] [REDACTED:TOKEN]");
        assert_eq!(r.secret_names(), ["TOKEN".to_owned()]);
    }
}
