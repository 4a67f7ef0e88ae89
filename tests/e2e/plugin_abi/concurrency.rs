//! One loaded plugin serving many threads at once: concurrent streams each get their own words,
//! concurrent catalog refreshes all complete, and memory stays bounded.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use openclaw_e2e::{MockRouter, Reply, call_context, measure, models_body};
use provider_host::events::ChatEvent;

use crate::support::{
    CHAT, MODELS, chat_request,
    in_process::{catalog_request, hf_loaded_alone},
    own_memory_lock,
};

/// 256 chats streaming at once through one plugin instance, each answering its own prompt, and
/// 16 catalog refreshes of 5,000 models at once: everything completes, nothing crosses over,
/// memory stays bounded.
#[test]
fn concurrent_streams_and_refreshes_through_one_plugin() {
    let _alone = own_memory_lock();
    let (_sandbox, report) = hf_loaded_alone();
    let plugin = Arc::new(report.registry.get("huggingface").unwrap().clone());
    let router = MockRouter::start();
    router
        .on(
            "POST",
            CHAT,
            Reply::EchoStream {
                gap: Duration::from_millis(2),
            },
        )
        .on("GET", MODELS, Reply::json(200, models_body(5_000)));
    let base = router.base_url();
    let before = measure::reset_own_peak_rss_kib();
    let started = Instant::now();

    let streams: Vec<_> = (0..256)
        .map(|n| {
            let plugin = plugin.clone();
            let base = base.clone();
            std::thread::spawn(move || {
                let prompt = format!("stream {n} says {} words back", n * 7919 % 1000);
                let request = chat_request("huggingface/a/b", &prompt);
                let (mut text, mut events) = (String::new(), 0usize);
                for event in plugin
                    .chat_events(&call_context(&base), &request, None)
                    .unwrap()
                {
                    events += 1;
                    match event {
                        Ok(ChatEvent::Text(delta)) => text.push_str(&delta),
                        Ok(_) => {}
                        Err(err) => panic!("stream {n}: {err}"),
                    }
                }
                assert_eq!(text, prompt, "stream {n} got another stream's words");
                events
            })
        })
        .collect();
    let refreshes: Vec<_> = (0..16)
        .map(|_| {
            let plugin = plugin.clone();
            let base = base.clone();
            std::thread::spawn(move || {
                plugin
                    .list_models(&catalog_request(call_context(&base), 0))
                    .unwrap()
                    .models
                    .len()
            })
        })
        .collect();
    let events: usize = streams.into_iter().map(|t| t.join().unwrap()).sum();
    for refresh in refreshes {
        assert_eq!(refresh.join().unwrap(), 5_000);
    }
    let took = started.elapsed();
    let grew_mib = measure::own_peak_rss_kib().saturating_sub(before) / 1024;
    eprintln!(
        "256 streams ({events} events) and 16 refreshes of 5,000 models in {took:?}; peak RSS grew {grew_mib} MiB"
    );
    assert!(grew_mib < 512, "peak RSS grew by {grew_mib} MiB");
    assert_eq!(router.requests_to(CHAT).len(), 256);
}
