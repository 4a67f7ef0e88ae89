// Streams one chat completion with the official `openai` Node package and reports how many
// content events arrived and how long it took: `node openai_node.mjs <baseURL>`.
import OpenAI from "openai";

const baseURL = process.argv[2];
const client = new OpenAI({ baseURL, apiKey: "hf_benchmark_placeholder", maxRetries: 0 });
const started = performance.now();
const stream = await client.chat.completions.create({
  model: "bench/model",
  messages: [{ role: "user", content: "go" }],
  stream: true,
});
let events = 0;
for await (const chunk of stream) {
  if (chunk.choices?.[0]?.delta?.content) events += 1;
}
console.log(JSON.stringify({ events, ms: performance.now() - started }));
