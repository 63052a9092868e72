//! Lines of text found with `memchr`: for the many short texts a parse
//! splits (code lines, scripts), `str::split_inclusive('\n')` costs several
//! times as much per line in setting up its search.

/// The lines of `text`, each with its `\n` (the last one may have none):
/// what `text.split_inclusive('\n')` gives.
pub(crate) fn lines_with_newlines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text.as_bytes());
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let end = ends.next().map_or(text.len(), |end| end + 1);
        let line = &text[start..end];
        start = end;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_those_split_inclusive_gives() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\nb\n",
            "\n\nx\r\n\n",
            "é\nü\n€",
        ] {
            let ours: Vec<&str> = lines_with_newlines(text).collect();
            let std: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }
}
