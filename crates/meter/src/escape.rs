//! Values from data made safe for where they are shown: on a terminal, control characters
//! escaped (an ESC from a call record must not move the cursor, retitle the window or hide a
//! line); in a spreadsheet, no cell that starts a formula.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character must not reach a terminal as it is: a control character (C0, DEL, C1)
/// or a bidirectional override or isolate, which would reorder what follows it on the line.
fn unsafe_on_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character [`unsafe_on_terminal`] written as an escape (`\x1b`, `\u{202e}`),
/// for one value of a table or a line.
pub fn printable(s: &str) -> Cow<'_, str> {
    escaped(s, unsafe_on_terminal)
}

/// [`printable`] for text of several lines (a message): line breaks are kept.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escaped(s, |c| c != '\n' && unsafe_on_terminal(c))
}

fn escaped(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !escape(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// A CSV cell a spreadsheet takes as text, as OWASP advises against CSV injection: a cell that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. So does one
/// that starts with `'` already, so that a reader can always drop exactly one leading `'`.
/// Whatever the column: `+12125550100` comes out as `'+12125550100` (the amounts, rates and
/// durations meter writes are never negative, so they are never prefixed).
pub fn spreadsheet_cell(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("+1 (212) 555-0100 café"), "+1 (212) 555-0100 café");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("\x1b[2J\x07a\tb\nc\x7f"), r"\x1b[2J\x07a\x09b\x0ac\x7f");
        assert_eq!(printable("\u{9b}31m \u{202e}4321"), r"\u{9b}31m \u{202e}4321");
        assert_eq!(printable_lines("line 1\n\x1b]0;x\x07line 2"), "line 1\n\\x1b]0;x\\x07line 2");
    }

    #[test]
    fn cells_that_start_a_formula_are_prefixed() {
        for (cell, shown) in [
            ("=1+1", "'=1+1"),
            ("+12125550100", "'+12125550100"),
            ("-5.00", "'-5.00"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("12125550100", "12125550100"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_cell(cell), shown, "{cell:?}");
        }
    }
}
