//! Outside text made safe to show a person: what a router, the Hub, a catalog or a plugin says
//! may carry escape sequences (colours, cursor moves, OSC titles and links), BEL, CR, NUL or
//! bidirectional overrides that would rewrite the terminal or fake output. Control characters
//! become visible escapes (`\u{1b}`); [`one_line`] also turns line breaks and tabs into spaces
//! where one line is promised. JSON output never goes through here: serde escapes it exactly.

use std::borrow::Cow;

/// `text` for a multi-line display (a model's answer): line breaks and tabs stay, a CR before
/// a line break is dropped, every other control character is escaped.
pub fn text(text: &str) -> Cow<'_, str> {
    clean(text, false)
}

/// `text` for a one-line display (a table cell, an error message, a name): line breaks and
/// tabs become spaces, every other control character is escaped.
pub fn one_line(text: &str) -> Cow<'_, str> {
    clean(text, true)
}

fn clean(text: &str, one_line: bool) -> Cow<'_, str> {
    let kept = |c: char| !one_line && (c == '\n' || c == '\t');
    if !text.chars().any(|c| needs_care(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {
                if one_line {
                    out.push(' ');
                    chars.next();
                }
            }
            '\n' | '\t' if one_line => out.push(' '),
            '\n' | '\t' => out.push(c),
            _ if needs_care(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates.
fn needs_care(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_and_lines_stay_where_allowed() {
        assert!(matches!(text("plain words\n"), Cow::Borrowed(_)));
        assert_eq!(
            text("a\x1b[31mred\x07\r\nb\tc"),
            "a\\u{1b}[31mred\\u{7}\nb\tc"
        );
        assert_eq!(one_line("a\nb\r\nc\td\0"), "a b c d\\u{0}");
        assert_eq!(one_line("x\u{9b}2J\u{202e}y"), "x\\u{9b}2J\\u{202e}y");
        assert_eq!(text("over\rwrite"), "over\\u{d}write");
    }
}
