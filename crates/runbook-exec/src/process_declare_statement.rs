//! Reading bash's `declare -p` output, and quoting values so bash reads them back literally.
//!
//! `declare -p` prints one statement per variable, `declare -FLAGS NAME[=VALUE]`, where VALUE is
//! a double-quoted string, an ANSI-C `$'...'` string (used when the value has control
//! characters), or a parenthesised array of `[key]=value` pairs. A statement ends at the first
//! newline outside quotes. The format is bash's own re-input format, so statements are carried
//! verbatim; only scalar values are decoded (for [`crate::ShellSession::variables`]).

/// One statement of `declare -p` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeclareStatement<'a> {
    /// The whole statement, without its terminating newline.
    pub(crate) raw: &'a [u8],
    /// Attribute letters (`x`, `a`, `A`, `r`, `i`, `n`, ...); empty for `declare --`.
    pub(crate) attributes: &'a str,
    pub(crate) name: &'a str,
    /// The text after `=`, still quoted; `None` for a declared but unset variable.
    pub(crate) value: Option<&'a [u8]>,
}

impl<'a> DeclareStatement<'a> {
    pub(crate) fn parse(raw: &'a [u8]) -> Result<Self, String> {
        let rest = raw
            .strip_prefix(b"declare ")
            .ok_or_else(|| format!("expected a `declare` statement, found `{}`", excerpt(raw)))?;
        let flags_end = rest
            .iter()
            .position(|&byte| byte == b' ')
            .ok_or_else(|| format!("no variable name in `{}`", excerpt(raw)))?;
        let flags = &rest[..flags_end];
        let attributes = match flags {
            b"--" => "",
            _ => {
                let letters = flags
                    .strip_prefix(b"-")
                    .filter(|letters| !letters.is_empty())
                    .filter(|letters| letters.iter().all(u8::is_ascii_alphabetic))
                    .ok_or_else(|| format!("unexpected attributes in `{}`", excerpt(raw)))?;
                std::str::from_utf8(letters).map_err(|error| error.to_string())?
            }
        };
        let after_flags = &rest[flags_end + 1..];
        let name_end = after_flags
            .iter()
            .position(|&byte| byte == b'=')
            .unwrap_or(after_flags.len());
        let name = std::str::from_utf8(&after_flags[..name_end])
            .ok()
            .filter(|name| is_shell_identifier(name))
            .ok_or_else(|| format!("unexpected variable name in `{}`", excerpt(raw)))?;
        let value = (name_end < after_flags.len()).then(|| &after_flags[name_end + 1..]);
        Ok(DeclareStatement {
            raw,
            attributes,
            name,
            value,
        })
    }

    pub(crate) fn has_attribute(&self, letter: char) -> bool {
        self.attributes.contains(letter)
    }

    /// A plain string variable: not an array, not a name reference.
    pub(crate) fn is_scalar(&self) -> bool {
        !self.has_attribute('a') && !self.has_attribute('A') && !self.has_attribute('n')
    }

    /// Whether this is a scalar whose value is `expected`; cheap for the common plain
    /// double-quoted value.
    pub(crate) fn has_scalar_value(&self, expected: &[u8]) -> bool {
        let Some(quoted) = self.value.filter(|_| self.is_scalar()) else {
            return false;
        };
        match quoted
            .strip_prefix(b"\"")
            .and_then(|rest| rest.strip_suffix(b"\""))
        {
            Some(inner) if !inner.iter().any(|&byte| matches!(byte, b'\\' | b'"')) => {
                inner == expected
            }
            _ => decode_quoted_word(quoted).is_ok_and(|decoded| decoded == expected),
        }
    }

    /// The decoded value of a scalar that has one.
    pub(crate) fn scalar_value(&self) -> Result<Option<Vec<u8>>, String> {
        match self.value {
            Some(quoted) if self.is_scalar() => decode_quoted_word(quoted)
                .map(Some)
                .map_err(|reason| format!("variable `{}`: {reason}", self.name)),
            _ => Ok(None),
        }
    }
}

/// The index just past the statement starting at `start`: the position of its terminating
/// newline, or the end of `text` when it has none.
pub(crate) fn statement_end(text: &[u8], start: usize) -> Result<usize, String> {
    #[derive(Clone, Copy)]
    enum Quote {
        None,
        Double,
        AnsiC,
        Single,
    }
    let mut quote = Quote::None;
    let mut index = start;
    while index < text.len() {
        let byte = text[index];
        match (quote, byte) {
            (Quote::None, b'\n') => return Ok(index),
            (Quote::None, b'"') => quote = Quote::Double,
            (Quote::None, b'$') if text.get(index + 1) == Some(&b'\'') => {
                quote = Quote::AnsiC;
                index += 1;
            }
            (Quote::None, b'\'') => quote = Quote::Single,
            (Quote::None | Quote::Double | Quote::AnsiC, b'\\') => index += 1,
            (Quote::Double, b'"') | (Quote::AnsiC | Quote::Single, b'\'') => quote = Quote::None,
            _ => {}
        }
        index += 1;
    }
    match quote {
        Quote::None => Ok(text.len()),
        _ => Err(format!(
            "unterminated quote in `{}`",
            excerpt(&text[start..])
        )),
    }
}

/// Decodes a word made only of quoted segments (`"..."`, `$'...'`, `'...'`), as bash would.
pub(crate) fn decode_quoted_word(word: &[u8]) -> Result<Vec<u8>, String> {
    let mut decoded = Vec::with_capacity(word.len());
    let mut index = 0;
    while index < word.len() {
        match word[index] {
            b'"' => index = decode_double_quoted(word, index + 1, &mut decoded)?,
            b'$' if word.get(index + 1) == Some(&b'\'') => {
                index = decode_ansi_c_quoted(word, index + 2, &mut decoded)?;
            }
            b'\'' => {
                let content = index + 1;
                let close = word[content..]
                    .iter()
                    .position(|&byte| byte == b'\'')
                    .ok_or("unterminated single quote")?;
                decoded.extend_from_slice(&word[content..content + close]);
                index = content + close + 1;
            }
            _ => return Err(format!("unquoted text in value `{}`", excerpt(word))),
        }
    }
    Ok(decoded)
}

/// Returns the index just past the closing quote.
fn decode_double_quoted(word: &[u8], mut index: usize, out: &mut Vec<u8>) -> Result<usize, String> {
    while index < word.len() {
        match word[index] {
            b'"' => return Ok(index + 1),
            b'\\' => match word.get(index + 1) {
                Some(&escaped @ (b'$' | b'`' | b'"' | b'\\')) => {
                    out.push(escaped);
                    index += 2;
                }
                Some(b'\n') => index += 2,
                _ => {
                    out.push(b'\\');
                    index += 1;
                }
            },
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    Err("unterminated double quote".to_owned())
}

/// Returns the index just past the closing quote.
fn decode_ansi_c_quoted(word: &[u8], mut index: usize, out: &mut Vec<u8>) -> Result<usize, String> {
    while index < word.len() {
        match word[index] {
            b'\'' => return Ok(index + 1),
            b'\\' => {
                let escape = *word.get(index + 1).ok_or("dangling backslash")?;
                index += 2;
                match escape {
                    b'a' => out.push(0x07),
                    b'b' => out.push(0x08),
                    b'e' | b'E' => out.push(0x1b),
                    b'f' => out.push(0x0c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'v' => out.push(0x0b),
                    b'\\' | b'\'' | b'"' | b'?' => out.push(escape),
                    b'0'..=b'7' => {
                        let (value, used) = read_digits(&word[index - 1..], 8, 3);
                        // Bash keeps only the low byte of octal escapes such as \777.
                        out.push((value & 0xff) as u8);
                        index += used - 1;
                    }
                    b'x' => {
                        let (value, used) = read_digits(&word[index..], 16, 2);
                        if used == 0 {
                            out.extend_from_slice(b"\\x");
                        } else {
                            out.push(value as u8);
                            index += used;
                        }
                    }
                    b'u' | b'U' => {
                        let max_digits = if escape == b'u' { 4 } else { 8 };
                        let (value, used) = read_digits(&word[index..], 16, max_digits);
                        match char::from_u32(value).filter(|_| used > 0) {
                            Some(character) => {
                                let mut buffer = [0u8; 4];
                                out.extend_from_slice(
                                    character.encode_utf8(&mut buffer).as_bytes(),
                                );
                                index += used;
                            }
                            None => {
                                out.push(b'\\');
                                out.push(escape);
                            }
                        }
                    }
                    b'c' => {
                        let control = *word.get(index).ok_or("dangling \\c escape")?;
                        out.push(control.to_ascii_uppercase() & 0x1f);
                        index += 1;
                    }
                    other => {
                        out.push(b'\\');
                        out.push(other);
                    }
                }
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    Err("unterminated $'...' quote".to_owned())
}

fn read_digits(text: &[u8], radix: u32, max_digits: usize) -> (u32, usize) {
    let mut value = 0u32;
    let mut used = 0;
    for &byte in text.iter().take(max_digits) {
        match char::from(byte).to_digit(radix) {
            Some(digit) => {
                value = value * radix + digit;
                used += 1;
            }
            None => break,
        }
    }
    (value, used)
}

/// `value` in single quotes, which bash reads back byte for byte without any expansion. A
/// single quote inside is written as `'"'"'` so the word stays made of quoted segments only.
pub(crate) fn single_quoted(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for character in value.chars() {
        if character == '\'' {
            quoted.push_str("'\"'\"'");
        } else {
            quoted.push(character);
        }
    }
    quoted.push('\'');
    quoted
}

pub(crate) fn is_shell_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(first) if first == b'_' || first.is_ascii_alphabetic())
        && bytes.all(|byte| byte == b'_' || byte.is_ascii_alphanumeric())
}

fn excerpt(text: &[u8]) -> String {
    const LIMIT: usize = 60;
    let shown = String::from_utf8_lossy(&text[..text.len().min(LIMIT)]).into_owned();
    if text.len() > LIMIT {
        format!("{shown}...")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_attributes_name_and_quoted_value() {
        let statement = DeclareStatement::parse(br#"declare -x FOO="a \"b\" \$c""#).unwrap();
        assert_eq!(statement.attributes, "x");
        assert_eq!(statement.name, "FOO");
        assert_eq!(statement.scalar_value().unwrap().unwrap(), br#"a "b" $c"#);

        let unset = DeclareStatement::parse(b"declare -- y").unwrap();
        assert_eq!(unset.attributes, "");
        assert_eq!(unset.value, None);
        assert_eq!(unset.scalar_value().unwrap(), None);
    }

    #[test]
    fn decodes_ansi_c_strings() {
        let decoded = decode_quoted_word(br"$'a\nb\tc \\ \001 \x41\u00e9\'q\''").unwrap();
        assert_eq!(decoded, "a\nb\tc \\ \u{1} A\u{e9}'q'".as_bytes());
    }

    #[test]
    fn arrays_are_not_scalars() {
        let statement =
            DeclareStatement::parse(br#"declare -a arr=([0]="one" [1]=$'t\nwo')"#).unwrap();
        assert!(!statement.is_scalar());
        assert_eq!(statement.scalar_value().unwrap(), None);
    }

    #[test]
    fn statements_end_at_unquoted_newlines_only() {
        let text = b"declare -- a=$'x\\'\n'\ndeclare -- b=\"1\n2\"\ndeclare -- c";
        let first = statement_end(text, 0).unwrap();
        assert_eq!(&text[..first], b"declare -- a=$'x\\'\n'");
        let second = statement_end(text, first + 1).unwrap();
        assert_eq!(&text[first + 1..second], b"declare -- b=\"1\n2\"");
        assert_eq!(statement_end(text, second + 1).unwrap(), text.len());
        assert!(statement_end(b"declare -- a=\"open", 0).is_err());
    }

    #[test]
    fn single_quoting_round_trips_through_the_decoder() {
        for value in ["plain", "it's", "'; touch /tmp/x; '", "$(id) `id` \\ \n\t"] {
            let quoted = single_quoted(value);
            assert_eq!(
                decode_quoted_word(quoted.as_bytes()).unwrap(),
                value.as_bytes()
            );
        }
    }

    #[test]
    fn rejects_what_is_not_a_declare_statement() {
        assert!(DeclareStatement::parse(b"echo hi").is_err());
        assert!(DeclareStatement::parse(b"declare -x 1A=\"x\"").is_err());
        assert!(decode_quoted_word(b"bare").is_err());
    }
}
