//! A nesting limit for JSON and JSON5 text from outside, checked before it is parsed: a
//! recursive parser given thousands of open brackets overflows its stack, and a stack overflow
//! ends the process no matter what catches panics. serde_json stops at 128 levels on its own;
//! the JSON5 parser does not, so everything read as JSON5 goes through [`check`] first.

/// The deepest nesting accepted: far beyond any real configuration or manifest.
pub const MAX_DEPTH: usize = 128;

/// Where the text nests deeper than `limit`: the 1-based line and column of the bracket that
/// goes one level too deep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("nested deeper than {limit} levels at line {line} column {column}")]
pub struct TooDeep {
    pub limit: usize,
    pub line: usize,
    pub column: usize,
}

/// Checks that `text` (JSON or JSON5: strings in either quote, `//` and `/* */` comments) never
/// nests objects and arrays deeper than `limit`.
pub fn check(text: &str, limit: usize) -> Result<(), TooDeep> {
    enum State {
        Code,
        Text { quote: char, escaped: bool },
        LineComment,
        BlockComment { star: bool },
    }
    let mut state = State::Code;
    let mut depth = 0usize;
    let (mut line, mut column) = (1usize, 0usize);
    let mut previous = '\0';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        state = match state {
            State::Code => match c {
                '"' | '\'' => State::Text {
                    quote: c,
                    escaped: false,
                },
                '/' if previous == '/' => State::LineComment,
                '*' if previous == '/' => State::BlockComment { star: false },
                '[' | '{' => {
                    depth += 1;
                    if depth > limit {
                        return Err(TooDeep {
                            limit,
                            line,
                            column,
                        });
                    }
                    State::Code
                }
                ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    State::Code
                }
                _ => State::Code,
            },
            State::Text { quote, escaped } => match c {
                _ if escaped => State::Text {
                    quote,
                    escaped: false,
                },
                '\\' => State::Text {
                    quote,
                    escaped: true,
                },
                _ if c == quote => State::Code,
                _ => State::Text { quote, escaped },
            },
            State::LineComment if c == '\n' => State::Code,
            State::LineComment => State::LineComment,
            State::BlockComment { star } => match c {
                '/' if star => State::Code,
                _ => State::BlockComment { star: c == '*' },
            },
        };
        // A `/` that opened a comment must not also start the next one.
        previous = match state {
            State::Code if previous == '/' && c == '/' => '\0',
            _ => c,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings_and_comments() {
        assert!(check(r#"{"a": [1, {"b": []}]}"#, 4).is_ok());
        assert!(check(r#"{"a": [1, {"b": []}]}"#, 3).is_err());
        assert_eq!(
            check("{\n  a: [[[1]]]\n}", 3),
            Err(TooDeep {
                limit: 3,
                line: 2,
                column: 8
            })
        );
        assert!(
            check(
                r#"{"a": "[[[[[[", b: '{{{{', // [[[[[
                          /* {{{{{ */ c: 1}"#,
                1
            )
            .is_ok()
        );
        assert!(check(r#"{"a": "\"[[[[["}"#, 1).is_ok());
        let deep = "[".repeat(100_000);
        assert_eq!(check(&deep, MAX_DEPTH).unwrap_err().column, MAX_DEPTH + 1);
    }
}
