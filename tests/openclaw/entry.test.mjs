// The JS entry (plugin/openclaw/index.js) against fake bridges: how it turns bridge output into
// OpenClaw's events, and every way a bridge can fail — missing, not executable, exiting without
// an answer, printing too much, aborted mid-stream. Run by tests/e2e/openclaw.rs with Node 24:
//   OPENCLAW_PACKAGE=<…/node_modules/openclaw> node --test tests/openclaw/entry.test.mjs
// The entry imports OpenClaw's plugin SDK (`openclaw/plugin-sdk/*`), which OpenClaw links in for
// its plugins; here a node_modules link to the real package does the same.

import assert from "node:assert/strict";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const workspace = path.resolve(here, "../..");
const openclawPackage = process.env.OPENCLAW_PACKAGE;
assert.ok(openclawPackage && existsSync(openclawPackage), "set OPENCLAW_PACKAGE to the installed openclaw package");

let scratch;
let entry;

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "openclaw-entry-"));
  const module = path.join(scratch, "module");
  mkdirSync(path.join(module, "node_modules"), { recursive: true });
  copyFileSync(path.join(workspace, "plugin/openclaw/index.js"), path.join(module, "index.js"));
  writeFileSync(path.join(module, "package.json"), JSON.stringify({ type: "module" }));
  symlinkSync(openclawPackage, path.join(module, "node_modules/openclaw"));
  entry = await import(path.join(module, "index.js"));
});

after(() => rmSync(scratch, { recursive: true, force: true }));

/** A plugin folder whose bridge is the given shell script (or none). */
function folder(name, script, mode = 0o755) {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(workspace, "plugin/openclaw.plugin.json"), path.join(dir, "openclaw.plugin.json"));
  if (script !== undefined) {
    const bridge = path.join(dir, "openclaw-provider-bridge");
    writeFileSync(bridge, `#!/bin/sh\n${script}\n`);
    chmodSync(bridge, mode);
  }
  return dir;
}

/** Registers the entry with a fake OpenClaw api; returns the provider and the warnings logged. */
function register(dir) {
  let provider;
  const warnings = [];
  entry.default.register({
    rootDir: dir,
    logger: { info() {}, debug() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    registerProvider: (p) => {
      provider = p;
    },
  });
  return { provider, warnings };
}

const model = {
  id: "deepseek-ai/DeepSeek-R1",
  name: "DeepSeek R1",
  api: "openai-completions",
  provider: "huggingface",
  // What OpenClaw puts here (the configured models.providers URL); the plugin's setting wins.
  baseUrl: "https://router.huggingface.co/v1",
  reasoning: true,
  input: ["text"],
  cost: { input: 3, output: 7, cacheRead: 3, cacheWrite: 3 },
  contextWindow: 131072,
  maxTokens: 8192,
};
const context = { systemPrompt: "be brief", messages: [{ role: "user", content: "hi", timestamp: 1 }] };

/** Runs one chat through the provider's stream function; returns the events and the final message. */
async function chat(provider, options = {}) {
  const config = { plugins: { entries: { huggingface: { config: { baseUrl: "http://127.0.0.1:9/v1" } } } } };
  const streamFn = provider.createStreamFn({ config, provider: "huggingface", modelId: model.id, model });
  const stream = await streamFn(model, context, { apiKey: "hf_fake_key_for_tests", ...options });
  const events = [];
  for await (const event of stream) {
    events.push(event);
    options.onEvent?.(event);
  }
  return { events, message: await stream.result() };
}

test("registration reads the manifest and describes the provider", () => {
  const { provider } = register(folder("register", "exit 0"));
  assert.equal(provider.id, "huggingface");
  assert.deepEqual(provider.envVars, ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]);
  assert.equal(provider.auth[0].id, "api-key");
  assert.equal(provider.auth[0].starterModel, entry.DEFAULT_MODEL);
  assert.equal(provider.auth[0].wizard.choiceId, "huggingface-api-key");
  assert.equal(typeof provider.catalog.run, "function");
  assert.equal(typeof provider.resolveDynamicModel, "function");
});

test("bridge lines become OpenClaw's events: thinking, text, tool calls, usage", async () => {
  const lines = [
    { type: "serving_provider", provider: "together" },
    { type: "reasoning", delta: "Let me " },
    { type: "reasoning", delta: "think." },
    { type: "text", delta: "Calling " },
    { type: "text", delta: "a tool." },
    { type: "tool_call", index: 0, id: "call_1", name: "get_weather", arguments: "" },
    { type: "tool_call", index: 0, arguments: '{"city":' },
    { type: "tool_call", index: 0, arguments: '"Paris"}' },
    {
      type: "done",
      model: "deepseek-ai/DeepSeek-R1",
      finish_reason: "tool_calls",
      usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    },
  ];
  const script = `cat > "$(dirname "$0")/request.json"\nprintf '%s\\n' ${lines.map((l) => `'${JSON.stringify(l)}'`).join(" ")}`;
  const dir = folder("translate", script);
  const { provider } = register(dir);
  const { events, message } = await chat(provider);
  assert.deepEqual(
    events.map((e) => e.type),
    ["start", "thinking_start", "thinking_delta", "thinking_delta", "thinking_end", "text_start", "text_delta", "text_delta", "text_end",
      "toolcall_start", "toolcall_delta", "toolcall_delta", "toolcall_end", "done"],
  );
  assert.equal(message.stopReason, "toolUse");
  assert.deepEqual(message.content, [
    { type: "thinking", thinking: "Let me think." },
    { type: "text", text: "Calling a tool." },
    { type: "toolCall", id: "call_1", name: "get_weather", arguments: { city: "Paris" } },
  ]);
  assert.equal(message.usage.input, 1000);
  assert.equal(message.usage.output, 500);
  assert.equal(message.usage.totalTokens, 1500);
  assert.ok(Math.abs(message.usage.cost.total - (1000 * 3 + 500 * 7) / 1e6) < 1e-12);
  // What the bridge was asked: the ref, the system prompt first, the key nowhere on stdin.
  const request = JSON.parse(readFileSync(path.join(dir, "request.json"), "utf8"));
  assert.equal(request.model, "huggingface/deepseek-ai/DeepSeek-R1");
  assert.deepEqual(request.messages[0], { role: "system", content: "be brief" });
  assert.ok(!JSON.stringify(request).includes("hf_fake_key_for_tests"));
});

test("the key reaches the bridge in its environment, not its arguments", async () => {
  const dir = folder("environment", `cat > /dev/null\nprintf '%s|%s\\n' "$OPENCLAW_PROVIDER_API_KEY" "$*" > "$(dirname "$0")/seen"\necho '{"type":"done"}'`);
  const { provider } = register(dir);
  await chat(provider);
  const [key, args] = readFileSync(path.join(dir, "seen"), "utf8").trim().split("|");
  assert.equal(key, "hf_fake_key_for_tests");
  assert.ok(!args.includes("hf_fake_key_for_tests"), args);
  assert.ok(args.startsWith("chat --base-url http://127.0.0.1:9/v1"), args);
});

async function failure(name, script, mode, options) {
  const { provider } = register(folder(name, script, mode));
  const { events, message } = await chat(provider, options);
  assert.equal(events.at(-1).type, "error");
  return message;
}

test("a missing bridge is a clear error", async () => {
  const message = await failure("missing", undefined);
  assert.equal(message.stopReason, "error");
  assert.match(message.errorMessage, /provider bridge is missing: .*openclaw-provider-bridge/);
  assert.match(message.errorMessage, /openclaw plugins install/);
});

test("a bridge that is not executable is a clear error", async () => {
  const message = await failure("not-executable", "exit 0", 0o644);
  assert.match(message.errorMessage, /not executable/);
});

test("a bridge that exits without an answer is a clear error", async () => {
  const message = await failure("exits", "cat > /dev/null\necho 'plugin library refused' >&2\nexit 3");
  assert.match(message.errorMessage, /exited with code 3 without an answer: plugin library refused/);
});

test("the bridge's typed error is the message, with its code", async () => {
  const line = { type: "error", code: "payment_required", message: "Your credits are used up: add some at https://huggingface.co/settings/billing.", http_status: 402 };
  const message = await failure("typed", `cat > /dev/null\necho '${JSON.stringify(line)}'\nexit 1`);
  assert.equal(message.errorCode, "payment_required");
  assert.equal(message.errorMessage, "Hugging Face: Your credits are used up: add some at https://huggingface.co/settings/billing");
});

test("a bridge printing without end is stopped at the cap", async () => {
  const started = Date.now();
  const message = await failure("runaway", `cat > /dev/null\nexec yes '{"type":"text","delta":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'`);
  assert.match(message.errorMessage, new RegExp(`printed more than ${entry.MAX_OUTPUT_BYTES} bytes`));
  assert.ok(Date.now() - started < 60_000);
});

test("aborting mid-stream kills the bridge and ends as aborted", async () => {
  const dir = folder("abort", `cat > /dev/null\necho $$ > "$(dirname "$0")/pid"\necho '{"type":"text","delta":"first"}'\nexec sleep 30`);
  const { provider } = register(dir);
  const controller = new AbortController();
  const started = Date.now();
  const { events, message } = await chat(provider, {
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === "text_delta") controller.abort();
    },
  });
  assert.ok(Date.now() - started < 10_000, "the abort did not end the stream promptly");
  assert.equal(events.at(-1).type, "error");
  assert.equal(message.stopReason, "aborted");
  const pid = Number(readFileSync(path.join(dir, "pid"), "utf8"));
  let alive = true;
  for (let i = 0; i < 50 && alive; i += 1) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 100));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, "the bridge outlived the abort");
});

test("catalog: models and the key on success, typed outcomes on failure", async () => {
  const catalog = { type: "catalog", source: "live", provider: { baseUrl: "http://127.0.0.1:9/v1", api: "openai-completions", models: [{ id: "a/b", name: "B" }] } };
  const ok = register(folder("catalog-ok", `echo '${JSON.stringify(catalog)}'`)).provider;
  const auth = { apiKey: "HF_TOKEN", discoveryApiKey: "hf_fake_key_for_tests", profileId: "huggingface:default" };
  const ctx = (extra = {}) => ({ config: {}, resolveProviderApiKey: () => auth, ...extra });
  const result = await ok.catalog.run(ctx());
  assert.equal(result.provider.apiKey, "HF_TOKEN");
  assert.deepEqual(result.provider.models, [{ id: "a/b", name: "B" }]);
  assert.deepEqual(result.outcomes, [{ provider: "huggingface", profileId: "huggingface:default", status: "ready" }]);
  assert.equal(await ok.catalog.run(ctx({ resolveProviderApiKey: () => ({}) })), null);
  assert.equal(await ok.catalog.run(ctx({ config: { plugins: { entries: { huggingface: { config: { discovery: { enabled: false } } } } } } })), null);

  const rejected = register(folder("catalog-401", `echo '{"type":"error","code":"unauthorized","message":"bad token","http_status":401}'; exit 1`));
  const denied = await rejected.provider.catalog.run(ctx());
  assert.deepEqual(denied.outcomes[0].status, "auth-rejected");
  assert.match(rejected.warnings[0], /bad token/);
  const broken = register(folder("catalog-broken", "exit 3")).provider;
  assert.equal((await broken.catalog.run(ctx())).outcomes[0].status, "unavailable");
});

test("resolveDynamicModel: the bridge's row, or defaults when it cannot answer", () => {
  const answer = { type: "model", model: { id: "zai-org/GLM-4.7:cheapest", name: "GLM 4.7 (cheapest)", reasoning: true, input: ["text"], contextWindow: 202752, maxTokens: 8192, cost: { input: 0.6, output: 2.2, cacheRead: 0.11, cacheWrite: 0.6 } } };
  const good = register(folder("resolve-ok", `echo '${JSON.stringify(answer)}'`)).provider;
  const row = good.resolveDynamicModel({ modelId: "zai-org/GLM-4.7:cheapest", providerConfig: { baseUrl: "http://127.0.0.1:9/v1" } });
  assert.equal(row.id, "zai-org/GLM-4.7:cheapest");
  assert.equal(row.contextWindow, 202752);
  assert.equal(row.baseUrl, "http://127.0.0.1:9/v1");
  assert.equal(row.api, "openai-completions");
  const { provider, warnings } = register(folder("resolve-missing", undefined));
  const fallback = provider.resolveDynamicModel({ modelId: "acme/new-9b", config: {} });
  assert.equal(fallback.id, "acme/new-9b");
  assert.equal(fallback.baseUrl, "https://router.huggingface.co/v1");
  assert.match(warnings[0], /missing/);
});

test("the request: images as data URLs, tool results, assistant tool calls", () => {
  const request = entry.chatRequest(model, {
    messages: [
      { role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image", data: "AAAA", mimeType: "image/png" }] },
      { role: "assistant", content: [{ type: "thinking", thinking: "hm" }, { type: "toolCall", id: "c1", name: "look", arguments: { x: 1 } }], stopReason: "toolUse" },
      { role: "toolResult", toolCallId: "c1", toolName: "look", content: [{ type: "text", text: "a cat" }], isError: false },
    ],
    tools: [{ name: "look", description: "looks", parameters: { type: "object" } }],
  }, { maxTokens: 100, temperature: 0.2 });
  assert.deepEqual(request.messages[0].content[1], { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } });
  assert.deepEqual(request.messages[1], { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "look", arguments: '{"x":1}' } }] });
  assert.deepEqual(request.messages[2], { role: "tool", tool_call_id: "c1", content: "a cat" });
  assert.equal(request.max_tokens, 100);
  assert.equal(request.temperature, 0.2);
  assert.equal(request.tools[0].function.name, "look");
});
