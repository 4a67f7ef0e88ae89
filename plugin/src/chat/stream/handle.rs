//! The handle the host pulls a streamed chat from: it takes the batches the stream's task
//! sends, hands events out one at a time or in sweeps, delivers a failure only after the
//! events that came before it, and refuses to be pulled past its end. Stopping it — or
//! dropping it — aborts the task.

use std::{collections::VecDeque, time::Duration};

use openclaw_provider_abi::{
    ChatStream, ErrorCode, EventKind, ProviderError, StreamEvent,
    abi_stable::std_types::{ROption, RResult, RVec},
    catch_panics,
};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::runtime;

/// What travels from the task to the handle.
#[derive(Debug)]
pub(super) enum Item {
    Event(StreamEvent),
    Failed(ProviderError),
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
    /// The handle of the task `task`, which sends its batches into `receiver`.
    pub(super) fn new(receiver: mpsc::Receiver<Vec<Item>>, task: JoinHandle<()>) -> Self {
        Self {
            receiver,
            buffer: VecDeque::new(),
            task,
            state: State::Open,
        }
    }

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
