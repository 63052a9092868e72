//! Where a large document can be cut in two so each half is parsed on its
//! own thread and the halves joined give the document parsed whole.
//!
//! A cut goes just before an ATX heading (`#`…`######`) that starts at
//! column 0 after a blank line. Such a line closes every list, block quote,
//! paragraph, table, indented code and HTML block of types 6–7 (those end at
//! a blank line), so the block structure starts afresh there — unless the
//! line is inside a top-level fenced code block, an HTML block of types 1–5
//! (`<!--`, `<pre`, `<script`, `<?`, `<!X`, CDATA), or the front matter. A
//! cheap scan tracks top-level fences and comments to skip such lines; the
//! first half's own parse then confirms the cut (see
//! [`cut_confirmed`]) and a wrong guess costs a parse of the whole document
//! on one thread, never a wrong result.
//!
//! Link reference and footnote definitions are the one thing Markdown
//! resolves across the whole document: [`may_define_references`] finds
//! them, and a document that may have any is parsed whole.

use memchr::memmem;

/// A cut near the middle of `text`, or `None` when no safe line is found
/// in the second quarter or the third.
pub(crate) fn find_cut(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let start = front_matter_end(bytes)?;
    let (low, high) = (text.len() / 4, text.len() * 3 / 4);
    let mut state = BlockState::default();
    let mut line_start = start;
    let mut previous_blank = true;
    let mut best: Option<usize> = None;
    // One search over the text for every line end: a search per line costs
    // more in setting up than in searching.
    let mut line_ends = memchr::memchr_iter(b'\n', &bytes[start..]).map(|end| start + end + 1);
    while line_start < high {
        let line_end = line_ends.next().unwrap_or(bytes.len());
        let line = &bytes[line_start..line_end];
        let blank = is_blank(line);
        if state.is_clear() && previous_blank && line_start >= low && is_atx_heading(line) {
            match best {
                Some(cut)
                    if cut.abs_diff(text.len() / 2) <= line_start.abs_diff(text.len() / 2) =>
                {
                    return best;
                }
                _ => best = Some(line_start),
            }
        }
        state.update(line);
        previous_blank = blank;
        line_start = line_end;
    }
    best
}

/// Whether `text` may hold a link reference or footnote definition
/// (`[label]: …`, `[^note]: …`), which the other half would need.
pub(crate) fn may_define_references(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The line of the last `]:` and where its first `[` is: one line may hold many `]:`.
    let mut line: Option<(usize, Option<usize>)> = None;
    let mut previous = 0;
    for found in memmem::find_iter(bytes, b"]:") {
        let new_line = memchr::memrchr(b'\n', &bytes[previous..found]).map(|i| previous + i + 1);
        previous = found;
        let (line_start, first_open) = match (new_line, line) {
            (None, Some(known)) => known,
            _ => {
                let line_start = new_line.unwrap_or(0);
                let first_open = memchr::memchr(b'[', &bytes[line_start..]).map(|i| line_start + i);
                *line.insert((line_start, first_open))
            }
        };
        // A label may span lines; a line with no `[` before the `]:` may be its end.
        let Some(open) = first_open.filter(|open| *open < found) else {
            return true;
        };
        // What may come before the label: indentation and container markers.
        if bytes[line_start..open].iter().all(|b| {
            matches!(
                b,
                b' ' | b'\t' | b'>' | b'-' | b'*' | b'+' | b'.' | b')' | b'0'..=b'9'
            )
        }) {
            return true;
        }
    }
    false
}

/// Whether the parse of the text before `cut` ended with every top-level
/// block closed by the cut's preceding lines: the last top-level block
/// ended at or before `boundary` (the end of the last non-blank line before
/// the cut), unless it is one that cannot swallow the heading anyway.
pub(crate) fn cut_confirmed(
    last_top_level: Option<(TopLevelBlock, usize)>,
    boundary: usize,
) -> bool {
    match last_top_level {
        Some((TopLevelBlock::Swallowing, end)) => end <= boundary,
        _ => true,
    }
}

/// The kind of a document's top-level block, as far as cutting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopLevelBlock {
    /// A fenced code block, HTML block or metadata block: left open, it
    /// would run on over a following heading.
    Swallowing,
    Other,
}

/// Where the last non-blank line before `cut` ends.
pub(crate) fn content_end_before(text: &str, cut: usize) -> usize {
    let bytes = &text.as_bytes()[..cut];
    let mut end = cut;
    while end > 0 {
        let line_start = memchr::memrchr(b'\n', &bytes[..end - 1]).map_or(0, |i| i + 1);
        if !is_blank(&bytes[line_start..end]) {
            return end;
        }
        end = line_start;
    }
    0
}

/// Top-level blocks the scan follows because a heading inside them is not one.
#[derive(Default)]
struct BlockState {
    /// The open fence's character and length.
    fence: Option<(u8, usize)>,
    /// What ends the open HTML block of types 1–5.
    html_end: Option<&'static [u8]>,
}

impl BlockState {
    fn is_clear(&self) -> bool {
        self.fence.is_none() && self.html_end.is_none()
    }

    fn update(&mut self, line: &[u8]) {
        if let Some(end) = self.html_end {
            if memmem::find(line, end).is_some() {
                self.html_end = None;
            }
            return;
        }
        let indent = line.iter().take_while(|b| **b == b' ').count();
        let rest = &line[indent.min(line.len())..];
        if let Some((fence_char, open_len)) = self.fence {
            let run = rest.iter().take_while(|b| **b == fence_char).count();
            if indent <= 3 && run >= open_len && is_blank(&rest[run..]) {
                self.fence = None;
            }
            return;
        }
        if indent > 3 {
            return;
        }
        if let Some(&fence_char @ (b'`' | b'~')) = rest.first() {
            let run = rest.iter().take_while(|b| **b == fence_char).count();
            // A backtick fence's info string cannot hold a backtick.
            if run >= 3 && (fence_char == b'~' || !rest[run..].contains(&b'`')) {
                self.fence = Some((fence_char, run));
            }
            return;
        }
        if rest.first() == Some(&b'<') {
            let end = html_block_end(rest);
            if let Some(end) = end
                && memmem::find(&rest[1..], end).is_none()
            {
                self.html_end = Some(end);
            }
        }
    }
}

/// The end marker of an HTML block of types 1–5 starting with `line`.
fn html_block_end(line: &[u8]) -> Option<&'static [u8]> {
    let lower: Vec<u8> = line.iter().take(11).map(u8::to_ascii_lowercase).collect();
    let starts = |prefix: &[u8]| lower.starts_with(prefix);
    if starts(b"<!--") {
        Some(b"-->")
    } else if starts(b"<?") {
        Some(b"?>")
    } else if starts(b"<![cdata[") {
        Some(b"]]>")
    } else if lower.len() > 2 && lower[1] == b'!' && lower[2].is_ascii_alphabetic() {
        Some(b">")
    } else if starts(b"<script") {
        Some(b"</script>")
    } else if starts(b"<pre") {
        Some(b"</pre>")
    } else if starts(b"<style") {
        Some(b"</style>")
    } else if starts(b"<textarea") {
        Some(b"</textarea>")
    } else {
        None
    }
}

/// Where the front matter ends, `Some(0)` when there is none, and `None`
/// when one is opened and never closed.
fn front_matter_end(bytes: &[u8]) -> Option<usize> {
    let delimiter: &[u8] = match bytes {
        [b'+', b'+', b'+', ..] => b"+++",
        [b'-', b'-', b'-', ..] => b"---",
        _ => return Some(0),
    };
    let mut line_start = memchr::memchr(b'\n', bytes)? + 1;
    while line_start < bytes.len() {
        let line_end = memchr::memchr(b'\n', &bytes[line_start..])
            .map_or(bytes.len(), |end| line_start + end + 1);
        let line = &bytes[line_start..line_end];
        if line.starts_with(delimiter) || line.starts_with(b"...") {
            return Some(line_end);
        }
        line_start = line_end;
    }
    None
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// `#` to `######` at column 0, then a space, a tab or the line's end.
fn is_atx_heading(line: &[u8]) -> bool {
    let hashes = line.iter().take_while(|b| **b == b'#').count();
    (1..=6).contains(&hashes)
        && matches!(line.get(hashes), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut_of(text: &str) -> Option<&str> {
        find_cut(text).map(|cut| &text[cut..])
    }

    #[test]
    fn cuts_before_a_heading_near_the_middle() {
        let filler = "prose line\n\n".repeat(20);
        let text = format!("{filler}## A\n\n{filler}## Middle\n\n{filler}## B\n\n{filler}");
        assert!(cut_of(&text).is_some_and(|rest| rest.starts_with("## Middle")));
    }

    #[test]
    fn never_cuts_inside_a_fence_a_comment_or_front_matter() {
        let filler = "prose\n\n".repeat(30);
        let fenced = format!("{filler}```bash\necho\n\n# not a heading\n```\n{filler}");
        assert_eq!(cut_of(&fenced), None);
        let commented = format!("{filler}<!--\n\n# hidden\n-->\n{filler}");
        assert_eq!(cut_of(&commented), None);
        let unclosed_front_matter = format!("+++\ntitle = 'x'\n\n# comment\n{filler}");
        assert_eq!(cut_of(&unclosed_front_matter), None);
        let no_blank_before = format!("{filler}<div>\n# inside html\n{filler}");
        assert_eq!(cut_of(&no_blank_before), None);
    }

    #[test]
    fn a_fence_closed_by_a_longer_run_ends_and_a_heading_after_it_is_a_cut() {
        let filler = "prose\n\n".repeat(30);
        let text = format!("{filler}~~~~\n```\n\n# in\n~~~~~\n\n# Out\n\n{filler}");
        assert!(cut_of(&text).is_some_and(|rest| rest.starts_with("# Out")));
    }

    #[test]
    fn reference_definitions_are_found_conservatively() {
        assert!(may_define_references(
            "text\n\n[docs]: https://example.com\n"
        ));
        assert!(may_define_references("> - [^1]: a footnote\n"));
        assert!(may_define_references("[multi\nline]: /url\n"));
        assert!(!may_define_references(
            "echo \"${HOSTS[0]}:8080\"\nplain text\n"
        ));
    }

    #[test]
    fn content_ends_before_blank_lines() {
        let text = "para\n\n \n# H\n";
        assert_eq!(content_end_before(text, text.find('#').unwrap()), 5);
        assert_eq!(content_end_before("\n\n# H", 2), 0);
    }
}
