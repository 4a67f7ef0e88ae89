// The JS entry (plugin/openclaw/*.js) against fake resident bridges (fake-bridge.mjs, protocol 2):
// how it turns bridge lines into OpenClaw's events, shares one bridge, passes settings on as the
// configuration has them, and every way a bridge can fail — missing, not executable, silent,
// dying mid-request, crashing again and again, printing without end or an answer over the cap,
// speaking another protocol, never answering — plus aborts, deadlines, idle exit, the bridge's
// environment, and that it never holds Node open. Run by tests/e2e/openclaw_install.rs with Node 24:
//   OPENCLAW_PACKAGE=<…/node_modules/openclaw> OPENCLAW_MANIFEST=<generated manifest> \
//     node --test tests/openclaw/entry.test.mjs
// The entry imports OpenClaw's plugin SDK (`openclaw/plugin-sdk/*`), which OpenClaw links in for
// its plugins; here a node_modules link to the real package does the same.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const workspace = path.resolve(here, "../..");
const sources = path.join(workspace, "plugin/openclaw");
const openclawPackage = process.env.OPENCLAW_PACKAGE;
const manifestPath = process.env.OPENCLAW_MANIFEST;
assert.ok(openclawPackage && existsSync(openclawPackage), "set OPENCLAW_PACKAGE to the installed openclaw package");
assert.ok(manifestPath && existsSync(manifestPath), "set OPENCLAW_MANIFEST to the generated plugin manifest");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const KEY = "hf_fake_key_for_tests";

let scratch;
let module;
let entry;
let client;
let chatModule;

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "openclaw-entry-"));
  module = path.join(scratch, "module");
  mkdirSync(path.join(module, "node_modules"), { recursive: true });
  for (const name of readdirSync(sources).filter((name) => name.endsWith(".js"))) {
    copyFileSync(path.join(sources, name), path.join(module, name));
  }
  writeFileSync(path.join(module, "package.json"), JSON.stringify({ type: "module" }));
  symlinkSync(openclawPackage, path.join(module, "node_modules/openclaw"));
  entry = await import(path.join(module, "index.js"));
  client = await import(path.join(module, "bridge-client.js"));
  chatModule = await import(path.join(module, "chat.js"));
});

after(() => rmSync(scratch, { recursive: true, force: true }));

/** A plugin folder whose bridge is the fake, following `spec` (or no bridge at all). */
function folder(name, spec, mode = 0o755, folderManifest = manifest) {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "openclaw.plugin.json"), JSON.stringify(folderManifest));
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
const asked = (dir, op) => records(dir, "messages.jsonl").filter((m) => m.op === op);

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
  baseUrl: "https://router.huggingface.co/v1",
  reasoning: true,
  input: ["text"],
  cost: { input: 3, output: 7, cacheRead: 3, cacheWrite: 3 },
  contextWindow: 131072,
  maxTokens: 8192,
};
const context = { systemPrompt: "be brief", messages: [{ role: "user", content: "hi", timestamp: 1 }] };
const config = (pluginConfig = {}) => ({ plugins: { entries: { huggingface: { config: { baseUrl: "http://127.0.0.1:9/v1", ...pluginConfig } } } } });
const done = (result = {}) => ({ type: "done", result });

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

/** `promise`, or a failure naming `what` when it takes longer than `ms` (a hang fails, not stalls). */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

test("the bridge client names no provider: every name comes from the manifest", () => {
  const text = readFileSync(path.join(sources, "bridge-client.js"), "utf8");
  assert.doesNotMatch(text, /hugging\s*face/i);
  assert.doesNotMatch(text, /huggingface/i);
});

test("bridge lines become OpenClaw's events: thinking, text, tool calls, usage", async () => {
  const lines = [
    { type: "servingProvider", provider: "together" },
    { type: "reasoning", delta: "Let me " },
    { type: "reasoning", delta: "think." },
    { type: "text", delta: "Calling " },
    { type: "text", delta: "a tool." },
    { type: "toolCall", index: 0, id: "call_1", name: "get_weather", arguments: "" },
    { type: "toolCall", index: 0, arguments: '{"city":' },
    { type: "toolCall", index: 0, arguments: '"Paris"}' },
    done({
      model: "deepseek-ai/DeepSeek-R1",
      servingProvider: "together",
      finishReason: "tool_calls",
      usage: { promptTokens: 1000, completionTokens: 500, totalTokens: 1500 },
      toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }],
    }),
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
  assert.equal(message.responseModel, "deepseek-ai/DeepSeek-R1");
  // What the bridge was asked: the ref, the system prompt first, the configuration as it is.
  const [request] = asked(dir, "chat");
  assert.equal(request.request.model, "huggingface/deepseek-ai/DeepSeek-R1");
  assert.deepEqual(request.request.messages[0], { role: "system", content: "be brief" });
  assert.deepEqual(request.settings, { plugin: { baseUrl: "http://127.0.0.1:9/v1" } });
});

test("a tool call only the done line names still reaches OpenClaw, whole", async () => {
  const lines = [done({ finishReason: "tool_calls", toolCalls: [{ id: "call_9", name: "lookup", arguments: '{"q":"x"}' }] })];
  const { provider } = register(folder("done-only-call", { ops: { chat: lines } }));
  const { events, message } = await chat(provider);
  assert.deepEqual(events.map((e) => e.type), ["start", "toolcall_start", "toolcall_end", "done"]);
  assert.equal(message.stopReason, "toolUse");
  assert.deepEqual(message.content, [{ type: "toolCall", id: "call_9", name: "lookup", arguments: { q: "x" } }]);
});

test("a line type the entry does not know is skipped: the chat goes on to its done", async () => {
  const lines = [
    { type: "text", delta: "before " },
    { type: "usageSoFar", promptTokens: 3 },
    { type: "text", delta: "after" },
    done({ finishReason: "stop", usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } }),
  ];
  const { provider } = register(folder("unknown-type", { ops: { chat: lines } }));
  const { events, message } = await chat(provider);
  assert.equal(events.at(-1).type, "done");
  assert.deepEqual(message.content, [{ type: "text", text: "before after" }]);
  assert.equal(message.usage.totalTokens, 5);
});

test("a rejected line about a request in flight does not end it, and is logged", async () => {
  const lines = [
    { type: "text", delta: "still " },
    { type: "rejected", code: "duplicate_rid", message: "request id is already in flight" },
    { type: "text", delta: "here" },
    done({ finishReason: "stop" }),
  ];
  const { provider, warnings } = register(folder("rejected", { ops: { chat: lines } }));
  const { events, message } = await chat(provider);
  assert.equal(events.at(-1).type, "done");
  assert.deepEqual(message.content, [{ type: "text", text: "still here" }]);
  assert.ok(warnings.some((w) => /rejected a message .*duplicate_rid/.test(w)), warnings.join("\n"));
});

test("the key travels in the request message, never in the bridge's arguments or environment", async () => {
  const dir = folder("credential", { ops: { chat: [done()] } });
  const { provider } = register(dir);
  await chat(provider);
  const [start] = records(dir, "starts.jsonl");
  assert.deepEqual(start.args, ["--plugin-dir", dir, "serve", "--protocol", "2"]);
  assert.equal(client.PROTOCOL, 2);
  assert.ok(!JSON.stringify(start).includes(KEY), "the key reached the bridge's command line or environment");
  const [request] = asked(dir, "chat");
  assert.equal(request.credential, KEY);
});

test("the bridge's environment lacks the provider's credential variables, even when OpenClaw's has them", async () => {
  const planted = {
    HF_TOKEN: "hf_parent_HF_TOKEN",
    HUGGINGFACE_HUB_TOKEN: "hf_parent_HUB_TOKEN",
    HUGGING_FACE_HUB_TOKEN: "hf_parent_HUGGING_FACE",
    OPENCLAW_PROVIDER_API_KEY: "hf_parent_OPENCLAW",
    FAKE_BRIDGE_KEPT: "kept",
  };
  const saved = Object.fromEntries(Object.keys(planted).map((name) => [name, process.env[name]]));
  Object.assign(process.env, planted);
  const dir = folder("environment", { ops: { chat: [done()] } });
  try {
    await chat(register(dir).provider);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const [start] = records(dir, "starts.jsonl");
  for (const name of ["HF_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENCLAW_PROVIDER_API_KEY"]) {
    assert.equal(start.env[name], undefined, `${name} reached the bridge`);
  }
  assert.ok(!JSON.stringify(start.env).includes("hf_parent_"));
  assert.equal(start.env.FAKE_BRIDGE_KEPT, "kept", "the rest of the environment is inherited");
});

test("one bridge serves every request and every evaluation of the entry, concurrently", async () => {
  const dir = folder("shared", { ops: { chat: [{ type: "text", delta: "hi" }, done()] } });
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
  const shipped = { ...manifest, native: { ...manifest.native, binaries: "node_modules/openclaw-native/bin" } };
  const dir = folder("other-platform", undefined, undefined, shipped);
  mkdirSync(path.join(dir, "node_modules/openclaw-native/bin/plan9-mips"), { recursive: true });
  const { provider } = register(dir);
  const { message } = await chat(provider);
  assert.equal(message.errorCode, "platform_unsupported");
  assert.equal(
    message.errorMessage,
    `Hugging Face: this Hugging Face plugin has no binaries for ${client.PLATFORM} (it has: plan9-mips); install the archive built for it: openclaw-huggingface-${manifest.version}-${client.PLATFORM}.tgz`,
  );
});

test("a bridge that is not executable is a clear error", async () => {
  const message = await failure("not-executable", {}, 0o644);
  assert.match(message.errorMessage, /not executable/);
});

test("a bridge that never greets is stopped, and its request fails within the hello deadline", async () => {
  const dir = folder("silent", { hello: "none", ops: { chat: { lines: [], hang: true } } });
  const { provider } = register(dir);
  client.residentBridge(dir).helloTimeoutMs = 300;
  const started = Date.now();
  const { events, message } = await within(chat(provider), 5_000, "a chat on a bridge that never greets");
  assert.equal(events.at(-1).type, "error");
  assert.equal(message.errorCode, "bridge_silent");
  assert.match(message.errorMessage, /did not greet within 0\.3 s; it was stopped/);
  assert.ok(Date.now() - started < 5_000);
  const [start] = records(dir, "starts.jsonl");
  await waitFor(() => !alive(start.pid), "the silent bridge to be stopped", 2_000);
});

test("a bridge dying mid-request fails it with a typed error, and the next request starts a new one", async () => {
  const dir = folder("dies", { ops: { chat: { lines: [{ type: "text", delta: "half" }], exit: 7 } } });
  const { provider } = register(dir);
  const { message } = await chat(provider);
  assert.equal(message.errorCode, "bridge_died");
  assert.match(message.errorMessage, /provider bridge \(openclaw-provider-bridge, pid \d+\) exited with code 7 while answering/);
  assert.match(message.errorMessage, /something broke inside the bridge/);
  writeFileSync(path.join(dir, "spec.json"), JSON.stringify({ ops: { chat: [{ type: "text", delta: "whole" }, done()] } }));
  const next = await chat(provider);
  assert.equal(next.message.content[0].text, "whole");
  assert.equal(records(dir, "starts.jsonl").length, 2);
});

test("a bridge that keeps crashing is reported, not restarted in a loop", async () => {
  const dir = folder("crashing", { exitAtStart: 3 });
  const { provider } = register(dir);
  for (let i = 0; i < client.MAX_CRASHES; i += 1) {
    const { message } = await chat(provider);
    assert.equal(message.errorCode, "bridge_died");
    assert.match(message.errorMessage, /the plugin was refused/);
  }
  const { message } = await chat(provider);
  assert.equal(message.errorCode, "bridge_crashing");
  assert.match(message.errorMessage, /exited unexpectedly 3 times in the last minute; it is not restarted for another \d+ s/);
  assert.equal(records(dir, "starts.jsonl").length, client.MAX_CRASHES);
});

test("the bridge's typed error is the message, with its code, HTTP status and retry delay", async () => {
  const line = {
    type: "error",
    code: "payment_required",
    message: "Your credits are used up: add some at https://huggingface.co/settings/billing.",
    httpStatus: 402,
    retryAfterMs: 2000,
  };
  const dir = folder("typed", { ops: { chat: [line] } });
  const { provider } = register(dir);
  const { events, message } = await chat(provider);
  assert.equal(events.at(-1).type, "error");
  assert.equal(message.errorCode, "payment_required");
  assert.equal(message.errorMessage, "Hugging Face: Your credits are used up: add some at https://huggingface.co/settings/billing");
  await assert.rejects(client.residentBridge(dir).request("chat", { request: {} }), (error) => {
    assert.ok(error instanceof client.BridgeError);
    assert.equal(error.code, "payment_required");
    assert.equal(error.httpStatus, 402);
    assert.equal(error.retryAfterMs, 2000);
    return true;
  });
});

test("a bridge printing a line without end that names no request is stopped at the cap", async () => {
  const started = Date.now();
  const message = await failure("runaway", { ops: { chat: { flood: true } } });
  assert.equal(message.errorCode, "output_too_large");
  assert.match(message.errorMessage, new RegExp(`a line over ${client.MAX_LINE_BYTES >> 20} MiB that names no request`));
  assert.ok(Date.now() - started < 60_000);
});

test("an answer over the cap fails its own request only; a chat beside it completes and the bridge stays up", async () => {
  // Two-byte characters: the line is over the cap in bytes while its UTF-16 length is about half.
  const bytes = client.MAX_LINE_BYTES + (2 << 20);
  const dir = folder("over-long", {
    ops: { catalog: { overLong: { bytes, char: "é" } }, chat: [{ type: "text", delta: "beside" }, done({ finishReason: "stop" })] },
  });
  const { provider } = register(dir);
  const bridge = client.residentBridge(dir);
  const flooded = bridge.request("catalog", { settings: {} }, { timeoutMs: 60_000 });
  await waitFor(() => asked(dir, "catalog").length === 1, "the catalog request");
  const beside = chat(provider);
  await assert.rejects(flooded, (error) => {
    assert.equal(error.code, "answer_too_large");
    assert.match(error.message, /the answer to catalog is over 64 MiB/);
    return true;
  });
  const { message } = await within(beside, 30_000, "the chat beside the over-long answer");
  assert.equal(message.stopReason, "stop");
  assert.deepEqual(message.content, [{ type: "text", text: "beside" }]);
  const [start] = records(dir, "starts.jsonl");
  assert.ok(alive(start.pid), "the over-long answer took the bridge down");
  assert.ok(records(dir, "messages.jsonl").some((m) => m.op === "cancel" && m.rid === asked(dir, "catalog")[0].rid), "the bridge was not told to cancel");
  const next = await chat(provider);
  assert.equal(next.message.content[0].text, "beside");
  assert.equal(records(dir, "starts.jsonl").length, 1);
});

test("a bridge of another protocol is refused, both ways", async () => {
  const newer = await failure("protocol-3", { hello: { type: "hello", protocol: 3 } });
  assert.equal(newer.errorCode, "bridge_protocol_mismatch");
  assert.match(newer.errorMessage, /speaks protocol 3, this entry 2/);
  const older = await failure("protocol-1", { hello: { type: "hello", protocol: 1, bridge: "0.1.0", provider: "huggingface" } });
  assert.equal(older.errorCode, "bridge_protocol_mismatch");
  assert.match(older.errorMessage, /speaks protocol 1, this entry 2/);
  // A bridge that refuses our protocol says so in its hello; one from before the resident
  // protocol answers `serve` with a usage error.
  const refusing = await failure("refusing", { hello: { type: "hello", protocol: 3, error: { code: "protocol_mismatch", message: "this bridge speaks protocol 3, the host asked for 2" } } });
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
  await waitFor(() => asked(dir, "cancel").length > 0, "the cancel message");
  const [start] = records(dir, "starts.jsonl");
  assert.ok(alive(start.pid), "the abort took the bridge down");
  assert.equal(asked(dir, "cancel").length, 1);
  other.abort();
  assert.equal((await survivor).message.stopReason, "aborted");
});

test("a catalog aborted through its signal sends cancel and rejects at once", async () => {
  const dir = folder("catalog-abort", { ops: { catalog: { lines: [], hang: true } } });
  const { provider } = register(dir);
  const bridge = client.residentBridge(dir);
  const controller = new AbortController();
  const running = bridge.request("catalog", { settings: {} }, { signal: controller.signal });
  await waitFor(() => asked(dir, "catalog").length === 1, "the catalog request");
  const abortedAt = Date.now();
  controller.abort();
  await assert.rejects(within(running, 2_000, "the aborted catalog"), { name: "BridgeError", code: "aborted" });
  assert.ok(Date.now() - abortedAt < 1_000, "the catalog did not reject at once");
  const [request] = asked(dir, "catalog");
  await waitFor(() => asked(dir, "cancel").some((m) => m.rid === request.rid), "the cancel message");

  // Through OpenClaw's hook: the refresh ends at once, as unavailable.
  const hook = new AbortController();
  const refresh = provider.catalog.run({ config: {}, signal: hook.signal, resolveProviderApiKey: () => ({ apiKey: KEY }) });
  await waitFor(() => asked(dir, "catalog").length === 2, "the second catalog request");
  hook.abort();
  const result = await within(refresh, 2_000, "the aborted catalog refresh");
  assert.equal(result.outcomes[0].status, "unavailable");
  await waitFor(() => asked(dir, "cancel").some((m) => m.rid === asked(dir, "catalog")[1].rid), "the second cancel message");
});

test("a resolve or onboarding the bridge never answers times out and is cancelled", async () => {
  const dir = folder("unanswered", { ops: { resolve: { lines: [], hang: true }, onboarding: { lines: [], hang: true } } });
  const { provider } = register(dir);
  client.residentBridge(dir).requestTimeoutMs = 300;
  const started = Date.now();
  assert.equal(await within(provider.prepareDynamicModel({ modelId: "acme/never-answered", config: {} }), 5_000, "prepareDynamicModel"), undefined);
  assert.ok(Date.now() - started < 5_000);
  const [resolve] = asked(dir, "resolve");
  await waitFor(() => asked(dir, "cancel").some((m) => m.rid === resolve.rid), "the resolve's cancel");
  // The id is still answered, from the defaults.
  assert.equal(provider.resolveDynamicModel({ modelId: "acme/never-answered", config: {} }).id, "acme/never-answered");

  const onboarding = provider.auth[0].runNonInteractive({ config: {}, opts: {}, resolveApiKey: async () => null });
  await assert.rejects(within(onboarding, 5_000, "onboarding"), (error) => {
    assert.equal(error.code, "bridge_timeout");
    assert.match(error.message, /did not answer onboarding within 0\.3 s/);
    return true;
  });
  const [request] = asked(dir, "onboarding");
  await waitFor(() => asked(dir, "cancel").some((m) => m.rid === request.rid), "the onboarding's cancel");
});

test("an idle bridge exits after the configured time and the next request starts another", async () => {
  const dir = folder("idle", { ops: { chat: [done()] } });
  const { provider } = register(dir);
  await chat(provider, { config: config({ bridge: { idleExitMs: 100 } }) });
  const [start] = records(dir, "starts.jsonl");
  await waitFor(() => !alive(start.pid), "the idle bridge to exit");
  await chat(provider, { config: config({ bridge: { idleExitMs: 0 } }) });
  assert.equal(records(dir, "starts.jsonl").length, 2);
});

test("an idle time Node cannot wait for, or a negative one, is ignored with one warning", async () => {
  const dir = folder("idle-invalid", { ops: { chat: [done()] } });
  const { provider, warnings } = register(dir);
  for (const idleExitMs of [1e12, -5]) {
    // Twice each: one warning per value, not one per request.
    await chat(provider, { config: config({ bridge: { idleExitMs } }) });
    await chat(provider, { config: config({ bridge: { idleExitMs } }) });
  }
  const about = warnings.filter((w) => w.includes("plugins.entries.huggingface.config.bridge.idleExitMs"));
  assert.equal(about.length, 2, warnings.join("\n"));
  assert.match(about[0], /1000000000000 is not a whole number of milliseconds from 0 to 2147483647; it is ignored and the default, 10 min, applies/);
  assert.match(about[1], /-5 is not/);
  assert.equal(client.residentBridge(dir).idleExitMs, client.DEFAULT_IDLE_EXIT_MS);
  // A timer past 2^31-1 ms would have fired at once and ended the bridge.
  await sleep(300);
  const starts = records(dir, "starts.jsonl");
  assert.equal(starts.length, 1);
  assert.ok(alive(starts[0].pid), "the bridge exited at once");
});

test("the bridge never keeps Node alive, and exits with it", async () => {
  const dir = folder("lifetime", { ops: { prepare: [done()] } });
  const script = `
    const client = await import(${JSON.stringify(path.join(module, "bridge-client.js"))});
    const bridge = client.residentBridge(${JSON.stringify(dir)});
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
  const catalog = done({ source: "live", fallbackReason: null, provider: { baseUrl: "http://127.0.0.1:9/v1", api: "openai-completions", models: [{ id: "a/b", name: "B" }] } });
  const okDir = folder("catalog-ok", { ops: { catalog: [catalog] } });
  const ok = register(okDir).provider;
  const auth = { apiKey: "HF_TOKEN", discoveryApiKey: KEY, profileId: "huggingface:default" };
  const ctx = (extra = {}) => ({ config: {}, resolveProviderApiKey: () => auth, ...extra });
  const result = await ok.catalog.run(ctx());
  assert.equal(result.provider.apiKey, "HF_TOKEN");
  assert.deepEqual(result.provider.models, [{ id: "a/b", name: "B" }]);
  assert.deepEqual(result.outcomes, [{ provider: "huggingface", profileId: "huggingface:default", status: "ready" }]);
  const [first] = asked(okDir, "catalog");
  assert.equal(first.credential, KEY);
  assert.deepEqual(first.settings, {});
  assert.equal(first.mode, "strict");
  assert.equal(await ok.catalog.run(ctx({ resolveProviderApiKey: () => ({}) })), null);
  assert.equal(await ok.catalog.run(ctx({ config: { plugins: { entries: { huggingface: { config: { discovery: { enabled: false } } } } } } })), null);
  // The configuration goes as it is; only the discovery limits are read, and passed on when whole.
  const block = { baseUrl: "https://proxy.example/v1", billTo: "acme", api: "openai-completions" };
  const pluginConfig = { discovery: { timeoutMs: 5000, maxBodyBytes: 2048 }, chat: { maxRetries: 4 } };
  await ok.catalog.run(ctx({ config: { models: { providers: { huggingface: block } }, plugins: { entries: { huggingface: { config: pluginConfig } } } } }));
  const configured = asked(okDir, "catalog").at(-1);
  assert.deepEqual(configured.settings, { provider: block, plugin: pluginConfig });
  assert.equal(configured.timeoutMs, 5000);
  assert.equal(configured.maxBodyBytes, 2048);
  await ok.catalog.run(ctx({ config: { plugins: { entries: { huggingface: { config: { discovery: { timeoutMs: "5000", maxBodyBytes: 1.5 } } } } } } }));
  const loose = asked(okDir, "catalog").at(-1);
  assert.equal(loose.timeoutMs, undefined);
  assert.equal(loose.maxBodyBytes, undefined);
  // A refreshed row answers resolveDynamicModel from then on.
  assert.equal(ok.resolveDynamicModel({ modelId: "a/b", config: {} }).name, "B");

  const rejected = register(folder("catalog-401", { ops: { catalog: [{ type: "error", code: "unauthorized", message: "bad token", httpStatus: 401 }] } }));
  const denied = await rejected.provider.catalog.run(ctx());
  assert.deepEqual(denied.outcomes[0].status, "auth-rejected");
  assert.match(rejected.warnings[0], /bad token/);
  const broken = register(folder("catalog-broken", { exitAtStart: 3 })).provider;
  assert.equal((await broken.catalog.run(ctx())).outcomes[0].status, "unavailable");
});

test("resolveDynamicModel answers at once from what is known, and learns from the bridge for next time", async () => {
  const routed = "http://127.0.0.1:9/v1";
  const answer = done({
    ref: "huggingface/zai-org/GLM-4.7:cheapest",
    provider: "huggingface",
    wireModelId: "zai-org/GLM-4.7:cheapest",
    known: true,
    model: { id: "zai-org/GLM-4.7:cheapest", name: "GLM 4.7 via the cheapest", reasoning: true, input: ["text"], contextWindow: 202752, maxTokens: 4096, cost: { input: 0.6, output: 2.2, cacheRead: 0.11, cacheWrite: 0.6 } },
    warnings: [],
    baseUrl: routed,
  });
  const dir = folder("resolve", { ops: { resolve: [answer], prepare: [done()] } });
  const { provider } = register(dir);
  const defaultBaseUrl = manifest.modelCatalog.providers.huggingface.baseUrl;
  const ctx = { modelId: "zai-org/GLM-4.7:cheapest", providerConfig: { baseUrl: routed } };
  // From the built-in row of the base model, at once; where calls go is not known yet.
  const first = provider.resolveDynamicModel(ctx);
  assert.equal(first.id, "zai-org/GLM-4.7:cheapest");
  assert.equal(first.name, "GLM 4.7 (cheapest)");
  assert.equal(first.contextWindow, 202752);
  assert.equal(first.baseUrl, defaultBaseUrl);
  assert.equal(first.api, "openai-completions");
  // Meanwhile the bridge started, warmed a connection and resolved the id with these settings.
  await waitFor(() => provider.resolveDynamicModel(ctx).name === "GLM 4.7 via the cheapest", "the resolved row");
  const ops = records(dir, "messages.jsonl").map((m) => m.op);
  assert.ok(ops.includes("prepare") && ops.includes("resolve"), ops.join(","));
  const [resolve] = asked(dir, "resolve");
  assert.equal(resolve.ref, "huggingface/zai-org/GLM-4.7:cheapest");
  assert.deepEqual(resolve.settings, { provider: { baseUrl: routed } });
  assert.deepEqual(asked(dir, "prepare")[0].settings, { provider: { baseUrl: routed } });
  assert.equal(provider.resolveDynamicModel(ctx).maxTokens, 4096);
  // The base URL the bridge gave for these settings, for this id and any other.
  assert.equal(provider.resolveDynamicModel(ctx).baseUrl, routed);
  assert.equal(provider.resolveDynamicModel({ ...ctx, modelId: "zai-org/GLM-4.7" }).baseUrl, routed);

  // OpenClaw awaits prepareDynamicModel first: then the synchronous answer is the plugin's.
  const other = { modelId: "acme/brand-new-7b", config: {} };
  const unknownAnswer = done({ model: { id: "acme/brand-new-7b", name: "Brand New 7B", contextWindow: 32768, maxTokens: 2048 }, baseUrl: defaultBaseUrl });
  writeFileSync(path.join(dir, "spec.json"), JSON.stringify({ ops: { resolve: [unknownAnswer], prepare: [done()] } }));
  assert.equal(await provider.prepareDynamicModel(other), undefined);
  assert.equal(provider.resolveDynamicModel(other).name, "Brand New 7B");
  assert.equal(provider.resolveDynamicModel(other).contextWindow, 32768);
  assert.deepEqual(asked(dir, "resolve").at(-1).settings, {});

  // Without a bridge: the manifest's base URL, and its defaults for a model nobody knows.
  const withDefaults = { ...manifest, native: { ...manifest.native, modelDefaults: { contextWindow: 65536, maxTokens: 1234 } } };
  const { provider: missing } = register(folder("resolve-missing", undefined, undefined, withDefaults));
  const fallback = missing.resolveDynamicModel({ modelId: "acme/new-9b", config: {} });
  assert.equal(fallback.id, "acme/new-9b");
  assert.equal(fallback.baseUrl, defaultBaseUrl);
  assert.equal(fallback.contextWindow, 65536);
  assert.equal(fallback.maxTokens, 1234);
});

test("onboarding asks the bridge for the plugin's patch, without the key", async () => {
  const patch = { models: { providers: { huggingface: { api: "openai-completions", baseUrl: "https://router.huggingface.co/v1" } } } };
  const dir = folder("onboarding", { ops: { onboarding: [done({ profileId: "huggingface:default", providerId: "huggingface", configPatch: patch, notes: [] })] } });
  const { provider } = register(dir);
  const configured = { agents: { defaults: {} } };
  // No key anywhere: OpenClaw's method gives up after the patch was fetched.
  const result = await provider.auth[0].runNonInteractive({ config: configured, opts: {}, resolveApiKey: async () => null });
  assert.equal(result, null);
  const [request] = records(dir, "messages.jsonl");
  assert.equal(request.op, "onboarding");
  assert.deepEqual(request.config, configured);
  assert.equal(request.method, "api-key");
  assert.equal(request.credential, undefined);
});

test("the request: images as data URLs, tool results, assistant tool calls", () => {
  const request = chatModule.chatRequest("huggingface", model, {
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

test("usage: the hooks find the key, ask the bridge and map its answer to OpenClaw's snapshot", async () => {
  const answer = { provider: "huggingface", periodStart: 1, periodEnd: 2, currency: "USD", used: 2.5, included: 2, billable: 0.5, limit: 10, requests: 7 };
  const dir = folder("usage", { ops: { usage: [done(answer)] } });
  const { provider } = register(dir);
  assert.deepEqual(manifest.contracts.usageProviders, ["huggingface"]);
  const auth = await provider.resolveUsageAuth({ env: { HF_TOKEN: KEY }, resolveApiKeyFromConfigAndStore: ({ envDirect }) => envDirect.find(Boolean) });
  assert.deepEqual(auth, { token: KEY });
  const snapshot = await provider.fetchUsageSnapshot({ token: KEY, config: config(), timeoutMs: 5000 });
  assert.deepEqual(snapshot.windows, [{ label: "Included credits", usedPercent: 100 }]);
  assert.deepEqual(
    snapshot.billing.map((b) => [b.type, b.amount ?? b.used, b.limit, b.unit]),
    [["spend", 0.5, undefined, "USD"], ["budget", 2.5, 10, "USD"]],
  );
  assert.equal(snapshot.summary, "$2.50 used, $2.00 included, 7 requests");
  const [request] = asked(dir, "usage");
  assert.equal(request.credential, KEY);
  assert.equal(request.settings.plugin.baseUrl, "http://127.0.0.1:9/v1");
  assert.equal(await provider.resolveUsageAuth({ env: {}, resolveApiKeyFromConfigAndStore: () => undefined }), null);
});

test("usage: a refused billing read is one line in the snapshot, not a thrown error", async () => {
  const refused = { type: "error", code: "forbidden", message: "the token lacks billing read permission …", httpStatus: 403 };
  const dir = folder("usage-refused", { ops: { usage: [refused] } });
  const { provider } = register(dir);
  const snapshot = await provider.fetchUsageSnapshot({ token: KEY, config: config(), timeoutMs: 5000 });
  assert.deepEqual(snapshot, { provider: "huggingface", displayName: "Hugging Face", windows: [], error: "token lacks billing read permission" });
  // No answer within OpenClaw's deadline is "usage unavailable", not a hang or a throw.
  const silent = register(folder("usage-silent", { ops: { usage: { lines: [], hang: true } } })).provider;
  const unavailable = await within(silent.fetchUsageSnapshot({ token: KEY, config: config(), timeoutMs: 300 }), 10_000, "a usage read");
  assert.equal(unavailable.error, "usage unavailable");
});

test("a conversation's next turn names the upstream that served its last answer from the model", async () => {
  const dir = folder("sticky", { ops: { chat: [{ type: "text", delta: "hi" }, done({ servingProvider: "together", finishReason: "stop" })] } });
  const { provider } = register(dir);
  const first = await chat(provider);
  assert.equal(first.message.servingProvider, "together");
  const history = (earlier) => ({ ...context, messages: [...context.messages, earlier, { role: "user", content: "more", timestamp: 2 }] });
  const streamFn = provider.createStreamFn({ config: config(), provider: "huggingface", modelId: model.id, model });
  const run = async (ctx) => {
    const stream = await streamFn(model, ctx, { apiKey: KEY });
    for await (const _ of stream);
  };
  await run(history(first.message));
  // An answer from another model, or another provider, says nothing about this one.
  await run(history({ ...first.message, model: "org/other" }));
  await run(history({ ...first.message, provider: "openrouter" }));
  const sent = asked(dir, "chat").map((m) => m.request.session_upstream);
  assert.deepEqual(sent, [undefined, "together", undefined, undefined]);
});

test("thinking: a reasoning model is offered the router's efforts, the level becomes reasoning_effort, one the plugin had to drop is not offered again", async () => {
  const dropped = { type: "notice", message: "the upstream does not take reasoning_effort \"xhigh\"; sent again without it", details: { dropped: "reasoning_effort", value: "xhigh" } };
  const dir = folder("thinking", { ops: { chat: [dropped, { type: "text", delta: "hi" }, done({ finishReason: "stop" })] } });
  const { provider } = register(dir);
  const ids = (profile) => profile.levels.map((level) => level.id);
  assert.deepEqual(ids(provider.resolveThinkingProfile({ provider: "huggingface", modelId: model.id, reasoning: true })), ["off", "low", "medium", "high", "xhigh", "max"]);
  assert.deepEqual(ids(provider.resolveThinkingProfile({ provider: "huggingface", modelId: "org/plain", reasoning: false })), ["off"]);
  await chat(provider, { reasoning: "xhigh" });
  await chat(provider, { reasoning: "off" });
  assert.deepEqual(asked(dir, "chat").map((m) => m.request.reasoning_effort), ["xhigh", undefined]);
  // Refused once: not offered again for that model, still offered for others.
  assert.deepEqual(ids(provider.resolveThinkingProfile({ provider: "huggingface", modelId: model.id, reasoning: true })), ["off", "low", "medium", "high", "max"]);
  assert.ok(ids(provider.resolveThinkingProfile({ provider: "huggingface", modelId: "org/other", reasoning: true })).includes("xhigh"));
});

test("cost: the plugin's price at the serving upstream is what OpenClaw records; cached tokens are counted once", async () => {
  const priced = done({ servingProvider: "together", finishReason: "stop", usage: { promptTokens: 1000, completionTokens: 100, totalTokens: 1100, cachedTokens: 400 }, cost: { upstream: "together", currency: "USD", input: 0.003, output: 0.0007, total: 0.0037 } });
  const dir = folder("cost", { ops: { chat: [priced] } });
  const { provider } = register(dir);
  const { message } = await chat(provider);
  assert.equal(message.usage.input, 600);
  assert.equal(message.usage.cacheRead, 400);
  assert.equal(message.usage.totalTokens, 1100);
  assert.ok(Math.abs(message.usage.cost.total - 0.0037) < 1e-12, JSON.stringify(message.usage.cost));
});

test("media: payloads come back as files read only from the call's own directory, which is removed", async () => {
  const media = await import(path.join(module, "media.js"));
  const seen = [];
  let rogue = false;
  const bridge = {
    async request(op, fields) {
      seen.push({ op, fields });
      if (op === "transcribe") {
        return { text: readFileSync(fields.audio.path, "utf8"), model: "whisper" };
      }
      // The bridge writes its file where the request said, or, misbehaving, elsewhere.
      const dir = rogue ? scratch : fields.blobDir;
      const file = path.join(dir, "image-1.png");
      writeFileSync(file, "PNGBYTES");
      const blob = { path: file, mediaType: "image/png", bytes: 8 };
      return op === "image" ? { model: "flux", servingProvider: "fal-ai", images: [blob], notices: [] } : { audio: { ...blob, mediaType: "audio/mpeg" }, model: "kokoro", notices: [] };
    },
  };
  const providers = media.mediaProviders({
    bridge,
    provider: "huggingface",
    label: "Hugging Face",
    manifest: { native: { defaultModels: { "image-generation": "huggingface/black-forest-labs/FLUX.1-dev", "speech-recognition": "huggingface/openai/whisper-large-v3" } } },
    envVars: ["HF_TOKEN"],
    settingsFor: () => ({}),
    credentialFor: async () => "hf_fake",
  });
  assert.equal(providers.images.defaultModel, "black-forest-labs/FLUX.1-dev");
  assert.deepEqual(providers.images.capabilities.edit, { enabled: false });
  const result = await providers.images.generateImage({ model: "black-forest-labs/FLUX.1-dev", prompt: "a cat", size: "1024x768", count: 2 });
  assert.equal(result.images[0].buffer.toString(), "PNGBYTES");
  assert.equal(result.images[0].fileName, "image-1.png");
  const sent = seen[0].fields;
  assert.deepEqual(sent.request, { model: "huggingface/black-forest-labs/FLUX.1-dev", prompt: "a cat", width: 1024, height: 768, count: 2 });
  assert.equal(existsSync(sent.blobDir), false, "the call's directory outlives it");

  rogue = true;
  await assert.rejects(providers.images.generateImage({ prompt: "x" }), /outside its directory/);

  const transcript = await providers.transcription.transcribeAudioWithContext({ buffer: Buffer.from("spoken words"), mime: "audio/wav", apiKey: "hf_fake" });
  assert.deepEqual(transcript, { ok: true, value: { text: "spoken words", model: "whisper" } });
  const recording = seen.at(-1).fields.audio.path;
  assert.equal(existsSync(recording), false, "the recording outlives the call");
  assert.equal(seen.at(-1).fields.request.model, "huggingface/openai/whisper-large-v3");

  // --model and --voice reach synthesis through the overrides OpenClaw asks for.
  const overrides = providers.speech.resolveTalkOverrides({ params: { modelId: "hexgrad/Kokoro-82M", voiceId: "af_heart" } });
  assert.deepEqual(overrides, { model: "hexgrad/Kokoro-82M", voice: "af_heart", source: "huggingface" });
});
