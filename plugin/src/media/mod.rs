//! The capabilities that make or read media through the router: images from a prompt
//! ([`images`]), text from speech ([`transcription`]) and speech from text ([`speech`]).
//!
//! Each call names a model ref as embeddings do (`huggingface/<org>/<model>[:<upstream>]`); the
//! upstream comes from the Hub's mapping for the task ([`crate::mapping::choose`]), and each
//! upstream is asked in its own shape under the router root. What they share lives here: one
//! [`Job`] per call holding the token, the settings and the call's deadline, whose
//! [`Job::exchange`] sends one request through the plugin's retry driver and reads the answer
//! under a size cap; media types are read from the bytes ([`sniff`]); results an upstream only
//! names by URL are fetched without the token ([`download`]); and queued jobs are polled
//! ([`queue`]).

pub mod download;
pub mod images;
pub mod queue;
pub mod sniff;
pub mod speech;
pub mod transcription;

use std::time::{Duration, Instant};

use openclaw_provider_abi::{CallContext, ErrorCode, ProviderError};
use reqwest::{Method, RequestBuilder, Url, header::HeaderMap};
use serde_json::Value;

use crate::{
    embeddings::routes::router_root,
    errors, http, mapping,
    retry::{self, Attempts, Notice, Outcome},
    runtime,
    settings::MediaSettings,
};

/// One media call: who asks, how, and until when.
pub struct Job {
    pub token: String,
    pub settings: MediaSettings,
    /// The router root upstream paths go under.
    pub root: Url,
    pub task: mapping::Task,
    /// When the whole call must be over.
    pub until: Instant,
}

/// A successful answer.
pub struct Answer {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub url: Url,
}

impl Answer {
    /// The answer's declared media type, without parameters, lower case.
    pub fn content_type(&self) -> String {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// The body as JSON, or an error naming what the upstream answered instead.
    pub fn json(&self, what: &str) -> Result<Value, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|err| {
            ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "{} answered something that is not {what} ({})",
                    http::origin(&self.url),
                    errors::json_failure(&err)
                ),
            )
        })
    }
}

impl Job {
    /// A job for `context`, whose settings are the plugin entry's block `section` and whose
    /// deadline is `overall` unless configured.
    pub fn new(
        context: &CallContext,
        token: String,
        task: mapping::Task,
        section: &str,
        overall: Duration,
    ) -> Result<Self, ProviderError> {
        let settings = MediaSettings::for_call(context, section, overall)?;
        let until = Instant::now() + settings.deadlines.overall;
        Ok(Self {
            token,
            root: router_root(&http::base_url(context)?),
            settings,
            task,
            until,
        })
    }

    /// The upstream for `reference`, chosen among those `route_of` knows.
    pub async fn choose<R: Copy>(
        &self,
        reference: &str,
        route_of: impl Fn(&str) -> Option<R>,
        spoken: &str,
        notices: &mut Vec<String>,
    ) -> Result<(mapping::Target, mapping::Chosen<R>), ProviderError> {
        let target = mapping::Target::parse(reference, notices)?;
        let chosen = mapping::choose(
            &target,
            self.task,
            &self.token,
            &self.settings.preferred_upstreams,
            route_of,
            spoken,
            notices,
        )
        .await?;
        Ok((target, chosen))
    }

    /// `<root>/<segments…>`: each segment one path segment (a model id's `/` included), so no
    /// id can climb out of its place.
    pub fn url(&self, segments: &[&str]) -> Result<Url, ProviderError> {
        let mut url = self.root.clone();
        {
            let mut path = url.path_segments_mut().map_err(|()| {
                ProviderError::new(
                    ErrorCode::INVALID_REQUEST,
                    "the base URL cannot take a path",
                )
            })?;
            path.pop_if_empty();
            for segment in segments {
                path.extend(segment.split('/').filter(|part| !part.is_empty()));
            }
        }
        Ok(url)
    }

    /// A request to the router carrying the token, our User-Agent and `X-HF-Bill-To`.
    pub fn request(&self, method: Method, url: &Url) -> Result<RequestBuilder, ProviderError> {
        let client = runtime::http_client(self.settings.deadlines.connect, url)?;
        let mut request = client
            .request(method, url.clone())
            .bearer_auth(&self.token)
            .header(reqwest::header::USER_AGENT, crate::host_log::user_agent());
        if let Some(org) = &self.settings.bill_to {
            request = request.header("X-HF-Bill-To", org);
        }
        Ok(request)
    }

    /// Sends the request `build` makes (again for each attempt) through the retry driver and
    /// reads a successful answer of at most `max_bytes`; a refusal becomes the error that
    /// explains it. Retries join `notices`.
    pub async fn exchange(
        &self,
        about: (&str, &str),
        max_bytes: u64,
        notices: &mut Vec<String>,
        build: impl Fn() -> Result<(Url, RequestBuilder), ProviderError> + Send + Sync,
    ) -> Result<Answer, ProviderError> {
        let mut call = Exchange {
            job: self,
            model: about.0,
            upstream: about.1,
            max_bytes,
            build: &build,
            notices: Vec::new(),
        };
        let outcome = retry::run(&self.settings.retry, self.until, &mut call).await;
        notices.append(&mut call.notices);
        outcome
    }

    /// POSTs the JSON `body` to `url` through [`Job::exchange`], with `headers` besides
    /// `Content-Type` (the body is shared by every attempt, not copied).
    pub async fn post_json(
        &self,
        about: (&str, &str),
        url: &Url,
        body: &Value,
        headers: &[(&str, &str)],
        max_bytes: u64,
        notices: &mut Vec<String>,
    ) -> Result<Answer, ProviderError> {
        let body = bytes::Bytes::from(body.to_string());
        self.exchange(about, max_bytes, notices, || {
            let mut request = self
                .request(Method::POST, url)?
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            Ok((url.clone(), request))
        })
        .await
    }

    /// The error for a call whose deadline passed.
    pub fn deadline_passed(&self, upstream: &str) -> ProviderError {
        ProviderError::new(
            ErrorCode::TIMEOUT,
            format!(
                "{upstream} did not finish within {} ms (the {} deadline; raise it with \
                 timeoutMs in the plugin's {} settings)",
                self.settings.deadlines.overall.as_millis(),
                self.task.serving,
                self.task.preference_setting.split('.').next().unwrap_or("")
            ),
        )
    }
}

type Build<'a> = &'a (dyn Fn() -> Result<(Url, RequestBuilder), ProviderError> + Send + Sync);

/// One request as the retry driver runs it.
struct Exchange<'a> {
    job: &'a Job,
    model: &'a str,
    upstream: &'a str,
    max_bytes: u64,
    build: Build<'a>,
    notices: Vec<String>,
}

impl Exchange<'_> {
    async fn send(&self) -> Result<Answer, ProviderError> {
        let (url, request) = (self.build)()?;
        let deadlines = self.job.settings.deadlines;
        let response = http::send(request, &deadlines, &url, "sending the request").await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = http::read_body_capped(
            response,
            self.max_bytes,
            None,
            &deadlines,
            self.job.until,
            &url,
        )
        .await?;
        if !status.is_success() {
            return Err(errors::from_response_with(
                status.as_u16(),
                &headers,
                &body,
                errors::Operation::Task {
                    model: self.model,
                    upstream: self.upstream,
                    list_flag: self.job.task.list_flag,
                },
                &errors::Known {
                    bill_to: self.job.settings.bill_to.as_deref(),
                    ..errors::Known::default()
                },
                Some(&self.job.token),
            ));
        }
        Ok(Answer { headers, body, url })
    }
}

impl Attempts for Exchange<'_> {
    type Output = Answer;

    async fn attempt(&mut self) -> Outcome<Answer> {
        match self.send().await {
            Ok(answer) => Outcome::Done(answer),
            Err(error) => Outcome::Failed(error),
        }
    }

    async fn announce(&mut self, notice: Notice) -> bool {
        log::info!("{}", notice.text);
        self.notices.push(notice.text);
        true
    }

    fn deadline_passed(&self) -> ProviderError {
        self.job.deadline_passed(self.upstream)
    }
}

/// The route of upstream `name` in a task's table of `(upstream, route)`, if the plugin speaks it.
pub fn route_in<R: Copy>(routes: &[(&str, R)], name: &str) -> Option<R> {
    routes.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// The upstreams of a task's table, for messages.
pub fn names_in<R>(routes: &[(&str, R)]) -> String {
    let names: Vec<&str> = routes.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

/// A string field of a JSON answer, bounded and stripped of control characters.
pub fn text_field(value: &Value, key: &str, max: usize) -> Option<String> {
    let text = value.get(key)?.as_str()?;
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(max)
        .collect();
    Some(clean)
}

/// Answers a call's result document as JSON.
pub fn to_json<T: serde::Serialize>(document: &T) -> Result<String, ProviderError> {
    serde_json::to_string(document)
        .map_err(|err| ProviderError::new(ErrorCode::INTERNAL, err.to_string()))
}

/// Reads a request document, naming what it should have been.
pub fn parse_request<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &str,
) -> Result<T, ProviderError> {
    serde_json::from_str(json).map_err(|err| {
        ProviderError::new(
            ErrorCode::INVALID_REQUEST,
            format!("the request is not {what} ({})", errors::json_failure(&err)),
        )
    })
}
