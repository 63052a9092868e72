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
        let longest = self.redactor.longest_pattern();
        let hold_back = longest.saturating_sub(1);
        if chunk.len() < longest.max(1) {
            self.pending.extend_from_slice(chunk);
            let emit_limit = self.pending.len().saturating_sub(hold_back);
            return self.emit(emit_limit);
        }
        // A chunk at least as long as the longest pattern makes every held-back byte safe to
        // emit. Scan the held-back bytes together with the chunk's first `longest` bytes (enough
        // to see any match starting in them), then the chunk where it is, instead of copying the
        // whole chunk behind the held-back bytes: a copy of every byte of output saved.
        let mut out = Vec::with_capacity(self.pending.len() + chunk.len());
        let mut resume = 0;
        if !self.pending.is_empty() {
            let held = self.pending.len();
            self.pending.extend_from_slice(&chunk[..longest]);
            let (consumed, redactions) = self.redactor.redact_prefix(&self.pending, held, &mut out);
            self.redactions += redactions;
            // Where the scan stopped: at the chunk's start, or past it when a match ran on.
            resume = consumed - held;
            self.pending.clear();
        }
        let rest = &chunk[resume..];
        let emit_limit = (chunk.len() - hold_back).saturating_sub(resume);
        let (consumed, redactions) = self.redactor.redact_prefix(rest, emit_limit, &mut out);
        self.redactions += redactions;
        self.pending.extend_from_slice(&rest[consumed..]);
        out
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
    fn every_chunk_size_gives_the_one_shot_result() {
        let redactor = shared(&[("TOKEN", "supersecret"), ("PASS", "p@ss w/rd")]);
        let longest = redactor.longest_pattern();
        let mut input = Vec::new();
        for index in 0..40 {
            input.extend_from_slice(b"line ");
            input.extend_from_slice(index.to_string().as_bytes());
            input.extend_from_slice(match index % 4 {
                0 => b" supersecret".as_slice(),
                1 => b" c3VwZXJzZWNyZXQ=".as_slice(),
                2 => b" p%40ss%20w%2Frd and p@ss w/rd".as_slice(),
                _ => b" supersecretsupersecret".as_slice(),
            });
            input.push(b'\n');
        }
        let (expected, expected_count) = redactor.redact_bytes(&input);
        assert!(expected_count >= 40);
        // Sizes below, at and above the longest pattern exercise both paths and their mixes.
        for first in [1, longest - 1, longest, longest + 3] {
            for size in 1..=3 * longest {
                let mut stream = redactor.stream();
                let (head, mut rest) = input.split_at(first.min(input.len()));
                let mut out = stream.push(head);
                while !rest.is_empty() {
                    let (chunk, tail) = rest.split_at(size.min(rest.len()));
                    out.extend(stream.push(chunk));
                    rest = tail;
                }
                let (tail, count) = stream.finish_with_count();
                out.extend(tail);
                assert_eq!(out, expected, "first chunk {first}, then chunks of {size}");
                assert_eq!(
                    count, expected_count,
                    "first chunk {first}, then chunks of {size}"
                );
            }
        }
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
