//! Canned bodies: a chat stream's chunks, the throughput benchmark's stream, a realistic model
//! list, embeddings computed from texts, and the captured router responses in
//! `tests/fixtures/hf-router`.

/// A unit vector of `dimensions` for `text`: each word adds ±1 to a coordinate chosen by its
/// hash (FNV-1a), so texts sharing words have a high cosine similarity.
pub fn embedding_of(text: &str, dimensions: usize) -> Vec<f32> {
    let mut vector = vec![0f32; dimensions.max(1)];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let hash = word
            .to_lowercase()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        let slot = (hash % vector.len() as u64) as usize;
        vector[slot] += if hash >> 63 == 0 { 1.0 } else { -1.0 };
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    } else {
        vector[0] = 1.0;
    }
    vector
}

/// The answer to an embedding request for `texts`: OpenAI's shape, or hf-inference's bare
/// array of vectors.
pub fn embeddings_of(texts: &[String], dimensions: usize, hf_inference: bool) -> String {
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| embedding_of(t, dimensions)).collect();
    if hf_inference {
        return serde_json::to_string(&vectors).unwrap_or_default();
    }
    let data: Vec<serde_json::Value> = vectors
        .into_iter()
        .enumerate()
        .map(|(index, embedding)| {
            serde_json::json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    serde_json::json!({"object": "list", "model": "mock", "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
    .to_string()
}

/// The data payloads of a chat stream answering `text` word by word, OpenAI style, ending with
/// a finish reason, usage and `[DONE]`.
pub fn chat_chunks(text: &str) -> Vec<String> {
    let mut chunks = vec![serde_json::json!({
        "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
        "model": "mock", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]
    })
    .to_string()];
    for word in text.split_inclusive(' ') {
        chunks.push(
            serde_json::json!({
                "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
                "model": "mock", "choices": [{"index": 0, "delta": {"content": word}}]
            })
            .to_string(),
        );
    }
    chunks.push(
        serde_json::json!({
            "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
            "model": "mock", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]
        })
        .to_string(),
    );
    chunks.push(
        serde_json::json!({
            "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1,
            "model": "mock", "choices": [],
            "usage": {"prompt_tokens": 5, "completion_tokens": text.split(' ').count(), "total_tokens": 5 + text.split(' ').count()}
        })
        .to_string(),
    );
    chunks.push("[DONE]".into());
    chunks
}

/// A stream body of `count` small chat chunks (about 150 bytes each, like a fast model's
/// token-by-token output), a finish chunk with usage, and `[DONE]`: the throughput benchmark's
/// load.
pub fn stream_body(count: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(count * 160 + 512);
    for index in 0..count {
        let token = ["the ", "of ", "model ", "and ", "stream ", "to "][index % 6];
        body.extend_from_slice(
            format!(
                "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1770000000,\"model\":\"bench/model\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{token}\"}},\"finish_reason\":null}}]}}\n\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        b"data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1770000000,\"model\":\"bench/model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\ndata: [DONE]\n\n",
    );
    body
}

/// A captured fixture from `tests/fixtures/hf-router`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        crate::workspace_root()
            .join("tests/fixtures/hf-router")
            .join(name),
    )
    .unwrap_or_else(|err| panic!("fixture {name}: {err}"))
}

/// A realistic `GET /v1/models` body with `count` models (about 1 KB each, as the router's
/// are): several upstreams per model with status, context, pricing, tools, structured output,
/// latency and throughput; a few image models and failing upstreams. Deterministic.
pub fn models_body(count: usize) -> Vec<u8> {
    const UPSTREAMS: [&str; 9] = [
        "together",
        "fireworks-ai",
        "novita",
        "nebius",
        "groq",
        "cerebras",
        "sambanova",
        "hyperbolic",
        "featherless-ai",
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let mut data = Vec::with_capacity(count);
    for index in 0..count {
        let org = format!("org-{}", index % 97);
        let id = format!("{org}/Model-{index}-{}B-Instruct", 1 + next() % 400);
        let provider_count = 1 + (next() % 6) as usize;
        let providers: Vec<serde_json::Value> = (0..provider_count)
            .map(|p| {
                let name = UPSTREAMS[(index + p) % UPSTREAMS.len()];
                let status = if next() % 17 == 0 { "error" } else { "live" };
                let context = [32768, 65536, 131072, 262144][(next() % 4) as usize];
                serde_json::json!({
                    "provider": name,
                    "status": status,
                    "context_length": context,
                    "pricing": {"input": (next() % 300) as f64 / 100.0, "output": (next() % 900) as f64 / 100.0},
                    "supports_tools": next() % 4 != 0,
                    "supports_structured_output": next() % 3 != 0,
                    "first_token_latency_ms": 100 + next() % 2000,
                    "throughput": 10.0 + (next() % 3000) as f64 / 10.0,
                    "is_model_author": p == 0 && next() % 5 == 0,
                })
            })
            .collect();
        let image = index % 7 == 0;
        data.push(serde_json::json!({
            "id": id,
            "object": "model",
            "created": 1_770_000_000 + index as u64,
            "owned_by": org,
            "architecture": {
                "input_modalities": if image { vec!["text", "image"] } else { vec!["text"] },
                "output_modalities": ["text"],
            },
            "providers": providers,
        }));
    }
    serde_json::to_vec(&serde_json::json!({"object": "list", "data": data}))
        .expect("serialising generated models")
}
