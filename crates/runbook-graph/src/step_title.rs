//! A step's one-line title, worked out from its texts whenever it is asked
//! for: only lists, prompts and exports show titles, so building a graph
//! does not look for them.

use crate::Step;
use std::borrow::Cow;

/// The first of: the instruction's first line, the script's first comment
/// (for steps that run), its first command, the body's first line, the kind.
/// Each candidate is only looked for when the ones before it are missing.
pub(crate) fn title_of(step: &Step) -> Cow<'_, str> {
    fn first_line(text: &str) -> Option<&str> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("#!"))
            .map(|line| line.trim_start_matches('#').trim().trim_matches('*').trim())
            .find(|line| !line.is_empty() && (!line.starts_with('/') || line.contains(' ')))
    }
    let script_lines = || {
        step.script()
            .into_iter()
            .flat_map(|script| script.text.lines().map(str::trim))
    };
    // The innermost part of an intro chain such as `Deploy › Step 2`.
    let innermost = |text: &'_ str| -> usize {
        // `›` is the only character with this last UTF-8 byte; a reverse
        // `memchr` for it skips long prose quickly.
        const SEPARATOR: &[u8] = " › ".as_bytes();
        let bytes = text.as_bytes();
        memchr::memrchr_iter(SEPARATOR[3], bytes)
            .map(|index| index + 2)
            .find(|&end| end <= bytes.len() && bytes[..end].ends_with(SEPARATOR))
            .map_or(0, |end| end)
    };
    let from_instruction = || {
        step.instruction()
            .and_then(|text| first_line(&text[innermost(text)..]))
    };
    let from_comment = || {
        script_lines()
            .filter(|line| line.starts_with('#') && !line.starts_with("#!"))
            .map(|line| line.trim_start_matches('#').trim())
            .find(|line| !line.is_empty())
    };
    let from_script = || script_lines().find(|line| !line.is_empty() && !line.starts_with('#'));
    let from_body = || step.body().and_then(first_line);
    let title = from_instruction()
        .or_else(|| step.kind.runs_code().then(from_comment).flatten())
        .or_else(from_script)
        .or_else(from_body)
        .unwrap_or(step.kind.as_str());
    match shortened(title, 72) {
        Some(shortened) => Cow::Owned(shortened),
        None => Cow::Borrowed(title),
    }
}

/// `text` cut to at most `max` characters (`max - 1` and `…`), or `None`
/// when it is no longer than that.
fn shortened(text: &str, max: usize) -> Option<String> {
    // Only the first `max + 1` characters are looked at, however long the text.
    text.char_indices().nth(max)?;
    let cut = text
        .char_indices()
        .nth(max.saturating_sub(1))
        .map_or(text.len(), |(index, _)| index);
    let mut out = String::with_capacity(cut + '…'.len_utf8());
    out.push_str(&text[..cut]);
    out.push('…');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cut_at_a_character_count() {
        assert_eq!(shortened("short", 72), None);
        let exact = "é".repeat(72);
        assert_eq!(shortened(&exact, 72), None);
        let long = format!("{}xyz", "é".repeat(72));
        let cut = shortened(&long, 72).unwrap();
        assert_eq!(cut, format!("{}…", "é".repeat(71)));
        assert_eq!(cut.chars().count(), 72);
        assert_eq!(shortened("abc", 2).as_deref(), Some("a…"));
    }
}
