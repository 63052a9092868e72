use std::sync::Arc;

use crate::redactor::Redactor;

/// Redacts one output stream chunk by chunk.
///
/// A secret can be split across chunks, so each [`push`](StreamRedactor::push) holds back the
/// last `longest_pattern - 1` bytes until the next chunk (or [`finish`](StreamRedactor::finish))
/// shows whether they start a secret. Memory stays bounded by that hold-back plus one chunk.
/// Works on raw bytes; output may be invalid UTF-8 if the input is.
#[derive(Debug)]
pub struct StreamRedactor {
    redactor: Arc<Redactor>,
    pending: Vec<u8>,
    redactions: usize,
}

impl StreamRedactor {
    pub fn new(redactor: Arc<Redactor>) -> Self {
        Self {
            redactor,
            pending: Vec::new(),
            redactions: 0,
        }
    }

    /// Feeds a chunk; returns the bytes that are now safe to emit.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        let hold_back = self.redactor.longest_pattern().saturating_sub(1);
        let emit_limit = self.pending.len().saturating_sub(hold_back);
        self.emit(emit_limit)
    }

    /// Number of redactions made so far.
    pub fn redactions(&self) -> usize {
        self.redactions
    }

    /// Number of bytes currently held back.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Ends the stream; returns the remaining held-back bytes, redacted.
    pub fn finish(self) -> Vec<u8> {
        self.finish_with_count().0
    }

    /// Like [`finish`](StreamRedactor::finish), also returning the total redaction count.
    pub fn finish_with_count(mut self) -> (Vec<u8>, usize) {
        let rest = self.emit(self.pending.len());
        (rest, self.redactions)
    }

    fn emit(&mut self, emit_limit: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(emit_limit);
        let (consumed, redactions) =
            self.redactor
                .redact_prefix(&self.pending, emit_limit, &mut out);
        self.pending.drain(..consumed);
        self.redactions += redactions;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(secrets: &[(&str, &str)]) -> Arc<Redactor> {
        let mut redactor = Redactor::new();
        for (name, value) in secrets {
            redactor.add_secret(name, value).expect("valid secret");
        }
        Arc::new(redactor)
    }

    #[test]
    fn secret_split_byte_by_byte_is_redacted() {
        let redactor = shared(&[("TOKEN", "supersecret")]);
        let mut stream = redactor.stream();
        let mut out = Vec::new();
        for byte in b"before supersecret after" {
            out.extend(stream.push(&[*byte]));
        }
        out.extend(stream.finish());
        assert_eq!(out, b"before [REDACTED:TOKEN] after");
    }

    #[test]
    fn holds_back_less_than_longest_pattern() {
        let redactor = shared(&[("TOKEN", "supersecret")]);
        let mut stream = redactor.stream();
        let emitted = stream.push(&[b'x'; 1000]);
        assert_eq!(emitted.len() + stream.pending_len(), 1000);
        assert!(stream.pending_len() < redactor.longest_pattern());
    }

    #[test]
    fn counts_redactions_across_chunks() {
        let redactor = shared(&[("TOKEN", "supersecret")]);
        let mut stream = redactor.stream();
        let mut out = stream.push(b"supersec");
        out.extend(stream.push(b"ret and supersecret again supers"));
        out.extend(stream.push(b"ecre"));
        let (rest, count) = stream.finish_with_count();
        out.extend(rest);
        assert_eq!(
            String::from_utf8(out).expect("ascii"),
            "[REDACTED:TOKEN] and [REDACTED:TOKEN] again superse\u{63}re"
        );
        assert_eq!(count, 2);
    }

    #[test]
    fn no_secrets_means_no_hold_back() {
        let mut stream = Arc::new(Redactor::new()).stream();
        assert_eq!(stream.push(b"abc"), b"abc");
        assert_eq!(stream.finish(), b"");
    }

    #[test]
    fn invalid_utf8_passes_through() {
        let redactor = shared(&[("TOKEN", "supersecret")]);
        let mut stream = redactor.stream();
        let mut out = stream.push(b"\xff\xfe supersecret \xc3");
        out.extend(stream.finish());
        assert_eq!(out, b"\xff\xfe [REDACTED:TOKEN] \xc3");
    }
}
