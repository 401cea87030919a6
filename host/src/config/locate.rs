//! Where in the file an error is: its line, column and key, from the byte
//! span a TOML error carries and the message it gives.
//!
//! toml's errors carry a span (the key for an unknown field, the value for
//! a bad value, the table for a missing field) but not the key in a form we
//! can read, so the key is found from the message (`unknown field `x``,
//! `missing field `x``) or from the text left of the span (`x = <span>`),
//! and prefixed with the table whose header comes before it
//! (`resource.params.port`).

use std::ops::Range;

/// A place in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    /// From 1.
    pub(crate) line: usize,
    /// From 1, in characters.
    pub(crate) column: usize,
    /// The dotted key, with its table.
    pub(crate) key: String,
}

/// The place of an error at `span` (none: the file's start) whose message is
/// `message`.
pub(crate) fn place(source: &str, span: Option<Range<usize>>, message: &str) -> Place {
    let start = span.map_or(0, |s| s.start).min(source.len());
    let start = floor_char_boundary(source, start);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = source[..line_start].matches('\n').count() + 1;
    let column = source[line_start..start].chars().count() + 1;
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |i| line_start + i);
    let text = &source[line_start..line_end];

    let header = header_of(text);
    let left = &text[..start - line_start];
    let (table, key) = if let Some(named) = named_key(message) {
        // An unknown or missing field: named by the message. A header on
        // the error's line is its table (`[host]` missing a field, or a
        // span on the table itself).
        let table = header.map_or_else(|| table_before(source, line_start), str::to_owned);
        (table, join(inline_path(left), named))
    } else if let Some(h) = header {
        (String::new(), h.to_owned())
    } else {
        let key = last_key(left);
        (
            table_before(source, line_start),
            join(inline_path(left), &key),
        )
    };
    let key = match (table.is_empty(), key.is_empty()) {
        (_, true) => table,
        (true, false) => key,
        (false, false) => format!("{table}.{key}"),
    };
    Place { line, column, key }
}

/// `unknown field `x``, `missing field `x``, `duplicate key `x``: `x`.
fn named_key(message: &str) -> Option<&str> {
    for lead in ["unknown field `", "missing field `", "duplicate key `"] {
        if let Some(i) = message.find(lead) {
            let rest = &message[i + lead.len()..];
            return rest.find('`').map(|end| &rest[..end]);
        }
    }
    None
}

/// The table named by a header line (`[host]`, `[[resource]]`,
/// `[resource.params]`).
fn header_of(line: &str) -> Option<&str> {
    let t = line.trim();
    let inner = t.strip_prefix("[[").and_then(|t| t.split_once("]]"));
    let inner = inner.or_else(|| t.strip_prefix('[').and_then(|t| t.split_once(']')));
    inner.map(|(name, _)| name.trim())
}

/// The table of the last header before `line_start`; empty at top level.
fn table_before(source: &str, line_start: usize) -> String {
    source[..line_start]
        .lines()
        .rev()
        .find_map(header_of)
        .unwrap_or("")
        .to_owned()
}

/// The keys of the inline tables still open in `left` (`p = { q = { `:
/// `p.q`).
fn inline_path(left: &str) -> String {
    let mut path = Vec::new();
    for (i, c) in left.char_indices() {
        match c {
            '{' => path.push(last_key(&left[..i])),
            '}' => drop(path.pop()),
            _ => {}
        }
    }
    path.retain(|k| !k.is_empty());
    path.join(".")
}

/// `a.b` and `c`: `a.b.c`; either may be empty.
fn join(path: String, key: &str) -> String {
    match (path.is_empty(), key.is_empty()) {
        (true, _) => key.to_owned(),
        (false, true) => path,
        (false, false) => format!("{path}.{key}"),
    }
}

/// The key before the last `=` of `text`.
fn last_key(text: &str) -> String {
    let Some(eq) = text.rfind('=') else {
        return String::new();
    };
    let before = text[..eq].trim_end();
    let key_start = before
        .rfind(|c: char| !(c.is_alphanumeric() || "_-.\"'".contains(c)))
        .map_or(0, |i| i + 1);
    before[key_start..].replace(['"', '\''], "")
}

/// The largest char boundary at or below `i` (str::floor_char_boundary is
/// not stable yet).
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str, needle: &str, message: &str) -> Place {
        let i = source.find(needle).expect("the needle is in the source");
        place(source, Some(i..i + needle.len()), message)
    }

    #[test]
    fn a_bad_value_is_named_by_the_key_left_of_it_with_its_table() {
        let src =
            "[host]\nsocket = \"x\"\n\n[[resource]]\nname = \"a\"\npending_timeout = \"3x\"\n";
        let p = at(src, "\"3x\"", "bad duration");
        assert_eq!(
            p,
            Place {
                line: 6,
                column: 19,
                key: "resource.pending_timeout".into()
            }
        );
    }

    #[test]
    fn an_unknown_or_missing_field_is_named_by_the_message() {
        let src = "[[resource]]\nname = \"a\"\n[resource.params]\nprot = 1\n";
        let p = at(src, "prot", "unknown field `prot`, expected `port`");
        assert_eq!((p.line, p.key.as_str()), (4, "resource.params.prot"));
        let p = at(src, "[resource.params]", "missing field `port`");
        assert_eq!((p.line, p.key.as_str()), (3, "resource.params.port"));
    }

    #[test]
    fn a_key_inside_an_inline_table_is_found() {
        let src = "[[resource]]\nparams = { port = \"no\" }\n";
        let p = at(src, "\"no\"", "invalid type");
        assert_eq!((p.line, p.key.as_str()), (2, "resource.params.port"));
    }

    #[test]
    fn a_top_level_key_has_no_table() {
        let p = at("colour = 1\n", "1", "bad");
        assert_eq!(p.key, "colour");
    }
}
