// The JS entry (plugin/openclaw/index.js) against fake resident bridges (fake-bridge.mjs): how it
// turns bridge lines into OpenClaw's events, shares one bridge, and every way a bridge can fail —
// missing, not executable, dying mid-request, crashing again and again, printing without end,
// speaking another protocol — plus aborts, idle exit, and that it never holds Node open. Run by
// tests/e2e/openclaw.rs with Node 24:
//   OPENCLAW_PACKAGE=<…/node_modules/openclaw> OPENCLAW_MANIFEST=<generated manifest> \
//     node --test tests/openclaw/entry.test.mjs
// The entry imports OpenClaw's plugin SDK (`openclaw/plugin-sdk/*`), which OpenClaw links in for
// its plugins; here a node_modules link to the real package does the same.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const workspace = path.resolve(here, "../..");
const openclawPackage = process.env.OPENCLAW_PACKAGE;
const manifestPath = process.env.OPENCLAW_MANIFEST;
assert.ok(openclawPackage && existsSync(openclawPackage), "set OPENCLAW_PACKAGE to the installed openclaw package");
assert.ok(manifestPath && existsSync(manifestPath), "set OPENCLAW_MANIFEST to the generated plugin manifest");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const KEY = "hf_fake_key_for_tests";

let scratch;
let module;
let entry;

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "openclaw-entry-"));
  module = path.join(scratch, "module");
  mkdirSync(path.join(module, "node_modules"), { recursive: true });
  copyFileSync(path.join(workspace, "plugin/openclaw/index.js"), path.join(module, "index.js"));
  writeFileSync(path.join(module, "package.json"), JSON.stringify({ type: "module" }));
  symlinkSync(openclawPackage, path.join(module, "node_modules/openclaw"));
  entry = await import(path.join(module, "index.js"));
});

after(() => rmSync(scratch, { recursive: true, force: true }));

/** A plugin folder whose bridge is the fake, following `spec` (or no bridge at all). */
function folder(name, spec, mode = 0o755) {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(manifestPath, path.join(dir, "openclaw.plugin.json"));
  if (spec !== undefined) {
    writeFileSync(path.join(dir, "spec.json"), JSON.stringify(spec));
    const bridge = path.join(dir, "openclaw-provider-bridge");
    writeFileSync(bridge, `#!/bin/sh\nexec '${process.execPath}' '${path.join(here, "fake-bridge.mjs")}' "$0" "$@"\n`);
    chmodSync(bridge, mode);
  }
  return dir;
}

const records = (dir, name) =>
  existsSync(path.join(dir, name))
    ? readFileSync(path.join(dir, name), "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line))
    : [];

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
const config = (pluginConfig = {}) => ({ plugins: { entries: { huggingface: { config: { baseUrl: "http://127.0.0.1:9/v1", ...pluginConfig } } } } });

/** Runs one chat through the provider's stream function; returns the events and the final message. */
async function chat(provider, options = {}) {
  const streamFn = provider.createStreamFn({ config: options.config ?? config(), provider: "huggingface", modelId: model.id, model });
  const stream = await streamFn(model, context, { apiKey: KEY, ...options });
  const events = [];
  for await (const event of stream) {
    events.push(event);
    options.onEvent?.(event);
  }
  return { events, message: await stream.result() };
}

async function waitFor(condition, what, ms = 10_000) {
  const until = Date.now() + ms;
  while (!condition()) {
    assert.ok(Date.now() < until, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("registration reads the generated manifest and describes the provider", () => {
  const { provider } = register(folder("register", {}));
  assert.equal(provider.id, "huggingface");
  assert.deepEqual(provider.envVars, ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]);
  assert.equal(provider.auth[0].id, "api-key");
  assert.equal(provider.auth[0].starterModel, manifest.native.defaultModel);
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
  const dir = folder("translate", { ops: { chat: lines } });
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
  // What the bridge was asked: the ref, the system prompt first, the plugin's base URL.
  const [asked] = records(dir, "messages.jsonl").filter((m) => m.op === "chat");
  assert.equal(asked.request.model, "huggingface/deepseek-ai/DeepSeek-R1");
  assert.deepEqual(asked.request.messages[0], { role: "system", content: "be brief" });
  assert.equal(asked.settings.baseUrl, "http://127.0.0.1:9/v1");
});

test("the key travels in the request message, never in the bridge's arguments or environment", async () => {
  const dir = folder("credential", { ops: { chat: [{ type: "done" }] } });
  const { provider } = register(dir);
  await chat(provider);
  const [start] = records(dir, "starts.jsonl");
  assert.deepEqual(start.args, ["--plugin-dir", dir, "serve", "--protocol", String(entry.PROTOCOL)]);
  assert.ok(!JSON.stringify(start).includes(KEY), "the key reached the bridge's command line or environment");
  const [asked] = records(dir, "messages.jsonl");
  assert.equal(asked.credential, KEY);
});

test("one bridge serves every request and every evaluation of the entry, concurrently", async () => {
  const dir = folder("shared", { ops: { chat: [{ type: "text", delta: "hi" }, { type: "done" }] } });
  const first = register(dir).provider;
  const second = register(dir).provider; // OpenClaw evaluates the entry again: same bridge
  const answers = await Promise.all([chat(first), chat(second), chat(first), chat(second)]);
  for (const { message } of answers) assert.equal(message.content[0].text, "hi");
  assert.equal(records(dir, "starts.jsonl").length, 1, "more than one bridge was started");
  const ids = records(dir, "messages.jsonl").map((m) => m.rid);
  assert.equal(new Set(ids).size, ids.length, "request ids repeat");
});

async function failure(name, spec, mode, options) {
  const { provider } = register(folder(name, spec, mode));
  const { events, message } = await chat(provider, options);
  assert.equal(events.at(-1).type, "error");
  return message;
}

test("a missing bridge is a clear error", async () => {
  const message = await failure("missing", undefined);
  assert.equal(message.stopReason, "error");
  assert.equal(message.errorCode, "bridge_missing");
  assert.match(message.errorMessage, /provider bridge is missing: .*openclaw-provider-bridge/);
  assert.match(message.errorMessage, /openclaw plugins install/);
});

test("a folder without this platform's binaries names the platform", async () => {
  const dir = folder("other-platform", undefined);
  const shipped = { ...manifest, native: { ...manifest.native, binaries: "node_modules/openclaw-native/bin" } };
  writeFileSync(path.join(dir, "openclaw.plugin.json"), JSON.stringify(shipped));
  mkdirSync(path.join(dir, "node_modules/openclaw-native/bin/plan9-mips"), { recursive: true });
  const { provider } = register(dir);
  const { message } = await chat(provider);
  assert.equal(message.errorCode, "platform_unsupported");
  assert.equal(
    message.errorMessage,
    `Hugging Face: this Hugging Face plugin has no binaries for ${entry.PLATFORM} (it has: plan9-mips); install the archive built for it: openclaw-huggingface-${manifest.version}-${entry.PLATFORM}.tgz`,
  );
});

test("a bridge that is not executable is a clear error", async () => {
  const message = await failure("not-executable", {}, 0o644);
  assert.match(message.errorMessage, /not executable/);
});

test("a bridge dying mid-request fails it with a typed error, and the next request starts a new one", async () => {
  const dir = folder("dies", { ops: { chat: { lines: [{ type: "text", delta: "half" }], exit: 7 } } });
  const { provider } = register(dir);
  const { message } = await chat(provider);
  assert.equal(message.errorCode, "bridge_died");
  assert.match(message.errorMessage, /provider bridge \(openclaw-provider-bridge, pid \d+\) exited with code 7 while answering/);
  assert.match(message.errorMessage, /something broke inside the bridge/);
  writeFileSync(path.join(dir, "spec.json"), JSON.stringify({ ops: { chat: [{ type: "text", delta: "whole" }, { type: "done" }] } }));
  const next = await chat(provider);
  assert.equal(next.message.content[0].text, "whole");
  assert.equal(records(dir, "starts.jsonl").length, 2);
});

test("a bridge that keeps crashing is reported, not restarted in a loop", async () => {
  const dir = folder("crashing", { exitAtStart: 3 });
  const { provider } = register(dir);
  for (let i = 0; i < entry.MAX_CRASHES; i += 1) {
    const { message } = await chat(provider);
    assert.equal(message.errorCode, "bridge_died");
    assert.match(message.errorMessage, /the plugin was refused/);
  }
  const { message } = await chat(provider);
  assert.equal(message.errorCode, "bridge_crashing");
  assert.match(message.errorMessage, /exited unexpectedly 3 times in the last minute; it is not restarted for another \d+ s/);
  assert.equal(records(dir, "starts.jsonl").length, entry.MAX_CRASHES);
});

test("the bridge's typed error is the message, with its code", async () => {
  const line = { type: "error", code: "payment_required", message: "Your credits are used up: add some at https://huggingface.co/settings/billing.", http_status: 402 };
  const message = await failure("typed", { ops: { chat: [line] } });
  assert.equal(message.errorCode, "payment_required");
  assert.equal(message.errorMessage, "Hugging Face: Your credits are used up: add some at https://huggingface.co/settings/billing");
});

test("a bridge printing a line without end is stopped at the cap", async () => {
  const started = Date.now();
  const message = await failure("runaway", { ops: { chat: { flood: true } } });
  assert.equal(message.errorCode, "output_too_large");
  assert.match(message.errorMessage, new RegExp(`a line over ${entry.MAX_LINE_BYTES >> 20} MiB`));
  assert.ok(Date.now() - started < 60_000);
});

test("a bridge of another protocol is refused, both ways", async () => {
  const newer = await failure("protocol-2", { hello: { type: "hello", protocol: 2 } });
  assert.equal(newer.errorCode, "bridge_protocol_mismatch");
  assert.match(newer.errorMessage, /speaks protocol 2, this entry 1/);
  // A bridge that refuses our protocol says so in its hello; one from before the resident
  // protocol answers `serve` with a usage error.
  const refusing = await failure("refusing", { hello: { type: "hello", protocol: 2, error: { code: "protocol_mismatch", message: "this bridge speaks protocol 2, the host asked for 1" } } });
  assert.equal(refusing.errorCode, "protocol_mismatch");
  const old = await failure("one-shot-only", { hello: { type: "error", code: "usage", message: "unrecognized subcommand 'serve'" } });
  assert.equal(old.errorCode, "bridge_protocol_mismatch");
  assert.match(old.errorMessage, /does not speak the resident protocol/);
});

test("an abort cancels that request only; the bridge and the other request carry on", async () => {
  const dir = folder("abort", { ops: { chat: { lines: [{ type: "text", delta: "first" }], hang: true } } });
  const { provider } = register(dir);
  const controller = new AbortController();
  const started = Date.now();
  const aborted = chat(provider, {
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === "text_delta") controller.abort();
    },
  });
  const other = new AbortController();
  const survivor = chat(provider, { signal: other.signal });
  const { events, message } = await aborted;
  assert.ok(Date.now() - started < 10_000, "the abort did not end the stream promptly");
  assert.equal(events.at(-1).type, "error");
  assert.equal(message.stopReason, "aborted");
  await waitFor(() => records(dir, "messages.jsonl").some((m) => m.op === "cancel"), "the cancel message");
  const [start] = records(dir, "starts.jsonl");
  assert.ok(alive(start.pid), "the abort took the bridge down");
  const cancelled = records(dir, "messages.jsonl").filter((m) => m.op === "cancel");
  assert.equal(cancelled.length, 1);
  other.abort();
  assert.equal((await survivor).message.stopReason, "aborted");
});

test("an idle bridge exits after the configured time and the next request starts another", async () => {
  const dir = folder("idle", { ops: { chat: [{ type: "done" }] } });
  const { provider } = register(dir);
  await chat(provider, { config: config({ bridge: { idleExitMs: 100 } }) });
  const [start] = records(dir, "starts.jsonl");
  await waitFor(() => !alive(start.pid), "the idle bridge to exit");
  await chat(provider, { config: config({ bridge: { idleExitMs: 0 } }) });
  assert.equal(records(dir, "starts.jsonl").length, 2);
});

test("the bridge never keeps Node alive, and exits with it", async () => {
  const dir = folder("lifetime", { ops: { prepare: [{ type: "prepared" }] } });
  const script = `
    const entry = await import(${JSON.stringify(path.join(module, "index.js"))});
    const bridge = entry.residentBridge(${JSON.stringify(dir)});
    await bridge.request("prepare", {});
    console.log(bridge.pid);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  const started = Date.now();
  const code = await new Promise((resolve) => child.on("exit", resolve));
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 10_000, "Node waited for the bridge");
  const pid = Number(output.trim());
  await waitFor(() => !alive(pid), "the bridge to exit with Node", 2_000);
});

test("catalog: models and the key on success, typed outcomes on failure", async () => {
  const catalog = { type: "catalog", source: "live", provider: { baseUrl: "http://127.0.0.1:9/v1", api: "openai-completions", models: [{ id: "a/b", name: "B" }] } };
  const okDir = folder("catalog-ok", { ops: { catalog: [catalog] } });
  const ok = register(okDir).provider;
  const auth = { apiKey: "HF_TOKEN", discoveryApiKey: KEY, profileId: "huggingface:default" };
  const ctx = (extra = {}) => ({ config: {}, resolveProviderApiKey: () => auth, ...extra });
  const result = await ok.catalog.run(ctx());
  assert.equal(result.provider.apiKey, "HF_TOKEN");
  assert.deepEqual(result.provider.models, [{ id: "a/b", name: "B" }]);
  assert.deepEqual(result.outcomes, [{ provider: "huggingface", profileId: "huggingface:default", status: "ready" }]);
  assert.equal(records(okDir, "messages.jsonl")[0].credential, KEY);
  assert.equal(await ok.catalog.run(ctx({ resolveProviderApiKey: () => ({}) })), null);
  assert.equal(await ok.catalog.run(ctx({ config: { plugins: { entries: { huggingface: { config: { discovery: { enabled: false } } } } } } })), null);
  // A refreshed row answers resolveDynamicModel from then on.
  assert.equal(ok.resolveDynamicModel({ modelId: "a/b", config: {} }).name, "B");

  const rejected = register(folder("catalog-401", { ops: { catalog: [{ type: "error", code: "unauthorized", message: "bad token", http_status: 401 }] } }));
  const denied = await rejected.provider.catalog.run(ctx());
  assert.deepEqual(denied.outcomes[0].status, "auth-rejected");
  assert.match(rejected.warnings[0], /bad token/);
  const broken = register(folder("catalog-broken", { exitAtStart: 3 })).provider;
  assert.equal((await broken.catalog.run(ctx())).outcomes[0].status, "unavailable");
});

test("resolveDynamicModel answers at once from what is known, and learns from the bridge for next time", async () => {
  const answer = { type: "model", model: { id: "zai-org/GLM-4.7:cheapest", name: "GLM 4.7 via the cheapest", reasoning: true, input: ["text"], contextWindow: 202752, maxTokens: 4096, cost: { input: 0.6, output: 2.2, cacheRead: 0.11, cacheWrite: 0.6 } } };
  const dir = folder("resolve", { ops: { resolve: [answer], prepare: [{ type: "prepared" }] } });
  const { provider } = register(dir);
  const ctx = { modelId: "zai-org/GLM-4.7:cheapest", providerConfig: { baseUrl: "http://127.0.0.1:9/v1" } };
  // From the built-in row of the base model, at once.
  const first = provider.resolveDynamicModel(ctx);
  assert.equal(first.id, "zai-org/GLM-4.7:cheapest");
  assert.equal(first.name, "GLM 4.7 (cheapest)");
  assert.equal(first.contextWindow, 202752);
  assert.equal(first.baseUrl, "http://127.0.0.1:9/v1");
  assert.equal(first.api, "openai-completions");
  // Meanwhile the bridge started, warmed a connection and resolved the id.
  await waitFor(() => provider.resolveDynamicModel(ctx).name === "GLM 4.7 via the cheapest", "the resolved row");
  const ops = records(dir, "messages.jsonl").map((m) => m.op);
  assert.ok(ops.includes("prepare") && ops.includes("resolve"), ops.join(","));
  assert.equal(provider.resolveDynamicModel(ctx).maxTokens, 4096);

  // OpenClaw awaits prepareDynamicModel first: then the synchronous answer is the plugin's.
  const other = { modelId: "acme/brand-new-7b", config: {} };
  const unknownAnswer = { type: "model", model: { id: "acme/brand-new-7b", name: "Brand New 7B", contextWindow: 32768, maxTokens: 2048 } };
  writeFileSync(path.join(dir, "spec.json"), JSON.stringify({ ops: { resolve: [unknownAnswer], prepare: [{ type: "prepared" }] } }));
  assert.equal(await provider.prepareDynamicModel(other), undefined);
  assert.equal(provider.resolveDynamicModel(other).name, "Brand New 7B");
  assert.equal(provider.resolveDynamicModel(other).contextWindow, 32768);

  const { provider: missing } = register(folder("resolve-missing", undefined));
  const fallback = missing.resolveDynamicModel({ modelId: "acme/new-9b", config: {} });
  assert.equal(fallback.id, "acme/new-9b");
  assert.equal(fallback.baseUrl, "https://router.huggingface.co/v1");
});

test("onboarding asks the bridge for the plugin's patch, without the key", async () => {
  const patch = { models: { providers: { huggingface: { api: "openai-completions", baseUrl: "https://router.huggingface.co/v1" } } } };
  const dir = folder("onboarding", { ops: { onboarding: [{ type: "onboarding", configPatch: patch }] } });
  const { provider } = register(dir);
  const configured = { agents: { defaults: {} } };
  // No key anywhere: OpenClaw's method gives up after the patch was fetched.
  const result = await provider.auth[0].runNonInteractive({ config: configured, opts: {}, resolveApiKey: async () => null });
  assert.equal(result, null);
  const [asked] = records(dir, "messages.jsonl");
  assert.equal(asked.op, "onboarding");
  assert.deepEqual(asked.config, configured);
  assert.equal(asked.credential, undefined);
});

test("the request: images as data URLs, tool results, assistant tool calls", () => {
  const request = entry.chatRequest("huggingface", model, {
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
