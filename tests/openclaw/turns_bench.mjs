// Chat turns in one Node process, as OpenClaw makes them: TURNS sequential streamed chats, then
// CONCURRENT chats at once. MODE=ours drives our JS entry the way OpenClaw drives it for each turn
// (`prepareDynamicModel`, `prepareRuntimeAuth`, then the stream function), so the resident bridge
// starts on the first turn and serves the rest; MODE=sdk streams through one `openai` Node client,
// made once and kept, the package and version OpenClaw itself ships (its transport's warm client).
// Time to first token is measured from the start of the turn to the first text. Prints one JSON
// line per sequential turn, then one for the concurrent chats. Driven by tests/benches/warm_turns.rs:
//   OPENCLAW_PACKAGE=… PLUGIN_FOLDER=… BASE_URL=https://127.0.0.1:…/v1 MODE=ours TURNS=8 CONCURRENT=16 \
//   NODE_EXTRA_CA_CERTS=ca.pem SSL_CERT_FILE=ca.pem node turns_bench.mjs

import path from "node:path";
import { pathToFileURL } from "node:url";

import { besideOpenClaw } from "./beside_openclaw.mjs";

const { OPENCLAW_PACKAGE, PLUGIN_FOLDER, BASE_URL, MODE } = process.env;
const turns = Number(process.env.TURNS ?? 8);
const concurrent = Number(process.env.CONCURRENT ?? 16);
const apiKey = "hf_bench_key_not_a_secret";
const modelId = "deepseek-ai/DeepSeek-R1";

/** One chat: resolves to {firstTokenMs, totalMs} measured from `started`. */
let chat;
let cleanup = () => {};

if (MODE === "ours") {
  // A turn inside OpenClaw finds OpenClaw's own modules loaded, the plugin SDK the entry
  // imports among them: loading it comes before the first turn, as the SDK client's module does.
  const { provider, remove } = await besideOpenClaw(OPENCLAW_PACKAGE, PLUGIN_FOLDER);
  cleanup = remove;
  const config = { plugins: { entries: { huggingface: { config: { baseUrl: BASE_URL } } } } };
  chat = async (started) => {
    const hook = { config, provider: "huggingface", modelId };
    await provider.prepareDynamicModel(hook);
    const prepared = performance.now() - started;
    await provider.prepareRuntimeAuth(hook);
    const model = provider.resolveDynamicModel(hook);
    const streamFn = provider.createStreamFn({ config, provider: "huggingface", modelId, model });
    const context = { messages: [{ role: "user", content: "hello", timestamp: Date.now() }] };
    const stream = await streamFn(model, context, { apiKey, maxTokens: 1024 });
    let first, begun;
    for await (const event of stream) {
      begun ??= performance.now() - started;
      if (event.type === "text_delta") first ??= performance.now();
    }
    const message = await stream.result();
    if (message.stopReason === "error") throw new Error(message.errorMessage);
    return { firstTokenMs: first - started, totalMs: performance.now() - started, preparedMs: prepared, firstEventMs: begun };
  };
} else if (MODE === "sdk") {
  const { default: OpenAI } = await import(pathToFileURL(path.join(OPENCLAW_PACKAGE, "../openai/index.mjs")));
  const client = new OpenAI({ baseURL: BASE_URL, apiKey, maxRetries: 0 });
  chat = async (started) => {
    const stream = await client.chat.completions.create({
      model: modelId,
      messages: [{ role: "user", content: "hello" }],
      stream: true,
      max_tokens: 1024,
    });
    let first;
    for await (const chunk of stream) {
      if (chunk.choices?.[0]?.delta?.content) first ??= performance.now();
    }
    return { firstTokenMs: first - started, totalMs: performance.now() - started };
  };
} else {
  throw new Error(`MODE must be ours or sdk, not ${MODE}`);
}

for (let turn = 0; turn < turns; turn += 1) {
  const result = await chat(performance.now());
  console.log(JSON.stringify({ mode: MODE, turn, ...result }));
}
const started = performance.now();
const results = await Promise.all(Array.from({ length: concurrent }, () => chat(started)));
console.log(
  JSON.stringify({
    mode: MODE,
    concurrent,
    firstTokenMs: results.map((r) => r.firstTokenMs),
    wallMs: performance.now() - started,
  }),
);
cleanup();
// The resident bridge exits when this process does (its stdin closes).
process.exit(0);
