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
//! notices, as is the one resend without a pin capability routing gave. Cancelling — `cancel()` or dropping the handle — aborts the task, which drops the
//! response and closes its connection at once.

use std::{
    collections::VecDeque,
    time::{Duration, Instant},
};

use openclaw_provider_abi::{
    ChatStream, ChatStream_TO, ChatStreamBox, ErrorCode, EventKind, ProviderError, StreamEvent,
    abi_stable::{
        sabi_trait::TD_Opaque,
        std_types::{ROption, RResult, RVec},
    },
    catch_panics,
};
use tokio::{sync::mpsc, task::JoinHandle};

use super::{
    content, error_value,
    normalize::{self, StreamState},
    open,
    request::Prepared,
    retry, serving_provider,
    sse::{Event, Framer},
};
use crate::{http, runtime};

/// What travels from the task to the handle.
#[derive(Debug)]
enum Item {
    Event(StreamEvent),
    Failed(ProviderError),
}

/// Batches in flight between the task and the handle.
const CHANNEL_BATCHES: usize = 32;

/// Starts the request and returns the handle as it crosses the ABI.
pub fn start(prepared: Prepared) -> Result<ChatStreamBox, ProviderError> {
    Ok(ChatStream_TO::from_value(start_local(prepared)?, TD_Opaque))
}

/// Starts the request and returns the handle as plain Rust (in-process use, benchmarks).
pub fn start_local(prepared: Prepared) -> Result<HfStream, ProviderError> {
    let runtime = runtime::runtime()?;
    let (sender, receiver) = mpsc::channel(CHANNEL_BATCHES);
    let task = runtime.spawn(run(prepared, sender));
    Ok(HfStream {
        receiver,
        buffer: VecDeque::new(),
        task,
        state: State::Open,
    })
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

/// The task: attempts with retries, then exactly one terminal item (DONE or a failure).
async fn run(mut prepared: Prepared, sender: mpsc::Sender<Vec<Item>>) {
    let settings = prepared.settings.clone();
    let started = Instant::now();
    let until = started + settings.deadlines.overall;
    let notices: Vec<Item> = prepared
        .notices
        .iter()
        .map(|notice| Item::Event(StreamEvent::text(EventKind::NOTICE, notice.as_str())))
        .collect();
    if !notices.is_empty() && sender.send(notices).await.is_err() {
        return;
    }
    let mut retries = 0;
    loop {
        let remaining = until.saturating_duration_since(Instant::now());
        let outcome =
            match tokio::time::timeout(remaining, attempt(&prepared, &sender, until)).await {
                Ok(outcome) => outcome,
                Err(_) => Pumped::Failed {
                    error: http::deadline_error(
                        "the streamed answer",
                        settings.deadlines.overall,
                        &prepared.url,
                    ),
                    content: true, // a deadline is final either way
                },
            };
        let (error, content) = match outcome {
            Pumped::Done | Pumped::Abandoned => return,
            Pumped::Failed { error, content } => (error, content),
        };
        // A pinned upstream the account may not use: once more without the pin, at once
        // (nothing was delivered: the refusal came before any answer).
        if !content && let Some(notice) = prepared.unpin_after(&error) {
            let notice = StreamEvent::text(EventKind::NOTICE, notice.as_str());
            if sender.send(vec![Item::Event(notice)]).await.is_err() {
                return;
            }
            continue;
        }
        let Some(wait) = retry::decide(&error, retries, content, until, &settings) else {
            let _ = sender.send(vec![Item::Failed(error)]).await;
            return;
        };
        retries += 1;
        let notice = StreamEvent {
            kind: EventKind::NOTICE,
            text: format!(
                "retrying in {:.1} s after {} (retry {retries} of {})",
                wait.as_secs_f64(),
                error,
                settings.max_retries
            )
            .into(),
            json: serde_json::json!({
                "retry": retries,
                "of": settings.max_retries,
                "delay_ms": wait.as_millis() as u64,
                "code": error.code.to_string(),
                "http_status": error.http_status,
            })
            .to_string()
            .into(),
        };
        if sender.send(vec![Item::Event(notice)]).await.is_err() {
            return;
        }
        tokio::time::sleep(wait).await;
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
                    return Pumped::Failed {
                        error: http::transport_error(err, &prepared.url, "reading the stream"),
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
            let summary = state.finish(&prepared.model, serving.as_deref(), &mut batch);
            batch.push(StreamEvent::json(
                EventKind::DONE,
                serde_json::to_string(&summary).unwrap_or_default(),
            ));
            return match send(sender, &mut batch).await {
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
    let done = normalize::completion_events(result, &mut batch);
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

/// Where the handle stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    /// The terminal event or error was handed out.
    Finished,
    Cancelled,
}

/// The handle the host pulls events from.
pub struct HfStream {
    receiver: mpsc::Receiver<Vec<Item>>,
    buffer: VecDeque<Item>,
    task: JoinHandle<()>,
    state: State,
}

impl HfStream {
    /// Refills the buffer, waiting at most `timeout` when nothing is ready. `Ok(false)` when
    /// nothing came in time.
    fn fill(&mut self, timeout: Duration) -> Result<bool, ProviderError> {
        match self.receiver.try_recv() {
            Ok(batch) => {
                self.buffer.extend(batch);
                return Ok(true);
            }
            Err(mpsc::error::TryRecvError::Disconnected) => return Err(task_gone()),
            Err(mpsc::error::TryRecvError::Empty) if timeout.is_zero() => return Ok(false),
            Err(mpsc::error::TryRecvError::Empty) => {}
        }
        // The timer must be made inside the runtime, so the whole wait is one async block.
        let receiver = &mut self.receiver;
        let received =
            runtime::block_on(async { tokio::time::timeout(timeout, receiver.recv()).await })?;
        match received {
            Ok(Some(batch)) => {
                self.buffer.extend(batch);
                Ok(true)
            }
            Ok(None) => Err(task_gone()),
            Err(_) => Ok(false),
        }
    }

    /// Up to `max` ready events, handed to `each`, waiting at most `timeout` for the first.
    /// The events before a failure come out now; the failure comes with the next call.
    pub fn next_batch(
        &mut self,
        max: usize,
        timeout: Duration,
        each: &mut dyn FnMut(StreamEvent),
    ) -> Result<usize, ProviderError> {
        let max = max.max(1);
        // The first event may be waited for; then whatever is buffered goes out in one sweep.
        let Some(first) = self.next(timeout)? else {
            return Ok(0);
        };
        let mut last = first.kind == EventKind::DONE;
        each(first);
        let mut count = 1;
        while count < max && !last {
            if self.buffer.is_empty() && !self.fill(Duration::ZERO)? {
                break;
            }
            match self.buffer.pop_front() {
                Some(Item::Event(event)) => {
                    last = event.kind == EventKind::DONE;
                    if last {
                        self.state = State::Finished;
                    }
                    each(event);
                    count += 1;
                }
                Some(failed @ Item::Failed(_)) => {
                    // The failure comes with the next call, after these events.
                    self.buffer.push_front(failed);
                    break;
                }
                None => break,
            }
        }
        Ok(count)
    }

    /// Stops the request now.
    pub fn stop(&mut self) {
        self.task.abort();
        self.buffer.clear();
        if self.state == State::Open {
            self.state = State::Cancelled;
        }
    }

    /// The next item, or `None` if nothing came within `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<StreamEvent>, ProviderError> {
        match self.state {
            State::Finished => {
                return Err(ProviderError::new(
                    ErrorCode::INVALID_REQUEST,
                    "the stream is over: it already delivered its last event",
                ));
            }
            State::Cancelled => {
                return Err(ProviderError::new(
                    ErrorCode::CANCELLED,
                    "the stream was cancelled",
                ));
            }
            State::Open => {}
        }
        if self.buffer.is_empty() && !self.fill(timeout)? {
            return Ok(None);
        }
        match self.buffer.pop_front() {
            Some(Item::Event(event)) => {
                if event.kind == EventKind::DONE {
                    self.state = State::Finished;
                }
                Ok(Some(event))
            }
            Some(Item::Failed(error)) => {
                self.state = State::Finished;
                Err(error)
            }
            None => Ok(None),
        }
    }
}

fn task_gone() -> ProviderError {
    ProviderError::new(
        ErrorCode::INTERNAL,
        "the stream's task ended without a final event",
    )
}

impl ChatStream for HfStream {
    fn next_event(&mut self, timeout_ms: u64) -> RResult<ROption<StreamEvent>, ProviderError> {
        catch_panics("next_event", || {
            self.next(Duration::from_millis(timeout_ms))
                .map(ROption::from)
        })
    }

    fn next_events(
        &mut self,
        max_events: u32,
        timeout_ms: u64,
    ) -> RResult<RVec<StreamEvent>, ProviderError> {
        catch_panics("next_events", || {
            let mut events = RVec::new();
            self.next_batch(
                max_events as usize,
                Duration::from_millis(timeout_ms),
                &mut |e| events.push(e),
            )?;
            Ok(events)
        })
    }

    fn cancel(&mut self) {
        let _ = catch_panics("cancel", || {
            self.stop();
            Ok(())
        });
    }
}

impl Drop for HfStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}
