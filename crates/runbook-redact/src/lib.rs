//! Streaming secret redaction for command output.
//!
//! A [`Redactor`] knows named secrets and replaces each with `[REDACTED:NAME]` wherever it shows
//! up in one of these forms:
//!
//! - the raw value (and the value without surrounding whitespace);
//! - its base64 encoding, standard and URL-safe, padded and unpadded;
//! - for each of the three byte alignments inside a larger base64 payload
//!   (`base64("user:" + secret)`, basic-auth headers, `echo -n "$S" | base64`), the run of
//!   base64 characters that depends on the secret alone. The one or two characters at each edge
//!   of that run mix secret bits with neighbouring bytes and stay visible;
//! - its percent-encoding as produced by common encoders (RFC 3986 component, JavaScript
//!   `encodeURIComponent`, Python `quote`, every non-alphanumeric byte, form encoding with `+`
//!   for space), with upper- or lowercase hex.
//!
//! Matching uses one Aho-Corasick automaton in leftmost-longest mode, so overlapping secrets
//! resolve to the longest form. Secrets shorter than four bytes are not matched; see
//! [`Redactor::too_short`].
//!
//! Not covered: base64 that is line-wrapped inside the secret, hex, JSON string escapes, and any
//! other transformation a command might apply.
//!
//! [`StreamRedactor`] applies the same redaction to output that arrives in chunks.

mod error;
mod redactor;
mod secret_patterns;
mod stream_redactor;

pub use error::RedactError;
pub use redactor::Redactor;
pub use secret_patterns::MIN_SECRET_LEN;
pub use stream_redactor::StreamRedactor;
