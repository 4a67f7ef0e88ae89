//! Separating inline reasoning from the answer: some upstreams (DeepSeek-R1 on Together, for one)
//! stream the model's reasoning inside `content`, wrapped in `<think>…</think>`. The splitter
//! sees the text in pieces of any size — a tag may arrive split across pieces — and sorts each
//! piece into answer text and reasoning. `<thinking>` and `<thought>` are recognised too; a
//! closing tag with no opening one is dropped.

/// The tags treated as reasoning, opening and closing.
const TAGS: [(&str, &str); 3] = [
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("<thought>", "</thought>"),
];

/// Sorts streamed text into answer and reasoning.
#[derive(Debug, Default)]
pub struct ThinkSplitter {
    /// Inside a reasoning block: the closing tag that ends it.
    inside: Option<&'static str>,
    /// Text held back because it may be the start of a tag.
    held: String,
}

/// What one piece of text turned into.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub text: String,
    pub reasoning: String,
}

impl ThinkSplitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sorts a piece of streamed content.
    pub fn push(&mut self, piece: &str) -> Split {
        let mut out = Split::default();
        // Fast path: nothing held, no tag can start in this piece.
        if self.held.is_empty() && !piece.contains('<') {
            self.emit(piece, &mut out);
            return out;
        }
        let mut buffer = std::mem::take(&mut self.held);
        buffer.push_str(piece);
        let mut rest = buffer.as_str();
        while let Some(at) = rest.find('<') {
            let (before, candidate) = rest.split_at(at);
            self.emit(before, &mut out);
            match self.match_tag(candidate) {
                TagMatch::Tag(length) => rest = &candidate[length..],
                TagMatch::Partial => {
                    self.held = candidate.to_owned();
                    return out;
                }
                TagMatch::None => {
                    self.emit("<", &mut out);
                    rest = &candidate[1..];
                }
            }
        }
        self.emit(rest, &mut out);
        out
    }

    /// Ends the stream: text held back as a possible tag start is emitted as what it is.
    pub fn finish(&mut self) -> Split {
        let mut out = Split::default();
        let held = std::mem::take(&mut self.held);
        self.emit(&held, &mut out);
        out
    }

    fn emit(&self, text: &str, out: &mut Split) {
        if self.inside.is_some() {
            out.reasoning.push_str(text);
        } else {
            out.text.push_str(text);
        }
    }

    /// Whether `candidate` (starting with `<`) begins with a tag relevant in the current state.
    fn match_tag(&mut self, candidate: &str) -> TagMatch {
        let mut partial = false;
        for (open, close) in TAGS {
            match self.inside {
                Some(expected) if expected == close => {
                    if candidate.starts_with(close) {
                        self.inside = None;
                        return TagMatch::Tag(close.len());
                    }
                    partial |= close.starts_with(candidate);
                }
                Some(_) => {}
                None => {
                    if candidate.starts_with(open) {
                        self.inside = Some(close);
                        return TagMatch::Tag(open.len());
                    }
                    if candidate.starts_with(close) {
                        return TagMatch::Tag(close.len()); // a stray closing tag
                    }
                    partial |= open.starts_with(candidate) || close.starts_with(candidate);
                }
            }
        }
        if partial {
            TagMatch::Partial
        } else {
            TagMatch::None
        }
    }
}

enum TagMatch {
    /// A tag of this many bytes.
    Tag(usize),
    /// Could still become a tag with more text.
    Partial,
    None,
}

/// Splits a whole text at once (one-shot responses).
pub fn split_all(text: &str) -> Split {
    let mut splitter = ThinkSplitter::new();
    let mut split = splitter.push(text);
    let rest = splitter.finish();
    split.text.push_str(&rest.text);
    split.reasoning.push_str(&rest.reasoning);
    split
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pieces(parts: &[&str]) -> Split {
        let mut splitter = ThinkSplitter::new();
        let mut total = Split::default();
        for part in parts {
            let split = splitter.push(part);
            total.text.push_str(&split.text);
            total.reasoning.push_str(&split.reasoning);
        }
        let rest = splitter.finish();
        total.text.push_str(&rest.text);
        total.reasoning.push_str(&rest.reasoning);
        total
    }

    #[test]
    fn separates_reasoning_from_the_answer() {
        let split = split_all("<think>\nLet me think.\n</think>\n\nThe answer is 4.");
        assert_eq!(split.reasoning, "\nLet me think.\n");
        assert_eq!(split.text, "\n\nThe answer is 4.");
    }

    #[test]
    fn tags_split_across_pieces_are_found() {
        let split = pieces(&["<th", "ink>why", "</thi", "nk>because", " 1 < 2 <b>"]);
        assert_eq!(split.reasoning, "why");
        assert_eq!(split.text, "because 1 < 2 <b>");
        let split = pieces(&[
            "<", "t", "h", "i", "n", "k", ">", "x", "<", "/", "think>", "y",
        ]);
        assert_eq!((split.reasoning.as_str(), split.text.as_str()), ("x", "y"));
    }

    #[test]
    fn other_tag_names_stray_closers_and_unfinished_tags() {
        let split = split_all("<thinking>a</thinking>b<thought>c</thought>d");
        assert_eq!(
            (split.reasoning.as_str(), split.text.as_str()),
            ("ac", "bd")
        );
        assert_eq!(split_all("answer</think> tail").text, "answer tail");
        // A stream that ends inside a would-be tag keeps the text.
        assert_eq!(pieces(&["a <thi"]).text, "a <thi");
        // A closing tag of another kind inside a block is reasoning text.
        let split = split_all("<think>x</thought>y</think>z");
        assert_eq!(
            (split.reasoning.as_str(), split.text.as_str()),
            ("x</thought>y", "z")
        );
    }

    proptest! {
        #[test]
        fn splitting_is_independent_of_piece_boundaries(
            text in "(<think>|</think>|<thi|nk>|<|>|a|b| |\n|é){0,40}",
            cut in any::<prop::sample::Index>(),
        ) {
            let whole = split_all(&text);
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let at = boundaries[cut.index(boundaries.len())];
            prop_assert_eq!(pieces(&[&text[..at], &text[at..]]), whole);
        }
    }
}
