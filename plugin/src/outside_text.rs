//! Text from outside — what the service said in an error body or event, a response header, an
//! account name — made fit to show inside an error message, a notice or a log line. It becomes
//! one line; control characters (escape sequences a terminal would obey, NUL, DEL, C1) and the
//! bidirectional-formatting characters that can make text display in another order than it
//! reads are written as visible `\u{…}` escapes; anything shaped like a Hugging Face token, and
//! the caller's own token, is removed; and it is cut to a bounded length. [`quote`] is the one
//! way outside text enters a message. Data that travels as JSON (answer text, tool-call names and
//! arguments) is the caller's and is never passed through here: it stays exact.

use std::fmt::Write as _;

/// The longest piece of outside text quoted, in characters (before escaping).
pub const MAX_QUOTE: usize = 300;

/// Outside text fit to quote: one line, escaped, scrubbed of tokens, bounded.
pub fn quote(text: &str, secret: Option<&str>) -> String {
    // Redaction first, on the whole text: cutting first could leave half a token behind.
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = redact(&one_line, secret);
    let mut quoted = String::with_capacity(cleaned.len().min(MAX_QUOTE * 4) + 3);
    for (count, c) in cleaned.chars().enumerate() {
        if count == MAX_QUOTE {
            quoted.push('…');
            break;
        }
        if must_escape(c) {
            // Infallible: writing to a String.
            let _ = write!(quoted, "\\u{{{:x}}}", u32::from(c));
        } else {
            quoted.push(c);
        }
    }
    quoted
}

/// Whether a character is shown as an escape rather than itself.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200e}' | '\u{200f}'          // left-to-right and right-to-left marks
            | '\u{202a}'..='\u{202e}'        // embeddings and overrides
            | '\u{2066}'..='\u{2069}'        // isolates
            | '\u{061c}'                     // Arabic letter mark
        )
}

/// Removes anything shaped like a Hugging Face token, and `secret` itself, from outside text.
pub fn redact(text: &str, secret: Option<&str>) -> String {
    let mut cleaned = match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, "[redacted]"),
        _ => text.to_owned(),
    };
    for prefix in ["hf_", "api_org_"] {
        let mut out = String::with_capacity(cleaned.len());
        let mut rest = cleaned.as_str();
        while let Some(start) = rest.find(prefix) {
            let tail = &rest[start + prefix.len()..];
            let run = tail
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(tail.len());
            out.push_str(&rest[..start]);
            if run >= 8 {
                out.push_str("[redacted]");
            } else {
                out.push_str(&rest[start..start + prefix.len() + run]);
            }
            rest = &tail[run..];
        }
        out.push_str(rest);
        cleaned = out;
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_survive_quoting() {
        let secret = "hf_SECRETsecretSECRETsecret1234";
        let text =
            format!("bad token {secret} and hf_abcdefghijklmnop but hf_short ok\nsecond line");
        let quoted = quote(&text, Some(secret));
        assert!(!quoted.contains(secret));
        assert!(!quoted.contains("hf_abcdefghijklmnop"));
        assert!(quoted.contains("hf_short"));
        assert!(!quoted.contains('\n'));
        let long = "x".repeat(1000);
        assert!(quote(&long, None).chars().count() <= MAX_QUOTE + 1);
    }

    #[test]
    fn control_and_bidi_characters_become_visible_escapes() {
        let hostile =
            "red \u{1b}[31mALERT\u{1b}[0m\u{7}\u{0}\u{7f}\u{9b}2J \u{202e}txt.exe\u{2069} ok";
        let quoted = quote(hostile, None);
        assert!(
            !quoted.chars().any(must_escape),
            "a raw control character survived: {quoted:?}"
        );
        assert_eq!(
            quoted,
            "red \\u{1b}[31mALERT\\u{1b}[0m\\u{7}\\u{0}\\u{7f}\\u{9b}2J \\u{202e}txt.exe\\u{2069} ok"
        );
        // Line breaks and tabs are white space: they fold into single spaces.
        assert_eq!(quote("a\r\n\tb\u{85}c\u{2028}d", None), "a b c d");
        // Ordinary text, accents and emoji included, is untouched.
        assert_eq!(quote("déjà vu 🙂", None), "déjà vu 🙂");
    }
}
