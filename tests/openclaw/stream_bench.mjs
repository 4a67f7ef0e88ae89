// Streams one chat through OpenClaw's stream-function interface and prints what it measured, as
// one JSON line per run: first-token latency (call to first text delta) and text events per
// second. MODE=bridge uses our JS entry (which spawns the bridge, which loads the Rust plugin);
// MODE=openclaw uses OpenClaw's own OpenAI-compatible transport (`streamSimple`), the one its
// bundled Hugging Face plugin chats through. Driven by tests/benches/openclaw.rs:
//   OPENCLAW_PACKAGE=… PLUGIN_FOLDER=… BASE_URL=http://127.0.0.1:…/v1 MODE=bridge RUNS=5 node stream_bench.mjs

import { besideOpenClaw } from "./beside_openclaw.mjs";

const { OPENCLAW_PACKAGE, PLUGIN_FOLDER, BASE_URL, MODE } = process.env;
const runs = Number(process.env.RUNS ?? 5);

const { provider, sdk, remove } = await besideOpenClaw(OPENCLAW_PACKAGE, PLUGIN_FOLDER);

const model = {
  id: "deepseek-ai/DeepSeek-R1",
  name: "DeepSeek R1",
  api: "openai-completions",
  provider: "huggingface",
  baseUrl: BASE_URL,
  reasoning: false,
  input: ["text"],
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  contextWindow: 131072,
  maxTokens: 8192,
};
const context = { messages: [{ role: "user", content: "stream", timestamp: Date.now() }] };

let streamFn;
if (MODE === "bridge") {
  const config = { plugins: { entries: { huggingface: { config: { baseUrl: BASE_URL } } } } };
  streamFn = provider.createStreamFn({ config, provider: "huggingface", modelId: model.id, model });
} else {
  streamFn = sdk.streamSimple;
}

for (let run = 0; run < runs; run += 1) {
  const started = performance.now();
  let first;
  let events = 0;
  const stream = await streamFn(model, context, { apiKey: "hf_bench_key_not_a_secret", maxTokens: 1024 });
  for await (const event of stream) {
    if (event.type === "text_delta") {
      first ??= performance.now();
      events += 1;
    }
  }
  const ended = performance.now();
  const message = await stream.result();
  if (message.stopReason === "error") {
    console.error(message.errorMessage);
    process.exit(1);
  }
  console.log(JSON.stringify({ mode: MODE, firstTokenMs: first - started, totalMs: ended - started, events }));
}
remove();
