//! The handle the host pulls a streamed chat from: it takes the batches the stream's task
//! sends and hands events out in sweeps, delivering a failure only after the events that came
//! before it. Stopping it — or dropping it — aborts the task. (The ABI's glue adds what every
//! stream needs at the boundary: panics caught, nothing handed out past the end.)

use std::{collections::VecDeque, time::Duration};

use openclaw_provider_abi::{ErrorCode, EventSource, ProviderError, StreamEvent};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::runtime;

/// What travels from the task to the handle.
#[derive(Debug)]
pub(super) enum Item {
    Event(StreamEvent),
    Failed(ProviderError),
}

/// The handle the host pulls events from.
pub struct HfStream {
    receiver: mpsc::Receiver<Vec<Item>>,
    buffer: VecDeque<Item>,
    task: JoinHandle<()>,
}

impl HfStream {
    /// The handle of the task `task`, which sends its batches into `receiver`.
    pub(super) fn new(receiver: mpsc::Receiver<Vec<Item>>, task: JoinHandle<()>) -> Self {
        Self {
            receiver,
            buffer: VecDeque::new(),
            task,
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
}

impl EventSource for HfStream {
    fn next_events(
        &mut self,
        max: usize,
        timeout: Duration,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), ProviderError> {
        let max = max.max(1);
        // The first event may be waited for; then whatever is buffered goes out in one sweep.
        let mut wait = timeout;
        let mut count = 0;
        while count < max {
            if self.buffer.is_empty() && !self.fill(wait)? {
                break;
            }
            wait = Duration::ZERO;
            match self.buffer.pop_front() {
                Some(Item::Event(event)) => {
                    out.push(event);
                    count += 1;
                }
                // Events first; the failure comes with the next call.
                Some(Item::Failed(error)) if count == 0 => return Err(error),
                Some(failed @ Item::Failed(_)) => {
                    self.buffer.push_front(failed);
                    break;
                }
                None => break,
            }
        }
        Ok(())
    }

    fn cancel(&mut self) {
        self.task.abort();
        self.buffer.clear();
    }
}

fn task_gone() -> ProviderError {
    ProviderError::new(
        ErrorCode::INTERNAL,
        "the stream's task ended without a final event",
    )
}

impl Drop for HfStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}
