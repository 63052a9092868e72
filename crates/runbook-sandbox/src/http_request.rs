//! Minimal HTTP/1.1 request reader: enough for curl, robust against garbage.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

/// Upper bound for the request line plus all header lines.
const MAX_HEAD_BYTES: u64 = 64 * 1024;
/// Upper bound for a request body (restores upload whole database dumps).
pub(crate) const MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// One parsed HTTP request.
#[derive(Debug, Clone)]
pub(crate) struct HttpRequest {
    pub method: String,
    /// Path as sent, without the query string.
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// First header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why no request could be read from a connection.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// The peer closed the connection before sending anything.
    ConnectionClosed,
    /// The bytes received are not an HTTP/1.x request.
    Malformed(String),
    /// The head or body exceeds the configured limits.
    TooLarge(String),
    Io(io::Error),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionClosed => f.write_str("connection closed before a request was sent"),
            Self::Malformed(reason) => write!(f, "malformed request: {reason}"),
            Self::TooLarge(reason) => write!(f, "request too large: {reason}"),
            Self::Io(error) => write!(f, "cannot read request: {error}"),
        }
    }
}

impl From<io::Error> for RequestError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// Reads one request. `interim` receives `100 Continue` when the client asks for it.
pub(crate) fn read_request<R: BufRead, W: Write>(
    reader: &mut R,
    interim: &mut W,
) -> Result<HttpRequest, RequestError> {
    let mut head_budget = MAX_HEAD_BYTES;
    let request_line = loop {
        match read_head_line(reader, &mut head_budget)? {
            None => return Err(RequestError::ConnectionClosed),
            // RFC 9112 asks servers to ignore empty lines before the request line.
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let (method, target) = parse_request_line(&request_line)?;
    let (path, query) = split_target(&target)?;

    let mut headers = Vec::new();
    loop {
        let line = read_head_line(reader, &mut head_budget)?.ok_or_else(|| {
            RequestError::Malformed("connection closed inside the headers".into())
        })?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            RequestError::Malformed(format!("header line without colon: {line:?}"))
        })?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(RequestError::Malformed(format!(
                "invalid header name {name:?}"
            )));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }

    let mut request = HttpRequest {
        method,
        path,
        query,
        headers,
        body: Vec::new(),
    };
    let framing = body_framing(&request)?;
    if framing != BodyFraming::Empty
        && request
            .header("expect")
            .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
    {
        interim.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        interim.flush()?;
    }
    request.body = match framing {
        BodyFraming::Empty => Vec::new(),
        BodyFraming::Length(length) => read_exact_body(reader, length)?,
        BodyFraming::Chunked => read_chunked_body(reader)?,
    };
    Ok(request)
}

#[derive(Debug, PartialEq, Eq)]
enum BodyFraming {
    Empty,
    Length(u64),
    Chunked,
}

fn body_framing(request: &HttpRequest) -> Result<BodyFraming, RequestError> {
    if let Some(encoding) = request.header("transfer-encoding") {
        let last = encoding.rsplit(',').next().unwrap_or_default().trim();
        if last.eq_ignore_ascii_case("chunked") {
            return Ok(BodyFraming::Chunked);
        }
        return Err(RequestError::Malformed(format!(
            "unsupported transfer-encoding {encoding:?}"
        )));
    }
    let mut lengths = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.as_str());
    let Some(first) = lengths.next() else {
        return Ok(BodyFraming::Empty);
    };
    if lengths.any(|other| other != first) {
        return Err(RequestError::Malformed(
            "conflicting content-length headers".into(),
        ));
    }
    let length: u64 = first
        .parse()
        .map_err(|_| RequestError::Malformed(format!("invalid content-length {first:?}")))?;
    if length > MAX_BODY_BYTES {
        return Err(RequestError::TooLarge(format!(
            "body of {length} bytes exceeds {MAX_BODY_BYTES}"
        )));
    }
    Ok(if length == 0 {
        BodyFraming::Empty
    } else {
        BodyFraming::Length(length)
    })
}

/// Reads one CRLF- or LF-terminated line of the head, charging it to `budget`.
fn read_head_line<R: BufRead>(
    reader: &mut R,
    budget: &mut u64,
) -> Result<Option<String>, RequestError> {
    let mut raw = Vec::new();
    let read = reader.by_ref().take(*budget).read_until(b'\n', &mut raw)?;
    if read == 0 {
        if *budget == 0 {
            return Err(RequestError::TooLarge(format!(
                "request head exceeds {MAX_HEAD_BYTES} bytes"
            )));
        }
        return Ok(None);
    }
    *budget -= read as u64;
    if raw.last() != Some(&b'\n') {
        if *budget == 0 {
            return Err(RequestError::TooLarge(format!(
                "request head exceeds {MAX_HEAD_BYTES} bytes"
            )));
        }
        return Err(RequestError::Malformed("connection closed mid-line".into()));
    }
    raw.pop();
    if raw.last() == Some(&b'\r') {
        raw.pop();
    }
    String::from_utf8(raw)
        .map(Some)
        .map_err(|_| RequestError::Malformed("request head is not UTF-8".into()))
}

fn parse_request_line(line: &str) -> Result<(String, String), RequestError> {
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RequestError::Malformed(format!(
            "invalid request line {line:?}"
        )));
    };
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(RequestError::Malformed(format!(
            "invalid method {method:?}"
        )));
    }
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return Err(RequestError::Malformed(format!(
            "unsupported protocol {version:?}"
        )));
    }
    if target.is_empty() {
        return Err(RequestError::Malformed("empty request target".into()));
    }
    Ok((method.to_owned(), target.to_owned()))
}

/// Splits origin-form or absolute-form targets into path and query.
fn split_target(target: &str) -> Result<(String, Option<String>), RequestError> {
    let origin_form = if target.starts_with('/') || target == "*" {
        target
    } else if let Some(rest) = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        rest.find('/').map_or("/", |slash| &rest[slash..])
    } else {
        return Err(RequestError::Malformed(format!(
            "invalid request target {target:?}"
        )));
    };
    let without_fragment = origin_form.split('#').next().unwrap_or_default();
    Ok(match without_fragment.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (without_fragment.to_owned(), None),
    })
}

fn read_exact_body<R: Read>(reader: &mut R, length: u64) -> Result<Vec<u8>, RequestError> {
    let mut body = Vec::new();
    let read = reader.by_ref().take(length).read_to_end(&mut body)?;
    if (read as u64) < length {
        return Err(RequestError::Malformed(format!(
            "body ended after {read} of {length} announced bytes"
        )));
    }
    Ok(body)
}

fn read_chunked_body<R: BufRead>(reader: &mut R) -> Result<Vec<u8>, RequestError> {
    let mut body = Vec::new();
    let mut line_budget = MAX_HEAD_BYTES;
    loop {
        let size_line = read_head_line(reader, &mut line_budget)?.ok_or_else(|| {
            RequestError::Malformed("connection closed inside chunked body".into())
        })?;
        let size_text = size_line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| RequestError::Malformed(format!("invalid chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailer section: header lines up to an empty line.
            loop {
                match read_head_line(reader, &mut line_budget)? {
                    None => return Ok(body),
                    Some(line) if line.is_empty() => return Ok(body),
                    Some(_) => continue,
                }
            }
        }
        if body.len() as u64 + size > MAX_BODY_BYTES {
            return Err(RequestError::TooLarge(format!(
                "chunked body exceeds {MAX_BODY_BYTES} bytes"
            )));
        }
        body.extend(read_exact_body(reader, size)?);
        let terminator = read_head_line(reader, &mut line_budget)?;
        if terminator.as_deref() != Some("") {
            return Err(RequestError::Malformed("chunk not followed by CRLF".into()));
        }
    }
}

fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Result<HttpRequest, RequestError> {
        let mut interim = Vec::new();
        read_request(&mut &raw[..], &mut interim)
    }

    #[test]
    fn parses_content_length_body_and_query() {
        let request =
            parse(b"POST /api/x?a=1&b=2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
                .expect("valid request");
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/x");
        assert_eq!(request.query.as_deref(), Some("a=1&b=2"));
        assert_eq!(request.header("HOST"), Some("h"));
        assert_eq!(request.body, b"hello");
    }

    #[test]
    fn decodes_chunked_bodies() {
        let request = parse(
            b"POST /restore HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\n\r\n",
        )
        .expect("valid chunked request");
        assert_eq!(request.body, b"abcdefg");
    }

    #[test]
    fn answers_expect_continue_before_reading_the_body() {
        let raw = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
        let mut interim = Vec::new();
        let request = read_request(&mut &raw[..], &mut interim).expect("valid request");
        assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(request.body, b"ok");
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for raw in [
            &b"\x00\x01\x02\r\n\r\n"[..],
            b"GET\r\n\r\n",
            b"GET / HTTP/9\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"GET / HTTP/1.1\r\nHost: x",
        ] {
            assert!(
                matches!(parse(raw), Err(RequestError::Malformed(_))),
                "accepted {:?}",
                String::from_utf8_lossy(raw)
            );
        }
        assert!(matches!(parse(b""), Err(RequestError::ConnectionClosed)));
    }

    #[test]
    fn rejects_oversized_heads_and_bodies() {
        let mut huge_head = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge_head.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES as usize));
        assert!(matches!(parse(&huge_head), Err(RequestError::TooLarge(_))));
        let huge_body = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert!(matches!(
            parse(huge_body.as_bytes()),
            Err(RequestError::TooLarge(_))
        ));
    }

    #[test]
    fn accepts_absolute_form_targets() {
        let request = parse(b"GET http://127.0.0.1:3000/health?x HTTP/1.1\r\n\r\n").expect("valid");
        assert_eq!(request.path, "/health");
        assert_eq!(request.query.as_deref(), Some("x"));
    }
}
