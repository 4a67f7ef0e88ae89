//! `host-stub chat` end to end, driving the real Hugging Face plugin against the mock router:
//! streamed and one-shot answers, reasoning and tool calls ([`streaming`]), every error shape
//! ([`errors`]), retries and fallbacks — and none once the request may have reached the router
//! or output started ([`retries`]), deadlines and cancellation ([`deadlines`]), a conversation
//! continued across runs and a turn priced at its upstream's prices ([`sessions`]).

mod deadlines;
mod errors;
mod retries;
mod sessions;
mod streaming;

use openclaw_e2e::{Run, SENTINEL_TOKEN, Sandbox};

use crate::support::assert_no_secret;

/// `host-stub chat args…`; the token may appear in none of its output.
fn chat(sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["chat"];
    all.extend_from_slice(args);
    let run = sandbox.run(&all);
    assert_no_secret(&run.all_output(), &[SENTINEL_TOKEN]);
    run
}
