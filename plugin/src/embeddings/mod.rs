//! Embeddings through the router (capability `EMBEDDINGS`): texts in, one vector each out.
//!
//! A call names a model ref (`huggingface/<org>/<model>`, optionally pinned to an upstream with
//! `:<upstream>`). Which upstream serves it, under which id, comes from the Hub's mapping for
//! the model ([`crate::mapping`]): the pinned one, else the first of the user's preferred
//! upstreams (`embeddings.upstreams`), else the first live one the Hub lists; the answer says
//! which and why. The texts are sent in batches bounded in count and bytes ([`routes`] says how
//! each upstream is asked), each through the plugin's one retry driver; an upstream that
//! refuses a batch as too large gets it again in halves. Every vector is checked
//! ([`vectors`]), and the vectors of one model keep one length for the life of the process: a
//! change is an error, not data. A request with no texts embeds nothing: it answers which
//! upstream, under which id, would serve them (a host names its index after that).

pub mod routes;
pub mod vectors;

use std::{collections::HashMap, future::Future, pin::Pin, sync::Mutex, time::Instant};

use once_cell::sync::Lazy;
use openclaw_provider_abi::{
    CallContext, Cancellation, ErrorCode, ProviderError,
    documents::{EmbeddingRequest, EmbeddingResult, EmbeddingUsage},
};
use reqwest::Url;

use self::{
    routes::Route,
    vectors::{Batch, Unusable},
};
use crate::{
    errors, http,
    mapping::{self, Target},
    outside_text::quote,
    retry::{self, Attempts, Notice, Outcome},
    runtime,
    settings::EmbeddingSettings,
};

/// The task, as the Hub and messages name it.
const TASK: mapping::Task = mapping::Task {
    hub: "feature-extraction",
    serving: "embeddings",
    list_flag: "embedding",
    preference_setting: "embeddings.upstreams",
};

/// Where the texts go.
type Chosen = mapping::Chosen<Route>;

/// The most bytes of one answer read: a full batch of the longest vectors, with room to spare.
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// Vector lengths seen in this process, by upstream and model id there.
static DIMENSIONS: Lazy<Mutex<HashMap<(String, String), usize>>> = Lazy::new(Mutex::default);

/// Answers `embed`: an `EmbeddingRequest` document in, an `EmbeddingResult` document out.
pub fn embed(
    context: &CallContext,
    request_json: &str,
    cancel: &Cancellation,
) -> Result<String, ProviderError> {
    let request: EmbeddingRequest = serde_json::from_str(request_json).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!(
                "the request is not an embedding request ({})",
                errors::json_failure(&err)
            ),
        )
    })?;
    let (context, token) = http::call_token(context, "embedding texts")?;
    let settings = EmbeddingSettings::for_call(&context)?;
    let root = routes::router_root(&http::base_url(&context)?);
    let job = Job {
        token,
        settings,
        root,
    };
    let result = runtime::block_on_cancellable(job.run(request), cancel)??;
    serde_json::to_string(&result)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
}

/// One embedding call.
struct Job {
    token: String,
    settings: EmbeddingSettings,
    root: Url,
}

impl Job {
    async fn run(&self, request: EmbeddingRequest) -> Result<EmbeddingResult, ProviderError> {
        let mut notices = Vec::new();
        let target = Target::parse(&request.model, &mut notices)?;
        let chosen = mapping::choose(
            &target,
            TASK,
            &self.token,
            &self.settings.preferred_upstreams,
            routes::route,
            &routes::names(),
            &mut notices,
        )
        .await?;
        if request.input.is_empty() {
            return Ok(EmbeddingResult {
                model: chosen.provider_id.clone(),
                serving_provider: Some(chosen.route.upstream.to_owned()),
                notices,
                ..EmbeddingResult::default()
            });
        }
        if request.dimensions.is_some() && !chosen.route.takes_dimensions() {
            notices.push(format!(
                "{} takes no vector length; the model's own is used",
                chosen.route.upstream
            ));
        }
        if let Some(kind) = &request.input_type {
            notices.push(format!(
                "the input type {} is not sent: the router's embedding routes take none",
                quote(kind, None)
            ));
        }
        let mut vectors = Vec::with_capacity(request.input.len());
        let mut usage: Option<EmbeddingUsage> = None;
        for texts in batches(
            &request.input,
            self.settings.max_batch_texts,
            self.settings.max_batch_bytes,
        ) {
            let batch = self
                .embed_batch(
                    &target.model,
                    &chosen,
                    texts,
                    request.dimensions,
                    &mut notices,
                )
                .await?;
            if let Some(counted) = batch.usage {
                let total = usage.get_or_insert_with(EmbeddingUsage::default);
                total.prompt_tokens = total.prompt_tokens.saturating_add(counted.prompt_tokens);
                total.total_tokens = total.total_tokens.saturating_add(counted.total_tokens);
            }
            vectors.extend(batch.vectors);
        }
        let dimensions = self.check_dimensions(&chosen, &vectors)?;
        if let Some(asked) = request.dimensions
            && chosen.route.takes_dimensions()
            && asked as usize != dimensions
        {
            notices.push(format!(
                "{dimensions}-dimension vectors came back where {asked} were asked for"
            ));
        }
        Ok(EmbeddingResult {
            model: chosen.provider_id.clone(),
            serving_provider: Some(chosen.route.upstream.to_owned()),
            vectors,
            dimensions: dimensions as u32,
            usage,
            notices,
        })
    }

    /// One batch, split in halves for as long as the upstream refuses it as too large.
    fn embed_batch<'a>(
        &'a self,
        model: &'a str,
        chosen: &'a Chosen,
        texts: &'a [String],
        dimensions: Option<u32>,
        notices: &'a mut Vec<String>,
    ) -> Pin<Box<dyn Future<Output = Result<Batch, ProviderError>> + Send + 'a>> {
        Box::pin(async move {
            let mut call = Call {
                job: self,
                model,
                chosen,
                texts,
                dimensions,
                notices: Vec::new(),
            };
            let until = Instant::now() + self.settings.deadlines.overall;
            let outcome = retry::run(&self.settings.retry, until, &mut call).await;
            notices.append(&mut call.notices);
            match outcome {
                Err(error) if texts.len() > 1 && batch_too_large(&error) => {
                    let (first, second) = texts.split_at(texts.len() / 2);
                    notices.push(format!(
                        "{} refused {} texts at once; they went in two halves",
                        chosen.route.upstream,
                        texts.len()
                    ));
                    let mut batch = self
                        .embed_batch(model, chosen, first, dimensions, notices)
                        .await?;
                    let rest = self
                        .embed_batch(model, chosen, second, dimensions, notices)
                        .await?;
                    batch.vectors.extend(rest.vectors);
                    batch.usage = match (batch.usage, rest.usage) {
                        (Some(a), Some(b)) => Some(EmbeddingUsage {
                            prompt_tokens: a.prompt_tokens.saturating_add(b.prompt_tokens),
                            total_tokens: a.total_tokens.saturating_add(b.total_tokens),
                        }),
                        (a, b) => a.or(b),
                    };
                    Ok(batch)
                }
                other => other,
            }
        })
    }

    /// The vectors' one length, the same as this process saw before for this model there.
    fn check_dimensions(
        &self,
        chosen: &Chosen,
        vectors: &[Vec<f32>],
    ) -> Result<usize, ProviderError> {
        let length = vectors.first().map_or(0, Vec::len);
        let changed = |from: usize, to: usize| {
            ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "{} answered {to}-dimension vectors for {} where it gave {from} before; \
                     vectors of one model must keep one length, so these were refused",
                    chosen.route.upstream, chosen.provider_id
                ),
            )
        };
        if let Some(other) = vectors.iter().find(|vector| vector.len() != length) {
            return Err(changed(length, other.len()));
        }
        let key = (chosen.route.upstream.to_owned(), chosen.provider_id.clone());
        let mut seen = DIMENSIONS.lock().map_err(|_| {
            ProviderError::new(ErrorCode::INTERNAL, "the dimension memory is poisoned")
        })?;
        match seen.get(&key) {
            Some(&before) if before != length => Err(changed(before, length)),
            _ => {
                if seen.len() < 1024 || seen.contains_key(&key) {
                    seen.insert(key, length);
                }
                Ok(length)
            }
        }
    }
}

/// Whether an upstream refused a request as too large in texts or bytes (worth sending again in
/// halves).
fn batch_too_large(error: &ProviderError) -> bool {
    if error.http_status == 413 {
        return true;
    }
    let message = error.message.to_lowercase();
    matches!(error.http_status, 400 | 422)
        && [
            "too many",
            "too large",
            "batch size",
            "input array",
            "max input",
            "maximum",
            "exceeds",
        ]
        .iter()
        .any(|sign| message.contains(sign))
}

/// `texts` in runs of at most `max_texts` texts and `max_bytes` bytes (a text larger than
/// `max_bytes` alone).
fn batches(texts: &[String], max_texts: usize, max_bytes: usize) -> Vec<&[String]> {
    let mut batches = Vec::new();
    let mut start = 0;
    while start < texts.len() {
        let mut end = start;
        let mut bytes = 0usize;
        while end < texts.len() && end - start < max_texts.max(1) {
            let next = bytes.saturating_add(texts[end].len());
            if end > start && next > max_bytes {
                break;
            }
            bytes = next;
            end += 1;
        }
        batches.push(&texts[start..end]);
        start = end;
    }
    batches
}

/// One batch, as the retry driver runs it; its notices join the answer's.
struct Call<'a> {
    job: &'a Job,
    model: &'a str,
    chosen: &'a Chosen,
    texts: &'a [String],
    dimensions: Option<u32>,
    notices: Vec<String>,
}

impl Call<'_> {
    async fn send(&self) -> Result<Batch, ProviderError> {
        let job = self.job;
        let route = self.chosen.route;
        let url = route.url(&job.root, &self.chosen.provider_id)?;
        let deadlines = job.settings.deadlines;
        let client = runtime::http_client(deadlines.connect, &url)?;
        let body = route.body(&self.chosen.provider_id, self.texts, self.dimensions);
        let mut request = client
            .post(url.clone())
            .bearer_auth(&job.token)
            .header(reqwest::header::USER_AGENT, crate::host_log::user_agent())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(org) = &job.settings.bill_to {
            request = request.header("X-HF-Bill-To", org);
        }
        let until = Instant::now() + deadlines.overall;
        let response = http::send(request, &deadlines, &url, "sending the texts to embed").await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body =
            http::read_body_capped(response, MAX_ANSWER_BYTES, None, &deadlines, until, &url)
                .await?;
        if !status.is_success() {
            return Err(errors::from_response_with(
                status.as_u16(),
                &headers,
                &body,
                errors::Operation::Task {
                    model: self.model,
                    upstream: route.upstream,
                    list_flag: TASK.list_flag,
                },
                &errors::Known {
                    bill_to: job.settings.bill_to.as_deref(),
                    ..errors::Known::default()
                },
                Some(&job.token),
            ));
        }
        route
            .read(&body, self.texts.len())
            .map_err(|unusable| match unusable {
                Unusable::TokenLevel => ProviderError::new(
                    ErrorCode::MODEL_NOT_SUPPORTED,
                    format!(
                        "{} is not a sentence-embedding model: {} answered one vector per token, \
                     not one per text. Use a sentence-transformers model (the default, or one \
                     `models list --task embedding` shows).",
                        self.model, route.upstream
                    ),
                ),
                Unusable::Malformed(why) => ProviderError::new(
                    ErrorCode::INVALID_RESPONSE,
                    format!(
                        "{} answered something that is not embeddings ({why})",
                        http::origin(&url)
                    ),
                ),
            })
    }
}

impl Attempts for Call<'_> {
    type Output = Batch;

    async fn attempt(&mut self) -> Outcome<Batch> {
        match self.send().await {
            Ok(batch) => Outcome::Done(batch),
            Err(error) => Outcome::Failed(error),
        }
    }

    async fn announce(&mut self, notice: Notice) -> bool {
        log::info!("{}", notice.text);
        self.notices.push(notice.text);
        true
    }

    fn deadline_passed(&self) -> ProviderError {
        ProviderError::new(
            ErrorCode::TIMEOUT,
            format!(
                "{} did not answer within {} ms",
                self.chosen.route.upstream,
                self.job.settings.deadlines.overall.as_millis()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_bounded_in_texts_and_bytes() {
        let texts: Vec<String> = ["aaaa", "bb", "cccccccc", "d", "e"]
            .map(String::from)
            .to_vec();
        let sizes = |max_texts, max_bytes| -> Vec<usize> {
            batches(&texts, max_texts, max_bytes)
                .iter()
                .map(|b| b.len())
                .collect()
        };
        assert_eq!(sizes(2, 1000), [2, 2, 1]);
        // The 8-byte text is over 6 bytes, so it goes alone.
        assert_eq!(sizes(10, 6), [2, 1, 2]);
        assert_eq!(sizes(10, 1000), [5]);
        assert!(batches(&[], 4, 10).is_empty());
    }

    #[test]
    fn too_large_refusals_are_told_from_other_refusals() {
        let refused = |status, message: &str| {
            ProviderError::new(ErrorCode::INVALID_REQUEST, message).with_status(status)
        };
        assert!(batch_too_large(&refused(413, "")));
        assert!(batch_too_large(&refused(400, "input array max 16")));
        assert!(batch_too_large(&refused(
            422,
            "batch size is invalid, it should not be larger than 32"
        )));
        assert!(!batch_too_large(&refused(400, "unknown model")));
        assert!(!batch_too_large(&refused(500, "too many")));
    }
}
