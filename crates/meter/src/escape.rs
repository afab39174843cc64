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

/// A CSV cell a spreadsheet takes as text (OWASP's advice against CSV injection), as every CSV
/// meter writes has it: the invoice document's call detail too.
pub use render::format::spreadsheet_cell;

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
}
