use std::borrow::Cow;

/// One request the fake API answered, as seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query string, exactly as sent (not percent-decoded).
    pub path: String,
    /// Raw query string after `?`, if any.
    pub query: Option<String>,
    /// Whether an `Authorization` header was present (whatever its value).
    pub has_auth: bool,
    /// All request headers in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// HTTP status the fake API answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// The body as text; invalid UTF-8 is replaced, never dropped.
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// First header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}
