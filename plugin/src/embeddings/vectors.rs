//! Reading the vectors an upstream answered, as hostile as it may be: OpenAI's shape
//! (`{"data":[{"embedding":[…],"index":i}],"usage":…}`, from together, deepinfra and scaleway)
//! and hf-inference's nested arrays (one vector per text, `[[…],[…]]`; `[…]` for a batch of
//! one). A third level of nesting is one vector per *token*: the model is not a
//! sentence-embedding model, and that is said, not averaged away. Every number must be finite
//! in 32 bits; vectors must all have one length, at most [`MAX_DIMENSIONS`]; there must be
//! exactly one per text. Lists are read element by element and refused past their bound, so a
//! hostile answer never sizes memory beyond what the (capped) body holds; serde_json stops at
//! 128 levels of nesting.

use std::fmt;

use openclaw_provider_abi::documents::EmbeddingUsage;
use serde::{
    Deserialize, Deserializer,
    de::{Error as _, SeqAccess, Visitor},
};

use crate::errors;

/// The longest vector accepted (the largest embedding models give 8,192).
pub const MAX_DIMENSIONS: usize = 65_536;

/// The most vectors one answer may hold: no request carries more texts.
pub const MAX_TEXTS: usize = 2048;

/// A list read element by element, refused past `MAX` elements.
struct Bounded<T, const MAX: usize>(Vec<T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for Bounded<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T, const MAX: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for Elements<T, MAX> {
            type Value = Bounded<T, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a list of at most {MAX} elements")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut elements = Vec::new();
                while let Some(element) = seq.next_element()? {
                    if elements.len() == MAX {
                        return Err(A::Error::custom(format!(
                            "a list of more than {MAX} elements"
                        )));
                    }
                    elements.push(element);
                }
                Ok(Bounded(elements))
            }
        }
        deserializer.deserialize_seq(Elements(std::marker::PhantomData))
    }
}

/// A number that fits a finite 32-bit float.
struct Component(f32);

impl<'de> Deserialize<'de> for Component {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = f64::deserialize(deserializer)? as f32;
        if number.is_finite() {
            Ok(Self(number))
        } else {
            Err(D::Error::custom("a number too large for 32 bits"))
        }
    }
}

type Vector = Bounded<Component, MAX_DIMENSIONS>;

impl Vector {
    fn into_floats(self) -> Vec<f32> {
        self.0.into_iter().map(|component| component.0).collect()
    }
}

/// What one batch came back as.
#[derive(Debug, PartialEq)]
pub struct Batch {
    pub vectors: Vec<Vec<f32>>,
    pub usage: Option<EmbeddingUsage>,
}

/// Why an answer is not usable.
#[derive(Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Not vectors at all (the message says what was wrong).
    Malformed(String),
    /// One vector per token: the model does not embed whole texts.
    TokenLevel,
}

/// OpenAI's shape.
#[derive(Deserialize)]
struct OpenAiAnswer {
    data: Bounded<OpenAiItem, MAX_TEXTS>,
    #[serde(default)]
    usage: Option<OpenAiUsage>,
}

#[derive(Deserialize)]
struct OpenAiItem {
    embedding: Vector,
    #[serde(default)]
    index: Option<usize>,
}

#[derive(Deserialize)]
struct OpenAiUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

/// Reads an OpenAI-shaped answer to a batch of `texts` texts.
pub fn openai(body: &[u8], texts: usize) -> Result<Batch, Unusable> {
    let answer: OpenAiAnswer = serde_json::from_slice(body).map_err(malformed)?;
    if answer.data.0.len() != texts {
        return Err(count_mismatch(answer.data.0.len(), texts));
    }
    // Put the vectors in the texts' order, each index exactly once.
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; texts];
    for (position, item) in answer.data.0.into_iter().enumerate() {
        let index = item.index.unwrap_or(position);
        let slot = slots
            .get_mut(index)
            .filter(|slot| slot.is_none())
            .ok_or_else(|| {
                Unusable::Malformed(format!(
                    "index {index} is out of range or comes twice in an answer for {texts} texts"
                ))
            })?;
        *slot = Some(non_empty(item.embedding.into_floats())?);
    }
    let vectors: Vec<Vec<f32>> = slots.into_iter().flatten().collect();
    check_lengths(&vectors)?;
    Ok(Batch {
        vectors,
        usage: answer.usage.map(|usage| EmbeddingUsage {
            prompt_tokens: usage.prompt_tokens,
            total_tokens: usage.total_tokens,
        }),
    })
}

/// Reads hf-inference's nested arrays for a batch of `texts` texts.
pub fn nested(body: &[u8], texts: usize) -> Result<Batch, Unusable> {
    let depth = body
        .iter()
        .filter(|byte| !byte.is_ascii_whitespace())
        .take_while(|&&byte| byte == b'[')
        .count();
    let vectors = match depth {
        1 if texts == 1 => {
            let vector: Vector = serde_json::from_slice(body).map_err(malformed)?;
            vec![non_empty(vector.into_floats())?]
        }
        2 => serde_json::from_slice::<Bounded<Vector, MAX_TEXTS>>(body)
            .map_err(malformed)?
            .0
            .into_iter()
            .map(|vector| non_empty(vector.into_floats()))
            .collect::<Result<_, _>>()?,
        0 => {
            return Err(Unusable::Malformed(
                "the answer is not a list of vectors".into(),
            ));
        }
        1 => return Err(count_mismatch(1, texts)),
        _ => return Err(Unusable::TokenLevel),
    };
    if vectors.len() != texts {
        return Err(count_mismatch(vectors.len(), texts));
    }
    check_lengths(&vectors)?;
    Ok(Batch {
        vectors,
        usage: None,
    })
}

fn count_mismatch(got: usize, texts: usize) -> Unusable {
    Unusable::Malformed(format!("{got} vectors for {texts} texts"))
}

fn malformed(err: serde_json::Error) -> Unusable {
    Unusable::Malformed(errors::json_failure(&err))
}

fn non_empty(vector: Vec<f32>) -> Result<Vec<f32>, Unusable> {
    if vector.is_empty() {
        return Err(Unusable::Malformed("an empty vector".into()));
    }
    Ok(vector)
}

fn check_lengths(vectors: &[Vec<f32>]) -> Result<(), Unusable> {
    let Some(first) = vectors.first() else {
        return Ok(());
    };
    match vectors.iter().find(|vector| vector.len() != first.len()) {
        Some(other) => Err(Unusable::Malformed(format!(
            "vectors of different lengths ({} and {}) in one answer",
            first.len(),
            other.len()
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_answers_come_back_in_the_texts_order() {
        let body = br#"{"object":"list","data":[
            {"object":"embedding","index":1,"embedding":[3,4]},
            {"object":"embedding","index":0,"embedding":[1,2.5]}],
            "model":"m","usage":{"prompt_tokens":6,"total_tokens":6}}"#;
        let batch = openai(body, 2).unwrap();
        assert_eq!(batch.vectors, [vec![1.0, 2.5], vec![3.0, 4.0]]);
        assert_eq!(batch.usage.unwrap().total_tokens, 6);
        // scaleway gives no index and no usage.
        let bare = openai(br#"{"data":[{"embedding":[1]},{"embedding":[2]}]}"#, 2).unwrap();
        assert_eq!(bare.vectors, [vec![1.0], vec![2.0]]);
        assert!(bare.usage.is_none());
    }

    #[test]
    fn hostile_or_wrong_openai_answers_are_refused() {
        let refused = |body: &[u8], texts| openai(body, texts).unwrap_err();
        assert!(
            matches!(refused(br#"{"data":[{"embedding":[1]}]}"#, 2), Unusable::Malformed(m) if m.contains("1 vectors for 2"))
        );
        assert!(
            matches!(refused(br#"{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]}"#, 2), Unusable::Malformed(m) if m.contains("twice"))
        );
        assert!(
            matches!(refused(br#"{"data":[{"index":0,"embedding":[1]},{"index":1,"embedding":[2,3]}]}"#, 2), Unusable::Malformed(m) if m.contains("different lengths"))
        );
        assert!(matches!(
            refused(br#"{"data":[{"embedding":["1"]}]}"#, 1),
            Unusable::Malformed(_)
        ));
        assert!(matches!(
            refused(br#"{"data":[{"embedding":[NaN]}]}"#, 1),
            Unusable::Malformed(_)
        ));
        assert!(matches!(
            refused(br#"{"data":[{"embedding":[1e300]}]}"#, 1),
            Unusable::Malformed(_)
        ));
        let long = format!(
            r#"{{"data":[{{"embedding":[{}0]}}]}}"#,
            "0,".repeat(MAX_DIMENSIONS)
        );
        assert!(matches!(
            refused(long.as_bytes(), 1),
            Unusable::Malformed(_)
        ));
        assert!(matches!(
            refused(br#"{"data":[{"embedding":[]}]}"#, 1),
            Unusable::Malformed(_)
        ));
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            refused(deep.as_bytes(), 1),
            Unusable::Malformed(_)
        ));
    }

    #[test]
    fn nested_arrays_of_each_depth() {
        assert_eq!(
            nested(b" [[1,2],[3,4]] ", 2).unwrap().vectors,
            [vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        assert_eq!(nested(b"[0.5,0.25]", 1).unwrap().vectors, [vec![0.5, 0.25]]);
        assert_eq!(
            nested(b"[[[1,2],[3,4]]]", 1).unwrap_err(),
            Unusable::TokenLevel
        );
        assert!(matches!(
            nested(b"[1,2]", 2).unwrap_err(),
            Unusable::Malformed(_)
        ));
        assert!(matches!(
            nested(b"{\"error\":1}", 1).unwrap_err(),
            Unusable::Malformed(_)
        ));
        assert!(matches!(
            nested(b"[[1,2],[3]]", 2).unwrap_err(),
            Unusable::Malformed(_)
        ));
        assert!(matches!(
            nested(b"[[1e39]]", 1).unwrap_err(),
            Unusable::Malformed(_)
        ));
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            nested(deep.as_bytes(), 1).unwrap_err(),
            Unusable::TokenLevel
        );
    }
}
