//! Images from a prompt (capability `IMAGE_GENERATION`), through the upstreams the router
//! offers for text-to-image, each asked in its own shape:
//!
//! | upstream | request | answer |
//! |---|---|---|
//! | hf-inference | `POST /hf-inference/models/<id>`, `{"inputs", "parameters"}` | the image's bytes; one image a request |
//! | nscale | `POST /nscale/v1/images/generations`, OpenAI's shape | base64 in `data[].b64_json` |
//! | together | `POST /together/v1/images/generations` | base64 in `data[].b64_json` |
//! | replicate | `POST /replicate/v1/models/<owner>/<name>/predictions` (or `/predictions` for a pinned version) with `Prefer: wait` | a prediction whose `output` names URLs; polled while it runs |
//! | fal-ai | `POST /fal-ai/<id>?_subdomain=queue` | a queue ticket; polled, then the result names URLs |
//!
//! A parameter an upstream does not take is left out, with a notice; an aspect ratio becomes a
//! size for the upstreams that take only sizes. Every image is checked to be one by its bytes
//! ([`super::sniff`]) and is at most [`MAX_BLOB_BYTES`]; images named by URL are fetched as
//! [`super::download`] allows. A queued job the caller abandons is cancelled upstream.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine;
use openclaw_provider_abi::{
    Blob, CallContext, Cancellation, ErrorCode, MAX_BLOB_BYTES, MediaAnswer, ProviderError,
    documents::{GeneratedImage, ImageRequest, ImageResult},
};
use serde_json::{Map, Value, json};

use super::{Job, download, queue, sniff};
use crate::{http, mapping, outside_text::quote, runtime};

/// The task, as the Hub and messages name it.
pub const TASK: mapping::Task = mapping::Task {
    hub: "text-to-image",
    serving: "image generation",
    list_flag: "text-to-image",
    preference_setting: "images.upstreams",
};

/// How long an image may take unless configured: a queue can be slow.
const DEADLINE: Duration = Duration::from_secs(300);
/// The most images one call makes.
pub const MAX_IMAGES: u32 = 4;
/// The longest prompt sent.
const MAX_PROMPT_BYTES: usize = 32 * 1024;

/// The upstreams the plugin generates images through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    HfInference,
    Nscale,
    Together,
    Replicate,
    FalAi,
}

const ROUTES: [(&str, Route); 5] = [
    ("fal-ai", Route::FalAi),
    ("hf-inference", Route::HfInference),
    ("nscale", Route::Nscale),
    ("replicate", Route::Replicate),
    ("together", Route::Together),
];

/// The route of upstream `name`, if the plugin generates images through it.
pub fn route(name: &str) -> Option<Route> {
    super::route_in(&ROUTES, name)
}

/// Every upstream the plugin generates images through, for messages.
pub fn names() -> String {
    super::names_in(&ROUTES)
}

/// Answers `generate_image`.
pub fn generate(
    context: &CallContext,
    request_json: &str,
    cancel: &Cancellation,
) -> Result<MediaAnswer, ProviderError> {
    let request: ImageRequest = super::parse_request(request_json, "an image request")?;
    let (context, token) = http::call_token(context, "generating an image")?;
    let job = Job::new(&context, token, TASK, "images", DEADLINE)?;
    let pending: queue::Pending = Arc::new(Mutex::new(None));
    let outcome = runtime::block_on_cancellable(run(&job, request, &pending), cancel)
        .and_then(|outcome| outcome);
    if outcome.is_err() {
        let ticket = pending.lock().ok().and_then(|mut slot| slot.take());
        if let Some(ticket) = ticket {
            runtime::block_on(queue::cancel(&job, &ticket))?;
        }
    }
    let (result, blobs) = outcome?;
    Ok(MediaAnswer {
        json: super::to_json(&result)?.into(),
        blobs: blobs.into(),
    })
}

/// What the caller asked for, checked.
struct Asked {
    prompt: String,
    negative_prompt: Option<String>,
    size: Option<(u32, u32)>,
    aspect_ratio: Option<String>,
    count: u32,
    seed: Option<u64>,
    output_format: Option<String>,
    extra: Map<String, Value>,
}

impl Asked {
    fn check(request: ImageRequest) -> Result<Self, ProviderError> {
        let invalid = |why: String| ProviderError::new(ErrorCode::INVALID_REQUEST, why);
        if request.prompt.trim().is_empty() {
            return Err(invalid("the prompt is empty".into()));
        }
        if request.prompt.len() > MAX_PROMPT_BYTES {
            return Err(invalid(format!(
                "the prompt is {} bytes; at most {MAX_PROMPT_BYTES} are sent",
                request.prompt.len()
            )));
        }
        let size = match (request.width, request.height) {
            (None, None) => None,
            (Some(w), Some(h)) if (64..=4096).contains(&w) && (64..=4096).contains(&h) => {
                Some((w, h))
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "width and height must each be between 64 and 4096 pixels".into(),
                ));
            }
            _ => return Err(invalid("give both width and height, or neither".into())),
        };
        let count = request.count.unwrap_or(1);
        if !(1..=MAX_IMAGES).contains(&count) {
            return Err(invalid(format!("count must be between 1 and {MAX_IMAGES}")));
        }
        let aspect_ratio = match request.aspect_ratio {
            Some(ratio) if ratio_size(&ratio).is_none() => {
                return Err(invalid(format!(
                    "the aspect ratio {} is not <width>:<height> (16:9, 1:1 …)",
                    quote(&ratio, None)
                )));
            }
            other => other,
        };
        let output_format = match request.output_format.as_deref() {
            None => None,
            Some(format @ ("png" | "jpeg" | "webp")) => Some(format.to_owned()),
            Some("jpg") => Some("jpeg".to_owned()),
            Some(other) => {
                return Err(invalid(format!(
                    "the output format {} is not png, jpeg or webp",
                    quote(other, None)
                )));
            }
        };
        Ok(Self {
            prompt: request.prompt,
            negative_prompt: request
                .negative_prompt
                .filter(|text| !text.trim().is_empty()),
            size,
            aspect_ratio,
            count,
            seed: request.seed,
            output_format,
            extra: request.extra,
        })
    }

    /// The size to send to an upstream that takes only sizes: the one asked for, else the
    /// aspect ratio's at about a megapixel (with a notice), else none.
    fn size_for_sizes_only(&self, upstream: &str, notices: &mut Vec<String>) -> Option<(u32, u32)> {
        if self.size.is_some() {
            return self.size;
        }
        let ratio = self.aspect_ratio.as_deref()?;
        let size = ratio_size(ratio)?;
        notices.push(format!(
            "{upstream} takes a size, not an aspect ratio: {ratio} was sent as {}x{}",
            size.0, size.1
        ));
        Some(size)
    }
}

/// The size of about one megapixel with aspect ratio `ratio` (`16:9`), each side a multiple of
/// 64 as diffusion models want.
fn ratio_size(ratio: &str) -> Option<(u32, u32)> {
    let (w, h) = ratio.split_once(':')?;
    let (w, h): (f64, f64) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    if !(w > 0.0 && h > 0.0 && w / h <= 8.0 && h / w <= 8.0) {
        return None;
    }
    let scale = (1024.0 * 1024.0 / (w * h)).sqrt();
    let side = |x: f64| (((x * scale) / 64.0).round().max(1.0) * 64.0) as u32;
    Some((side(w), side(h)))
}

/// Notes that `upstream` does not take `what`, which is left out.
fn dropped(notices: &mut Vec<String>, upstream: &str, what: &str) {
    notices.push(format!("{upstream} does not take {what}; it was left out"));
}

async fn run(
    job: &Job,
    request: ImageRequest,
    pending: &queue::Pending,
) -> Result<(ImageResult, Vec<Blob>), ProviderError> {
    let mut notices = Vec::new();
    let reference = request.model.clone();
    let asked = Asked::check(request)?;
    let (target, chosen) = job
        .choose(&reference, route, &names(), &mut notices)
        .await?;
    let mut generation = Generation {
        job,
        model: &target.model,
        provider_id: &chosen.provider_id,
        upstream: &chosen.upstream,
        asked: &asked,
        notices,
        images: Vec::new(),
        pending,
    };
    match chosen.route {
        Route::HfInference => generation.hf_inference().await?,
        Route::Nscale | Route::Together => generation.openai_shaped(chosen.route).await?,
        Route::Replicate => generation.replicate().await?,
        Route::FalAi => generation.fal().await?,
    }
    let Generation {
        notices, images, ..
    } = generation;
    if images.is_empty() {
        return Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!("{} answered no image", chosen.upstream),
        ));
    }
    let mut result = ImageResult {
        model: chosen.provider_id.clone(),
        serving_provider: Some(chosen.upstream.clone()),
        images: Vec::new(),
        notices,
    };
    if images.len() < asked.count as usize {
        result.notices.push(format!(
            "{} images were asked for and {} answered {}",
            asked.count,
            chosen.upstream,
            images.len()
        ));
    }
    let mut blobs = Vec::with_capacity(images.len());
    for (index, image) in images.into_iter().enumerate() {
        result.images.push(GeneratedImage {
            blob: index as u32,
            width: image.width,
            height: image.height,
            revised_prompt: image.revised_prompt,
        });
        blobs.push(Blob::new(image.media_type, image.bytes));
    }
    Ok((result, blobs))
}

/// One image as answered, checked.
struct Image {
    media_type: &'static str,
    bytes: Vec<u8>,
    width: Option<u32>,
    height: Option<u32>,
    revised_prompt: Option<String>,
}

/// One call's generation at its upstream.
struct Generation<'a> {
    job: &'a Job,
    model: &'a str,
    provider_id: &'a str,
    upstream: &'a str,
    asked: &'a Asked,
    notices: Vec<String>,
    images: Vec<Image>,
    pending: &'a queue::Pending,
}

impl Generation<'_> {
    /// Keeps `bytes` if they are an image.
    fn keep(&mut self, bytes: Vec<u8>, described: &Value) -> Result<(), ProviderError> {
        let media_type = sniff::image(&bytes).ok_or_else(|| {
            ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "{} answered {} bytes that are not an image",
                    self.upstream,
                    bytes.len()
                ),
            )
        })?;
        let dimension = |key: &str| {
            described
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (1..=65_536).contains(n))
        };
        self.images.push(Image {
            media_type,
            bytes,
            width: dimension("width"),
            height: dimension("height"),
            revised_prompt: super::text_field(described, "revised_prompt", 4096),
        });
        Ok(())
    }

    /// hf-inference: one request per image, the body the image itself.
    async fn hf_inference(&mut self) -> Result<(), ProviderError> {
        let asked = self.asked;
        let mut parameters = asked.extra.clone();
        if let Some(negative) = &asked.negative_prompt {
            parameters.insert("negative_prompt".into(), negative.clone().into());
        }
        if let Some((w, h)) = asked.size_for_sizes_only(self.upstream, &mut self.notices) {
            parameters.insert("width".into(), w.into());
            parameters.insert("height".into(), h.into());
        }
        if asked.output_format.is_some() {
            dropped(&mut self.notices, self.upstream, "an output format");
        }
        let url = self
            .job
            .url(&["hf-inference", "models", self.provider_id])?;
        for index in 0..asked.count {
            let mut parameters = parameters.clone();
            if let Some(seed) = asked.seed {
                // Each image its own seed, so several are not one image repeated.
                parameters.insert("seed".into(), seed.wrapping_add(u64::from(index)).into());
            }
            let body = json!({"inputs": asked.prompt, "parameters": parameters});
            let answer = self
                .job
                .post_json(
                    (self.model, self.upstream),
                    &url,
                    &body,
                    &[("Accept", "image/png, image/jpeg, image/*")],
                    MAX_BLOB_BYTES as u64,
                    &mut self.notices,
                )
                .await?;
            if answer.content_type().starts_with("application/json") {
                let document = answer.json("an image")?;
                self.read_listed(&document).await?;
            } else {
                self.keep(answer.body, &Value::Null)?;
            }
        }
        Ok(())
    }

    /// nscale and together: OpenAI's images route, base64 in the answer.
    async fn openai_shaped(&mut self, route: Route) -> Result<(), ProviderError> {
        let asked = self.asked;
        let mut body = Map::new();
        body.insert("model".into(), self.provider_id.into());
        body.insert("prompt".into(), asked.prompt.clone().into());
        body.insert("n".into(), asked.count.into());
        let size = asked.size_for_sizes_only(self.upstream, &mut self.notices);
        let path = match route {
            Route::Nscale => {
                body.insert("response_format".into(), "b64_json".into());
                if let Some((w, h)) = size {
                    body.insert("size".into(), format!("{w}x{h}").into());
                }
                for (given, what) in [
                    (asked.negative_prompt.is_some(), "a negative prompt"),
                    (asked.seed.is_some(), "a seed"),
                    (asked.output_format.is_some(), "an output format"),
                    (!asked.extra.is_empty(), "other parameters"),
                ] {
                    if given {
                        dropped(&mut self.notices, self.upstream, what);
                    }
                }
                "nscale/v1/images/generations"
            }
            _ => {
                body.extend(asked.extra.clone());
                body.insert("response_format".into(), "base64".into());
                if let Some((w, h)) = size {
                    body.insert("width".into(), w.into());
                    body.insert("height".into(), h.into());
                }
                if let Some(seed) = asked.seed {
                    body.insert("seed".into(), seed.into());
                }
                if let Some(negative) = &asked.negative_prompt {
                    body.insert("negative_prompt".into(), negative.clone().into());
                }
                if let Some(format) = &asked.output_format {
                    if format == "webp" {
                        dropped(&mut self.notices, self.upstream, "webp output");
                    } else {
                        body.insert("output_format".into(), format.clone().into());
                    }
                }
                "together/v1/images/generations"
            }
        };
        let url = self.job.url(&[path])?;
        let answer = self
            .job
            .post_json(
                (self.model, self.upstream),
                &url,
                &Value::Object(body),
                &[("Accept", "application/json")],
                queue::MAX_RESULT_BYTES,
                &mut self.notices,
            )
            .await?;
        let document = answer.json("images")?;
        self.read_listed(&document).await
    }

    /// replicate: a prediction, waited for by the upstream (`Prefer: wait`) and polled after.
    async fn replicate(&mut self) -> Result<(), ProviderError> {
        let asked = self.asked;
        let mut input = asked.extra.clone();
        input.insert("prompt".into(), asked.prompt.clone().into());
        if asked.count > 1 {
            input.insert("num_outputs".into(), asked.count.into());
        }
        if let Some(seed) = asked.seed {
            input.insert("seed".into(), seed.into());
        }
        if let Some(ratio) = &asked.aspect_ratio {
            input.insert("aspect_ratio".into(), ratio.clone().into());
        }
        if let Some((w, h)) = asked.size {
            input.insert("width".into(), w.into());
            input.insert("height".into(), h.into());
        }
        if let Some(format) = &asked.output_format {
            input.insert("output_format".into(), format.replace("jpeg", "jpg").into());
        }
        if asked.negative_prompt.is_some() {
            dropped(&mut self.notices, self.upstream, "a negative prompt");
        }
        let (url, body) = match self.provider_id.split_once(':') {
            Some((_, version)) => (
                self.job.url(&["replicate", "v1", "predictions"])?,
                json!({"input": input, "version": version}),
            ),
            None => (
                self.job
                    .url(&["replicate", "v1", "models", self.provider_id, "predictions"])?,
                json!({"input": input}),
            ),
        };
        let answer = self
            .job
            .post_json(
                (self.model, self.upstream),
                &url,
                &body,
                &[("Prefer", "wait")],
                queue::MAX_RESULT_BYTES,
                &mut self.notices,
            )
            .await?;
        let mut prediction = answer.json("a prediction")?;
        if let Some(ticket) = queue::replicate_ticket(&prediction)? {
            self.wait_on(&ticket);
            prediction = queue::replicate(self.job, self.model, &ticket, &mut self.notices).await?;
            self.done_waiting();
        }
        let output = queue::replicate_outcome(&prediction)?.clone();
        let urls: Vec<&str> = match &output {
            Value::String(url) => vec![url.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for url in urls.into_iter().take(MAX_IMAGES as usize) {
            let bytes = download::fetch(self.job, url, MAX_BLOB_BYTES as u64).await?;
            self.keep(bytes, &Value::Null)?;
        }
        Ok(())
    }

    /// fal-ai: submitted to its queue, polled, and the images fetched from where the result
    /// names them.
    async fn fal(&mut self) -> Result<(), ProviderError> {
        let asked = self.asked;
        let mut body = asked.extra.clone();
        body.insert("prompt".into(), asked.prompt.clone().into());
        body.insert("num_images".into(), asked.count.into());
        if let Some(seed) = asked.seed {
            body.insert("seed".into(), seed.into());
        }
        if let Some(negative) = &asked.negative_prompt {
            body.insert("negative_prompt".into(), negative.clone().into());
        }
        if let Some((w, h)) = asked.size {
            body.insert("image_size".into(), json!({"width": w, "height": h}));
        } else if let Some(ratio) = &asked.aspect_ratio {
            body.insert("image_size".into(), fal_image_size(ratio).into());
        }
        if let Some(format) = &asked.output_format {
            if format == "webp" {
                dropped(&mut self.notices, self.upstream, "webp output");
            } else {
                body.insert("output_format".into(), format.clone().into());
            }
        }
        let mut url = self.job.url(&["fal-ai", self.provider_id])?;
        url.query_pairs_mut().append_pair("_subdomain", "queue");
        let submitted = self
            .job
            .post_json(
                (self.model, self.upstream),
                &url,
                &Value::Object(body),
                &[],
                1024 * 1024,
                &mut self.notices,
            )
            .await?
            .json("a queue ticket")?;
        let ticket = queue::fal_ticket(&submitted)?;
        self.wait_on(&ticket);
        let result = queue::fal(self.job, self.model, &ticket, &mut self.notices).await?;
        self.done_waiting();
        self.read_listed(&result).await
    }

    /// Reads a document listing images: `images[]` (fal), `data[]` (OpenAI's shape), each with
    /// base64 bytes or a URL, or `output[]` URLs.
    async fn read_listed(&mut self, document: &Value) -> Result<(), ProviderError> {
        let listed: Vec<Value> = ["images", "data", "output"]
            .iter()
            .find_map(|key| document.get(*key).and_then(Value::as_array))
            .map(|items| items.iter().take(MAX_IMAGES as usize).cloned().collect())
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorCode::INVALID_RESPONSE,
                    format!("{} answered no list of images", self.upstream),
                )
            })?;
        for item in listed {
            let encoded = ["b64_json", "base64"]
                .iter()
                .find_map(|key| item.get(*key).and_then(Value::as_str));
            let bytes = if let Some(encoded) = encoded {
                decode_base64(encoded, self.upstream)?
            } else if let Some(url) = item.get("url").and_then(Value::as_str).or(item.as_str()) {
                download::fetch(self.job, url, MAX_BLOB_BYTES as u64).await?
            } else {
                return Err(ProviderError::new(
                    ErrorCode::INVALID_RESPONSE,
                    format!(
                        "{} listed an image with neither bytes nor a URL",
                        self.upstream
                    ),
                ));
            };
            self.keep(bytes, &item)?;
        }
        Ok(())
    }

    /// Remembers a queued job, to cancel it if the call is abandoned.
    fn wait_on(&self, ticket: &queue::Ticket) {
        if let Ok(mut slot) = self.pending.lock() {
            *slot = Some(ticket.clone());
        }
    }

    fn done_waiting(&self) {
        if let Ok(mut slot) = self.pending.lock() {
            *slot = None;
        }
    }
}

/// fal's name for the image size nearest an aspect ratio.
fn fal_image_size(ratio: &str) -> &'static str {
    let Some((w, h)) = ratio_size(ratio) else {
        return "square_hd";
    };
    let shape = f64::from(w) / f64::from(h);
    match shape {
        s if s >= 1.6 => "landscape_16_9",
        s if s > 1.1 => "landscape_4_3",
        s if s <= 0.625 => "portrait_16_9",
        s if s < 0.9 => "portrait_4_3",
        _ => "square_hd",
    }
}

/// The bytes of base64 `text`, refused before decoding when they could not fit the cap.
fn decode_base64(text: &str, upstream: &str) -> Result<Vec<u8>, ProviderError> {
    if text.len() / 4 * 3 > MAX_BLOB_BYTES {
        return Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!("{upstream} answered an image larger than the {MAX_BLOB_BYTES}-byte cap"),
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| {
            ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!("{upstream} answered an image whose base64 does not decode"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(extra: Value) -> ImageRequest {
        let mut base = json!({"model": "m", "prompt": "a cat"});
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn requests_are_checked_before_anything_is_sent() {
        assert!(Asked::check(request(json!({}))).is_ok());
        for bad in [
            json!({"prompt": "  "}),
            json!({"width": 512}),
            json!({"width": 10, "height": 512}),
            json!({"count": 0}),
            json!({"count": 9}),
            json!({"aspect_ratio": "wide"}),
            json!({"aspect_ratio": "1:0"}),
            json!({"output_format": "bmp"}),
        ] {
            let error = Asked::check(request(bad.clone())).err().unwrap();
            assert_eq!(error.code, ErrorCode::INVALID_REQUEST, "{bad}");
        }
        assert_eq!(
            Asked::check(request(json!({"output_format": "jpg"})))
                .unwrap()
                .output_format
                .as_deref(),
            Some("jpeg")
        );
    }

    #[test]
    fn aspect_ratios_become_sizes_of_about_a_megapixel() {
        assert_eq!(ratio_size("1:1"), Some((1024, 1024)));
        assert_eq!(ratio_size("16:9"), Some((1344, 768)));
        assert_eq!(ratio_size("9:16"), Some((768, 1344)));
        assert_eq!(ratio_size("100:1"), None);
        assert_eq!(fal_image_size("16:9"), "landscape_16_9");
        assert_eq!(fal_image_size("3:4"), "portrait_4_3");
        assert_eq!(fal_image_size("1:1"), "square_hd");
    }

    #[test]
    fn base64_images_are_bounded_before_decoding() {
        assert_eq!(decode_base64("iVBORw==", "x").unwrap(), b"\x89PNG");
        assert!(decode_base64("***", "x").is_err());
    }
}
