//! How each upstream the plugin embeds through is asked, and how its answer reads: hf-inference's
//! own pipeline route, and the OpenAI-shaped `/embeddings` routes of together, deepinfra and
//! scaleway, all under the router root (`<root>/<upstream>/…`). An upstream not listed here is
//! not used for embeddings, whatever the Hub maps.

use openclaw_provider_abi::{ErrorCode, ProviderError};
use reqwest::Url;
use serde_json::{Value, json};

use super::vectors::{self, Batch, Unusable};

/// One upstream's way of embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// Its name on the router.
    pub upstream: &'static str,
    shape: Shape,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `POST <root>/hf-inference/models/<id>/pipeline/feature-extraction`, `{"inputs": [...]}`,
    /// answered with nested arrays.
    Pipeline,
    /// `POST <root>/<path>`, OpenAI's `{"model","input"}` (and `dimensions` where taken),
    /// answered in OpenAI's shape.
    OpenAi {
        path: &'static str,
        takes_dimensions: bool,
    },
}

/// The upstreams the plugin embeds through, in the order it prefers when nothing else decides.
pub const ROUTES: [Route; 4] = [
    Route {
        upstream: "hf-inference",
        shape: Shape::Pipeline,
    },
    Route {
        upstream: "together",
        shape: Shape::OpenAi {
            path: "together/v1/embeddings",
            takes_dimensions: true,
        },
    },
    Route {
        upstream: "deepinfra",
        shape: Shape::OpenAi {
            path: "deepinfra/v1/openai/embeddings",
            takes_dimensions: true,
        },
    },
    Route {
        upstream: "scaleway",
        shape: Shape::OpenAi {
            path: "scaleway/v1/embeddings",
            takes_dimensions: false,
        },
    },
];

/// The route of upstream `name`, if the plugin embeds through it.
pub fn route(name: &str) -> Option<Route> {
    ROUTES.iter().copied().find(|route| route.upstream == name)
}

/// The names of every upstream the plugin embeds through, for messages.
pub fn names() -> String {
    let names: Vec<&str> = ROUTES.iter().map(|route| route.upstream).collect();
    names.join(", ")
}

impl Route {
    /// Whether the upstream is asked for shorter vectors itself.
    pub fn takes_dimensions(self) -> bool {
        matches!(
            self.shape,
            Shape::OpenAi {
                takes_dimensions: true,
                ..
            }
        )
    }

    /// Where to send a request for the model the upstream knows as `provider_id`.
    pub fn url(self, root: &Url, provider_id: &str) -> Result<Url, ProviderError> {
        let mut url = root.clone();
        {
            let mut segments = url.path_segments_mut().map_err(|()| {
                ProviderError::new(
                    ErrorCode::INVALID_REQUEST,
                    "the base URL cannot take a path",
                )
            })?;
            segments.pop_if_empty();
            match self.shape {
                Shape::Pipeline => {
                    segments.extend(["hf-inference", "models"]);
                    segments.extend(provider_id.split('/'));
                    segments.extend(["pipeline", "feature-extraction"]);
                }
                Shape::OpenAi { path, .. } => {
                    segments.extend(path.split('/'));
                }
            }
        }
        Ok(url)
    }

    /// The request body for `texts`.
    pub fn body(self, provider_id: &str, texts: &[String], dimensions: Option<u32>) -> Value {
        match self.shape {
            Shape::Pipeline => json!({ "inputs": texts }),
            Shape::OpenAi {
                takes_dimensions, ..
            } => {
                let mut body = json!({ "model": provider_id, "input": texts });
                if let Some(dimensions) = dimensions.filter(|_| takes_dimensions) {
                    body["dimensions"] = dimensions.into();
                }
                body
            }
        }
    }

    /// The vectors of an answer to `texts` texts.
    pub fn read(self, body: &[u8], texts: usize) -> Result<Batch, Unusable> {
        match self.shape {
            Shape::Pipeline => vectors::nested(body, texts),
            Shape::OpenAi { .. } => vectors::openai(body, texts),
        }
    }
}

/// The router root calls beyond chat go under: the chat base URL without its `/v1`, so one
/// setting points every capability at the router, a proxy or a mirror.
pub fn router_root(base: &Url) -> Url {
    let mut root = base.clone();
    let path = base.path().trim_end_matches('/');
    root.set_path(path.strip_suffix("/v1").unwrap_or(path));
    root.set_query(None);
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_go_under_the_router_root() {
        let root = router_root(&Url::parse("https://router.huggingface.co/v1/").unwrap());
        assert_eq!(root.as_str(), "https://router.huggingface.co/");
        let proxied = router_root(&Url::parse("http://127.0.0.1:9/hf/v1").unwrap());
        assert_eq!(proxied.as_str(), "http://127.0.0.1:9/hf");
        let pipeline = route("hf-inference").unwrap();
        assert_eq!(
            pipeline
                .url(&proxied, "BAAI/bge-small-en-v1.5")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/hf/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction"
        );
        assert_eq!(
            route("deepinfra")
                .unwrap()
                .url(&root, "x")
                .unwrap()
                .as_str(),
            "https://router.huggingface.co/deepinfra/v1/openai/embeddings"
        );
        // A model id cannot climb out of its place in the path.
        let escaped = pipeline.url(&root, "../../admin").unwrap();
        assert!(
            escaped.path().starts_with("/hf-inference/models/"),
            "{escaped}"
        );
        assert!(route("novita").is_none());
    }

    #[test]
    fn bodies_carry_what_each_upstream_takes() {
        let texts = vec!["a".to_owned()];
        assert_eq!(
            route("hf-inference")
                .unwrap()
                .body("org/m", &texts, Some(8)),
            json!({"inputs": ["a"]})
        );
        assert_eq!(
            route("together").unwrap().body("m-t", &texts, Some(8)),
            json!({"model": "m-t", "input": ["a"], "dimensions": 8})
        );
        assert_eq!(
            route("scaleway").unwrap().body("m-s", &texts, Some(8)),
            json!({"model": "m-s", "input": ["a"]})
        );
    }
}
