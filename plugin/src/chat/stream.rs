//! A streamed chat: a task on the plugin's runtime reads the response, frames and normalises
//! it, and sends batches of events (one batch per piece read from the network) through a bounded
//! channel to [`HfStream`], the handle the host pulls from. Batches keep the per-event cost low
//! at high event rates; the bound makes a slow host slow the stream down instead of growing
//! memory.
//!
//! Before reading, the answer's headers say what it is ([`super::content`]): an event stream is
//! framed (one event at most [`super::sse::MAX_EVENT_BYTES`]); a JSON chat completion — some
//! upstreams ignore `stream` — is read whole and delivered as the events a stream would have
//! carried; anything else (an HTML page, say) is refused by its content type, not retried.
//!
//! Retries happen inside the task, before any content reaches the handle, and are announced as
//! notices, as is the one resend without a pin capability routing gave. Cancelling — `cancel()`
//! or dropping the handle ([`handle`]) — aborts the task, which drops the response and closes
//! its connection at once.

mod handle;

use std::time::{Duration, Instant};

use openclaw_provider_abi::{ErrorCode, EventKind, ProviderError, StreamEvent};
use tokio::sync::mpsc;

use super::{
    content, error_value,
    normalize::{self, StreamState},
    open,
    request::Prepared,
    serving_provider,
    sse::{Event, Framer},
};
use crate::{http, retry, runtime};

pub use self::handle::HfStream;
use self::handle::Item;

/// Batches in flight between the task and the handle.
const CHANNEL_BATCHES: usize = 32;

/// Starts the request and returns the handle at once.
pub fn start(prepared: Prepared) -> Result<HfStream, ProviderError> {
    let runtime = runtime::runtime()?;
    let (sender, receiver) = mpsc::channel(CHANNEL_BATCHES);
    let task = runtime.spawn(run(prepared, sender));
    Ok(HfStream::new(receiver, task))
}

/// How an attempt ended.
enum Pumped {
    /// The stream completed and its final events were sent.
    Done,
    /// The handle is gone; nobody is listening.
    Abandoned,
    /// The attempt failed; `content` says whether content had already been sent.
    Failed { error: ProviderError, content: bool },
}

/// The task: attempts through the retry driver, then exactly one terminal item (DONE, sent by
/// the last attempt, or a failure).
async fn run(mut prepared: Prepared, sender: mpsc::Sender<Vec<Item>>) {
    let policy = prepared.settings.retry;
    let until = Instant::now() + prepared.settings.deadlines.overall;
    let notices: Vec<Item> = prepared
        .notices
        .iter()
        .map(|notice| Item::Event(StreamEvent::text(EventKind::NOTICE, notice.as_str())))
        .collect();
    if !notices.is_empty() && sender.send(notices).await.is_err() {
        return;
    }
    let mut streaming = Streaming {
        prepared: &mut prepared,
        sender: &sender,
        until,
    };
    if let Err(error) = retry::run(&policy, until, &mut streaming).await {
        let _ = sender.send(vec![Item::Failed(error)]).await;
    }
}

/// A streamed chat, as the retry driver runs it: retries and adjustments are announced to the
/// host as notices, before any content.
struct Streaming<'a> {
    prepared: &'a mut Prepared,
    sender: &'a mpsc::Sender<Vec<Item>>,
    until: Instant,
}

impl retry::Attempts for Streaming<'_> {
    /// Whether anybody was still listening at the end.
    type Output = bool;

    async fn attempt(&mut self) -> retry::Outcome<bool> {
        match attempt(self.prepared, self.sender, self.until).await {
            Pumped::Done => retry::Outcome::Done(true),
            Pumped::Abandoned => retry::Outcome::Done(false),
            Pumped::Failed {
                error,
                content: true,
            } => retry::Outcome::FailedAfterOutput(error),
            Pumped::Failed {
                error,
                content: false,
            } => retry::Outcome::Failed(error),
        }
    }

    fn adjust(&mut self, error: &ProviderError) -> Option<retry::Notice> {
        self.prepared.adjust_after(error)
    }

    async fn announce(&mut self, notice: retry::Notice) -> bool {
        let event = StreamEvent {
            kind: EventKind::NOTICE,
            text: notice.text.into(),
            json: if notice.details.is_null() {
                Default::default()
            } else {
                notice.details.to_string().into()
            },
        };
        self.sender.send(vec![Item::Event(event)]).await.is_ok()
    }

    fn deadline_passed(&self) -> ProviderError {
        http::deadline_error(
            "the streamed answer",
            self.prepared.settings.deadlines.overall,
            &self.prepared.url,
        )
    }
}

/// One attempt: open the response and pump it to the handle.
async fn attempt(prepared: &Prepared, sender: &mpsc::Sender<Vec<Item>>, until: Instant) -> Pumped {
    let deadlines = prepared.settings.deadlines;
    let mut response = match open(prepared, &deadlines).await {
        Ok(response) => response,
        Err(error) => {
            return Pumped::Failed {
                error,
                content: false,
            };
        }
    };
    let serving = serving_provider(&response);
    match content::kind(response.headers()) {
        content::Kind::EventStream => {}
        content::Kind::Json => {
            return whole_answer(prepared, response, serving, sender, until).await;
        }
        content::Kind::Other(named) => {
            return Pumped::Failed {
                error: content::not_a_stream(named.as_deref(), &http::origin(&prepared.url)),
                content: false,
            };
        }
    }
    let mut framer = Framer::new();
    let mut state = StreamState::new();
    let mut announced = false;
    let mut batch: Vec<StreamEvent> = Vec::new();
    loop {
        let remaining = until.saturating_duration_since(Instant::now());
        let piece =
            match tokio::time::timeout(deadlines.idle.min(remaining), response.chunk()).await {
                Ok(Ok(piece)) => piece,
                Ok(Err(err)) => {
                    // The upstream had the request: it is never sent again (see `retry`).
                    let error = http::transport_error(err, &prepared.url, "reading the stream");
                    return Pumped::Failed {
                        error: retry::sent(error),
                        content: state.produced_content,
                    };
                }
                Err(_) => {
                    return Pumped::Failed {
                        error: ProviderError::new(
                            ErrorCode::TIMEOUT,
                            format!(
                                "the stream from {} went silent for more than {} ms",
                                http::origin(&prepared.url),
                                deadlines.idle.min(remaining).as_millis()
                            ),
                        ),
                        content: state.produced_content,
                    };
                }
            };
        let mut failure = None;
        let mut handle = |event: Event<'_>| {
            if failure.is_some() {
                return;
            }
            let result = if event.name == "error" {
                let json = error_value::parse_error_value(event.data);
                Err(normalize::error_event(&json, Some(prepared.secret())))
            } else {
                state.on_data(event.data, Some(prepared.secret()), &mut batch)
            };
            if let Err(error) = result {
                failure = Some(error);
            }
        };
        let (framed, ended) = match &piece {
            Some(bytes) => (framer.feed(bytes, &mut handle), false),
            None => (framer.finish(&mut handle), true),
        };
        if let Err(too_large) = framed
            && failure.is_none()
        {
            failure = Some(ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "the stream from {} sent an event larger than the {} MiB cap on one event \
                     (MAX_EVENT_BYTES, {} bytes); the stream was refused",
                    http::origin(&prepared.url),
                    too_large.limit / (1024 * 1024),
                    too_large.limit
                ),
            ));
        }
        if !announced && !batch.is_empty() {
            announced = true;
            if let Some(name) = &serving {
                batch.insert(
                    0,
                    StreamEvent::text(EventKind::SERVING_PROVIDER, name.as_str()),
                );
            }
        }
        if let Some(error) = failure {
            // Events before the failure still reach the host.
            if !batch.is_empty() && send(sender, &mut batch).await.is_err() {
                return Pumped::Abandoned;
            }
            return Pumped::Failed {
                error,
                content: state.produced_content,
            };
        }
        // `[DONE]` ends reading; a finish reason alone does not (usage may follow).
        if ended || state.saw_done {
            if !state.finished {
                return Pumped::Failed {
                    error: ProviderError::new(
                        ErrorCode::NETWORK,
                        "the stream ended before the answer was complete (no finish reason, no \
                         [DONE])",
                    ),
                    content: state.produced_content,
                };
            }
            let summary =
                prepared.priced(state.finish(&prepared.model, serving.as_deref(), &mut batch));
            batch.push(StreamEvent::json(
                EventKind::DONE,
                serde_json::to_string(&summary).unwrap_or_default(),
            ));
            let sent = send(sender, &mut batch).await;
            if !ended {
                // Its own task: the host drops this one as soon as it has the answer.
                tokio::spawn(drain(response));
            }
            return match sent {
                Ok(()) => Pumped::Done,
                Err(()) => Pumped::Abandoned,
            };
        }
        if !batch.is_empty() && send(sender, &mut batch).await.is_err() {
            return Pumped::Abandoned;
        }
    }
}

/// A stream request answered with one JSON document: a whole chat completion is delivered as
/// the events a stream would have carried; anything else is refused, naming what came.
async fn whole_answer(
    prepared: &Prepared,
    response: reqwest::Response,
    serving: Option<String>,
    sender: &mpsc::Sender<Vec<Item>>,
    until: Instant,
) -> Pumped {
    let deadlines = prepared.settings.deadlines;
    let failed = |error| Pumped::Failed {
        error,
        content: false,
    };
    let body = match http::read_body_capped(
        response,
        super::MAX_ANSWER_BYTES,
        None,
        &deadlines,
        until,
        &prepared.url,
    )
    .await
    {
        Ok(body) => body,
        Err(error) => return failed(error),
    };
    let result = match normalize::one_shot(
        &body,
        &prepared.model,
        serving.as_deref(),
        Some(prepared.secret()),
    ) {
        Ok(result) => result,
        // An `error` member is the service's own error: typed (and retried) as an error event.
        Err(error) if error.code != ErrorCode::INVALID_RESPONSE => return failed(error),
        Err(error) => {
            return failed(ProviderError::new(
                ErrorCode::INVALID_RESPONSE,
                format!(
                    "{} answered the stream request with a JSON document instead of an event \
                     stream, and it is not a chat completion ({})",
                    http::origin(&prepared.url),
                    error.message
                ),
            ));
        }
    };
    let mut batch = Vec::new();
    if let Some(name) = &serving {
        batch.push(StreamEvent::text(
            EventKind::SERVING_PROVIDER,
            name.as_str(),
        ));
    }
    let done = prepared.priced(normalize::completion_events(result, &mut batch));
    batch.push(StreamEvent::json(
        EventKind::DONE,
        serde_json::to_string(&done).unwrap_or_default(),
    ));
    match send(sender, &mut batch).await {
        Ok(()) => Pumped::Done,
        Err(()) => Pumped::Abandoned,
    }
}

async fn send(sender: &mpsc::Sender<Vec<Item>>, batch: &mut Vec<StreamEvent>) -> Result<(), ()> {
    let items = batch.drain(..).map(Item::Event).collect();
    sender.send(items).await.map_err(|_| ())
}

/// Most of a body read after its `[DONE]`, and how long that may take.
const DRAIN_MAX_BYTES: usize = 64 * 1024;
const DRAIN_DEADLINE: Duration = Duration::from_secs(2);

/// Reads what is left of a stream's body after `[DONE]` — the end of its chunked encoding,
/// usually a few bytes still in flight — so the connection goes back to the pool for the next
/// call; a response dropped before its end takes its connection with it, and the next call pays
/// for a new one. Bounded in bytes and time: a body that goes on is dropped after all.
async fn drain(mut response: reqwest::Response) {
    let mut left = DRAIN_MAX_BYTES;
    let _ = tokio::time::timeout(DRAIN_DEADLINE, async move {
        while let Ok(Some(piece)) = response.chunk().await {
            left = left.saturating_sub(piece.len());
            if left == 0 {
                return;
            }
        }
    })
    .await;
}
