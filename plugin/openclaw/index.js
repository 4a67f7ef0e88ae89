// OpenClaw's half of the plugin folder: registers the provider with OpenClaw's plugin SDK and
// has the Rust plugin beside it do the work. OpenClaw (Node) cannot load the native library, so
// one resident `openclaw-provider-bridge` per OpenClaw process loads it and answers every
// operation — chat, catalog, resolve, onboarding data, connection warm-up — multiplexed as JSON
// lines over its stdio (the protocol is in the README and in the bridge's `protocol` module).
// The plugin's connections to the router live in that process, so they stay warm from one model
// call to the next.
//
// OpenClaw evaluates this module several times per command, each time from a temporary copy of
// the folder: nothing happens at import time, the bridge is found through `api.rootDir` (the
// installed folder), and the one bridge per folder is kept in a process-wide registry
// (`globalThis`), so every evaluation shares it. The bridge starts on first use, exits when its
// stdin closes (OpenClaw exiting, even by SIGKILL, closes it), or after an idle time; a bridge
// that dies fails the requests in flight with a typed error and the next request starts a new
// one, unless it keeps dying. No dependencies, no build step.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { isMainThread } from "node:worker_threads";

const BRIDGE = "openclaw-provider-bridge";
/** The bridge protocol this entry speaks; a bridge speaking another is refused. */
export const PROTOCOL = 1;
/** The longest line a bridge may print; past it the bridge is stopped (a runaway). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** The longest request a bridge accepts. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** How long an idle bridge lives unless `plugins.entries.<id>.config.bridge.idleExitMs` says. */
export const DEFAULT_IDLE_EXIT_MS = 10 * 60 * 1000;
/** A bridge that exits unexpectedly this often within the window is not restarted for a while. */
export const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60 * 1000;
/** After this long without a call, the connection may be gone: warm a new one ahead of use. */
const PREPARE_AFTER_IDLE_MS = 30 * 1000;
const STDERR_TAIL_BYTES = 2048;
const DEFAULT_BASE_URL = "https://router.huggingface.co/v1";
const REGISTRY = Symbol.for("openclaw-huggingface.resident-bridges");
/** Line types that come before a request's last line. */
const INTERMEDIATE = new Set(["text", "reasoning", "tool_call", "serving_provider", "notice"]);

// OpenClaw's plugin SDK, imported when first needed (onboarding, chat): loading this module then
// costs nothing beyond Node's own modules, whatever OpenClaw has or has not loaded already.
let authSdk;
let llmSdk;
const loadAuthSdk = () => (authSdk ??= import("openclaw/plugin-sdk/provider-auth"));
const loadLlmSdk = () => (llmSdk ??= import("openclaw/plugin-sdk/llm"));

/** An error the bridge reported, or one about running it. */
export class BridgeError extends Error {
  constructor(code, message, httpStatus) {
    super(message);
    this.name = "BridgeError";
    this.code = code;
    this.httpStatus = httpStatus ?? undefined;
  }
}

const REINSTALL = "reinstall the plugin: openclaw plugins install --force --accept-capabilities <archive or folder>";

/** What a failure to start the bridge means for the user. */
function spawnFailure(executable, error) {
  if (error?.code === "ENOENT") {
    return new BridgeError("bridge_missing", `the Hugging Face provider bridge is missing: ${executable} (${REINSTALL})`);
  }
  if (error?.code === "EACCES") {
    return new BridgeError("bridge_not_executable", `the Hugging Face provider bridge is not executable: ${executable} (${REINSTALL})`);
  }
  return new BridgeError("bridge_failed", `cannot run the Hugging Face provider bridge ${executable}: ${error?.message ?? error}`);
}

/** The last lines a bridge wrote on stderr, on one line. */
function lastWords(stderr) {
  const text = stderr.trim();
  return text ? `; it said: ${text.split("\n").slice(-3).join(" | ")}` : "";
}

/**
 * One resident bridge process and the requests in flight on it. Starts the process on the first
 * request and again after it exited; every line it prints carries the id of the request it
 * answers.
 */
export class ResidentBridge {
  constructor(root, manifest, logger) {
    this.root = root;
    this.manifest = manifest;
    this.executable = path.join(root, BRIDGE);
    this.logger = logger;
    this.idleExitMs = DEFAULT_IDLE_EXIT_MS;
    this.child = undefined;
    this.pending = new Map();
    this.nextId = 1;
    this.crashes = [];
    this.idleTimer = undefined;
    this.lastUse = 0;
    this.lastPrepare = 0;
    this.starts = 0;
  }

  /** The pid of the running bridge, if any (for diagnostics and tests). */
  get pid() {
    return this.child?.process.pid;
  }

  /** Sends one request; resolves with its last line, rejects with a BridgeError. */
  request(op, fields = {}, { signal, onLine } = {}) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new BridgeError("aborted", "the request was aborted"));
        return;
      }
      const id = this.nextId++;
      const message = `${JSON.stringify({ rid: id, op, ...fields })}\n`;
      if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
        reject(new BridgeError("request_too_large", `the request is over ${MAX_MESSAGE_BYTES >> 20} MiB, the most the bridge accepts`));
        return;
      }
      let child;
      try {
        child = this.ensureStarted();
      } catch (error) {
        reject(error);
        return;
      }
      const entry = { resolve, reject, onLine, child, signal, onAbort: undefined };
      if (signal) {
        entry.onAbort = () => {
          this.settle(id, entry, () => reject(new BridgeError("aborted", "the request was aborted")));
          if (this.child === child) child.process.stdin.write(`${JSON.stringify({ rid: id, op: "cancel" })}\n`);
        };
        signal.addEventListener("abort", entry.onAbort, { once: true });
      }
      this.pending.set(id, entry);
      this.lastUse = Date.now();
      this.holdOpen();
      child.process.stdin.write(message);
    });
  }

  /** Ends a request once: removes it, then calls `outcome`. */
  settle(id, entry, outcome) {
    if (this.pending.get(id) !== entry) return;
    this.pending.delete(id);
    entry.signal?.removeEventListener("abort", entry.onAbort);
    this.lastUse = Date.now();
    if (this.pending.size === 0) this.letGo();
    outcome();
  }

  /** Warms a connection for these settings when the last one may be gone. Never fails. */
  prepare(settings) {
    const now = Date.now();
    const fresh = this.child === undefined;
    if (!fresh && (now - this.lastUse < PREPARE_AFTER_IDLE_MS || now - this.lastPrepare < PREPARE_AFTER_IDLE_MS)) return;
    this.lastPrepare = now;
    this.request("prepare", { settings }).catch((error) => this.logger?.debug?.(`huggingface: warming a connection failed: ${error.message}`));
  }

  ensureStarted() {
    if (this.child) return this.child;
    const now = Date.now();
    this.crashes = this.crashes.filter((at) => now - at < CRASH_WINDOW_MS);
    if (this.crashes.length >= MAX_CRASHES) {
      const retryIn = Math.ceil((this.crashes[0] + CRASH_WINDOW_MS - now) / 1000);
      throw new BridgeError(
        "bridge_crashing",
        `the Hugging Face provider bridge exited unexpectedly ${this.crashes.length} times in the last minute; it is not restarted for another ${retryIn} s${this.lastStderr ? lastWords(this.lastStderr) : ""}`,
      );
    }
    this.executable = bridgePath(this.root, this.manifest);
    let process;
    try {
      // The environment carries no credential: each request brings its own.
      const args = ["--plugin-dir", this.root, "serve", "--protocol", String(PROTOCOL)];
      process = spawn(this.executable, args, { stdio: ["pipe", "pipe", "pipe"] });
    } catch (error) {
      throw spawnFailure(this.executable, error);
    }
    const child = { process, hello: undefined, buffer: "", stderr: "", failure: undefined, closing: false };
    this.child = child;
    this.starts += 1;
    this.lastPrepare = 0;
    process.on("error", (error) => this.exited(child, spawnFailure(this.executable, error), false));
    process.stdin.on("error", () => {}); // a bridge that exits early closes its stdin; 'exit' says why
    process.stderr.setEncoding("utf8");
    process.stderr.on("data", (chunk) => {
      child.stderr = (child.stderr + chunk).slice(-STDERR_TAIL_BYTES);
      for (const line of chunk.split("\n")) if (line.trim()) this.logger?.debug?.(`huggingface bridge: ${line.trim()}`);
    });
    process.stdout.setEncoding("utf8");
    process.stdout.on("data", (chunk) => this.read(child, chunk));
    process.on("exit", (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const failure =
        child.failure ??
        new BridgeError(
          "bridge_died",
          `the Hugging Face provider bridge (${BRIDGE}, pid ${process.pid}) ${how} while answering; the next request starts a new one${lastWords(child.stderr)}`,
        );
      this.exited(child, failure, !child.closing);
    });
    this.holdOpen();
    return child;
  }

  /** Splits the bridge's output into lines and routes each to its request. Only the new chunk is
   * searched for line ends, so a long line costs its length once. */
  read(child, chunk) {
    let start = 0;
    let newline = chunk.indexOf("\n");
    while (newline >= 0) {
      const text = child.buffer + chunk.slice(start, newline);
      child.buffer = "";
      if (text.trim()) this.line(child, text);
      if (child.gone || child.failure) return;
      start = newline + 1;
      newline = chunk.indexOf("\n", start);
    }
    child.buffer += chunk.slice(start);
    if (child.buffer.length > MAX_LINE_BYTES) {
      this.stop(child, new BridgeError("output_too_large", `the Hugging Face provider bridge printed a line over ${MAX_LINE_BYTES >> 20} MiB; it was stopped`));
    }
  }

  line(child, text) {
    let line;
    try {
      line = JSON.parse(text);
    } catch {
      this.logger?.debug?.(`huggingface bridge printed a line that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (child.hello === undefined) {
      this.greeted(child, line);
      return;
    }
    const entry = this.pending.get(line.rid);
    if (!entry || entry.child !== child) {
      if (line.rid === undefined && line.type === "error") this.logger?.warn?.(`huggingface bridge: ${line.message}`);
      return;
    }
    if (INTERMEDIATE.has(line.type)) {
      entry.onLine?.(line);
      return;
    }
    if (line.type === "error") {
      this.settle(line.rid, entry, () => entry.reject(new BridgeError(line.code, line.message, line.http_status)));
    } else {
      this.settle(line.rid, entry, () => entry.resolve(line));
    }
  }

  /** The bridge's first line: its protocol and plugin, or why it will not serve. */
  greeted(child, hello) {
    if (hello.type !== "hello") {
      const said = hello.type === "error" ? `: ${hello.message}` : "";
      this.stop(
        child,
        new BridgeError(
          "bridge_protocol_mismatch",
          `the Hugging Face provider bridge does not speak the resident protocol ${PROTOCOL} (an older release?${said}); ${REINSTALL}`,
        ),
      );
      return;
    }
    child.hello = hello;
    if (hello.error) {
      this.stop(child, new BridgeError(hello.error.code, `the Hugging Face provider bridge cannot serve: ${hello.error.message}`));
    } else if (hello.protocol !== PROTOCOL) {
      this.stop(
        child,
        new BridgeError(
          "bridge_protocol_mismatch",
          `the Hugging Face provider bridge speaks protocol ${hello.protocol}, this entry ${PROTOCOL}; ${REINSTALL}`,
        ),
      );
    }
  }

  /** Stops a bridge that cannot be used; its requests fail with `failure`. */
  stop(child, failure) {
    child.failure = failure;
    child.process.kill("SIGKILL");
  }

  /** A bridge process is gone: its requests fail; an unexpected exit counts against restarts. */
  exited(child, failure, unexpected) {
    if (child.gone) return;
    child.gone = true;
    if (this.child === child) this.child = undefined;
    this.lastStderr = child.stderr;
    if (unexpected && failure.code !== "bridge_missing" && failure.code !== "bridge_not_executable") this.crashes.push(Date.now());
    for (const [id, entry] of [...this.pending]) {
      if (entry.child === child) this.settle(id, entry, () => entry.reject(failure));
    }
  }

  /** Keeps OpenClaw's event loop alive while requests are in flight. */
  holdOpen() {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const process = this.child?.process;
    if (!process) return;
    process.ref();
    for (const stream of [process.stdin, process.stdout, process.stderr]) stream?.ref?.();
  }

  /**
   * Lets OpenClaw exit while the bridge idles, and ends an idle bridge after a while — at once
   * in a worker thread: OpenClaw refreshes catalogs in a worker it never retires, where a bridge
   * would only wait for the next refresh.
   */
  letGo() {
    const child = this.child;
    if (!child) return;
    child.process.unref();
    for (const stream of [child.process.stdin, child.process.stdout, child.process.stderr]) stream?.unref?.();
    clearTimeout(this.idleTimer);
    if (!isMainThread) {
      this.close();
    } else if (this.idleExitMs > 0) {
      this.idleTimer = setTimeout(() => {
        if (this.pending.size === 0 && this.child === child) this.close();
      }, this.idleExitMs);
      this.idleTimer.unref?.();
    }
  }

  /** Ends the bridge: closing its stdin makes it exit. */
  close() {
    const child = this.child;
    if (!child) return;
    child.closing = true;
    this.child = undefined;
    child.process.stdin.end();
  }
}

/** This platform as the folder names its binaries' directories: `linux-x64`, `darwin-arm64`… */
export const PLATFORM = `${process.platform}-${process.arch}`;

/**
 * Where the bridge for this platform is in the folder at `root`: under the manifest's
 * `native.binaries`, in this platform's directory (or beside the manifest when there is no
 * such field). A folder without this platform's binaries is an error naming it.
 */
export function bridgePath(root, manifest) {
  const binaries = manifest?.native?.binaries;
  if (!binaries) return path.join(root, BRIDGE);
  const dir = path.join(root, binaries, PLATFORM);
  if (!existsSync(dir)) {
    let offered = [];
    try {
      offered = readdirSync(path.join(root, binaries)).sort();
    } catch {
      // no binaries at all
    }
    // Release archives are named by platform, as `cargo xtask dist --archive` writes them.
    const install = manifest?.version
      ? `install the archive built for it: openclaw-huggingface-${manifest.version}-${PLATFORM}.tgz`
      : `install the archive built for ${PLATFORM}`;
    throw new BridgeError(
      "platform_unsupported",
      `this Hugging Face plugin has no binaries for ${PLATFORM} (it has: ${offered.join(", ") || "none"}); ${install}`,
    );
  }
  return path.join(dir, BRIDGE);
}

/** The one resident bridge of the folder at `root` in this process. */
export function residentBridge(root, logger, manifest) {
  const bridges = (globalThis[REGISTRY] ??= new Map());
  let bridge = bridges.get(root);
  if (!bridge) {
    bridge = new ResidentBridge(root, manifest ?? readManifest(root), logger);
    bridges.set(root, bridge);
  }
  if (logger) bridge.logger = logger;
  return bridge;
}

/** RFC 7396 merge patch, on a copy. */
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const merged = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = mergePatch(merged[key], value);
  }
  return merged;
}

/** The provider's settings in the OpenClaw configuration, as the bridge takes them. */
function settingsOf(provider, config, defaultBaseUrl) {
  const block = config?.models?.providers?.[provider] ?? {};
  const pluginConfig = config?.plugins?.entries?.[provider]?.config ?? {};
  const { apiKey: _key, models: _models, ...rest } = block;
  const nonEmpty = (value) => (typeof value === "string" && value.trim() ? value.trim() : undefined);
  const idleExitMs = pluginConfig?.bridge?.idleExitMs;
  return {
    // The plugin's own `baseUrl` setting first: OpenClaw turns its discovery off for a provider
    // whose models.providers base URL points elsewhere, and onboarding writes the default there.
    baseUrl: nonEmpty(pluginConfig.baseUrl) ?? nonEmpty(block.baseUrl) ?? defaultBaseUrl,
    pluginConfig,
    // What the Rust plugin reads: the provider block's options (billTo, …) and its own config.
    providerConfig: { ...rest, plugin: pluginConfig },
    idleExitMs: Number.isInteger(idleExitMs) && idleExitMs >= 0 ? idleExitMs : undefined,
  };
}

/** The settings part of a request. */
const wireSettings = (settings) => ({ baseUrl: settings.baseUrl, providerConfig: settings.providerConfig });

function emptyUsage() {
  return {
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    totalTokens: 0,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
  };
}

function textOf(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (part?.type === "text" ? part.text : part?.type === "image" ? "[image]" : ""))
    .filter(Boolean)
    .join("\n");
}

/** OpenClaw's conversation as an OpenAI-style chat request (the plugin's request document). */
export function chatRequest(provider, model, context, options) {
  const messages = [];
  if (context.systemPrompt) messages.push({ role: "system", content: context.systemPrompt });
  for (const message of context.messages ?? []) {
    if (message.role === "user") {
      if (typeof message.content === "string") {
        messages.push({ role: "user", content: message.content });
      } else {
        const parts = (message.content ?? []).map((part) =>
          part.type === "image"
            ? { type: "image_url", image_url: { url: `data:${part.mimeType};base64,${part.data}` } }
            : { type: "text", text: part.text ?? "" },
        );
        const textOnly = parts.every((part) => part.type === "text");
        messages.push({ role: "user", content: textOnly ? parts.map((part) => part.text).join("\n") : parts });
      }
    } else if (message.role === "assistant") {
      const blocks = Array.isArray(message.content) ? message.content : [];
      const text = blocks.filter((b) => b.type === "text").map((b) => b.text).join("");
      const calls = blocks
        .filter((b) => b.type === "toolCall")
        .map((b) => ({ id: b.id, type: "function", function: { name: b.name, arguments: JSON.stringify(b.arguments ?? {}) } }));
      if (!text && calls.length === 0) continue;
      messages.push({ role: "assistant", content: text || null, ...(calls.length ? { tool_calls: calls } : {}) });
    } else if (message.role === "toolResult") {
      messages.push({ role: "tool", tool_call_id: message.toolCallId, content: textOf(message.content) });
    }
  }
  const request = { model: `${provider}/${model.id}`, messages };
  const maxTokens = options?.maxTokens ?? model.maxTokens;
  if (maxTokens) request.max_tokens = maxTokens;
  if (typeof options?.temperature === "number") request.temperature = options.temperature;
  if (Array.isArray(options?.stop) && options.stop.length) request.stop = options.stop;
  if (context.tools?.length) {
    request.tools = context.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description ?? "", parameters: tool.parameters ?? { type: "object" } },
    }));
  }
  return request;
}

function parseArguments(text) {
  try {
    const value = JSON.parse(text || "{}");
    return value !== null && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

/** Turns the bridge's chat lines into OpenClaw's assistant-message events. */
class ChatEvents {
  constructor(stream, message, model, logger) {
    this.stream = stream;
    this.message = message;
    this.model = model;
    this.logger = logger;
    this.open = undefined; // the index of the open text or thinking block
    this.calls = new Map(); // tool-call index -> content index
    this.finished = false;
  }

  closeOpenBlock() {
    if (this.open === undefined) return;
    const index = this.open;
    const block = this.message.content[index];
    this.open = undefined;
    if (block.type === "text") {
      this.stream.push({ type: "text_end", contentIndex: index, content: block.text, partial: this.message });
    } else {
      this.stream.push({ type: "thinking_end", contentIndex: index, content: block.thinking, partial: this.message });
    }
  }

  append(kind, delta) {
    const current = this.open === undefined ? undefined : this.message.content[this.open];
    if (current?.type !== kind) {
      this.closeOpenBlock();
      this.message.content.push(kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "" });
      this.open = this.message.content.length - 1;
      this.stream.push({ type: `${kind}_start`, contentIndex: this.open, partial: this.message });
    }
    const block = this.message.content[this.open];
    if (kind === "text") block.text += delta;
    else block.thinking += delta;
    this.stream.push({ type: `${kind}_delta`, contentIndex: this.open, delta, partial: this.message });
  }

  toolCall(line) {
    let index = this.calls.get(line.index);
    if (index === undefined) {
      this.closeOpenBlock();
      this.message.content.push({ type: "toolCall", id: line.id ?? `call_${line.index}`, name: line.name ?? "", arguments: {} });
      index = this.message.content.length - 1;
      this.calls.set(line.index, index);
      this.message.content[index].partialJson = "";
      this.stream.push({ type: "toolcall_start", contentIndex: index, partial: this.message });
    }
    const block = this.message.content[index];
    if (line.id) block.id = line.id;
    if (line.name) block.name = line.name;
    if (line.arguments) {
      block.partialJson += line.arguments;
      this.stream.push({ type: "toolcall_delta", contentIndex: index, delta: line.arguments, partial: this.message });
    }
  }

  /** An intermediate line of the chat. */
  line(line) {
    if (this.finished) return;
    switch (line.type) {
      case "text":
        this.append("text", line.delta ?? "");
        break;
      case "reasoning":
        this.append("thinking", line.delta ?? "");
        break;
      case "tool_call":
        this.toolCall(line);
        break;
      case "notice":
        this.logger?.warn?.(`huggingface: ${line.message}`);
        break;
      default:
        break; // serving_provider and kinds added later: nothing to show
    }
  }

  done(line) {
    if (this.finished) return;
    this.closeOpenBlock();
    // The plugin's assembled calls are authoritative for names and arguments.
    for (const assembled of line.tool_calls ?? []) {
      const index = [...this.calls.values()].find((i) => this.message.content[i].id === assembled.id);
      if (index !== undefined) {
        const block = this.message.content[index];
        block.name = assembled.function?.name ?? block.name;
        block.partialJson = assembled.function?.arguments ?? block.partialJson;
      }
    }
    for (const index of this.calls.values()) {
      const block = this.message.content[index];
      block.arguments = parseArguments(block.partialJson);
      delete block.partialJson;
      this.stream.push({ type: "toolcall_end", contentIndex: index, toolCall: block, partial: this.message });
    }
    const usage = line.usage;
    if (usage) {
      const cost = this.model.cost ?? {};
      const u = this.message.usage;
      u.input = usage.prompt_tokens ?? 0;
      u.output = usage.completion_tokens ?? 0;
      u.cacheRead = usage.cached_tokens ?? 0;
      u.totalTokens = usage.total_tokens ?? u.input + u.output;
      u.cost.input = (u.input * (cost.input ?? 0)) / 1e6;
      u.cost.output = (u.output * (cost.output ?? 0)) / 1e6;
      u.cost.cacheRead = (u.cacheRead * (cost.cacheRead ?? 0)) / 1e6;
      u.cost.total = u.cost.input + u.cost.output + u.cost.cacheRead;
    }
    if (line.model) this.message.responseModel = line.model;
    this.message.stopReason =
      this.calls.size > 0 || line.finish_reason === "tool_calls" ? "toolUse" : line.finish_reason === "length" ? "length" : "stop";
    this.finished = true;
    this.stream.push({ type: "done", reason: this.message.stopReason, message: this.message });
    this.stream.end(this.message);
  }

  fail(error, aborted = false) {
    if (this.finished) return;
    this.finished = true;
    this.closeOpenBlock();
    for (const index of this.calls.values()) delete this.message.content[index].partialJson;
    this.message.stopReason = aborted ? "aborted" : "error";
    // OpenClaw ends the sentence itself.
    const text = String(error?.message ?? error).replace(/\.+$/, "");
    this.message.errorMessage = aborted ? "the request was aborted" : `Hugging Face: ${text}`;
    if (error?.code) this.message.errorCode = error.code;
    this.stream.push({ type: "error", reason: this.message.stopReason, error: this.message });
    this.stream.end();
  }
}

/** OpenClaw's stream function, served by the resident bridge. Failures end the stream. */
export function createChatStream(bridge, provider, settings, logger) {
  return async (model, context, options) => {
    const { createAssistantMessageEventStream } = await loadLlmSdk();
    const stream = createAssistantMessageEventStream();
    const message = {
      role: "assistant",
      content: [],
      api: model.api,
      provider: model.provider,
      model: model.id,
      usage: emptyUsage(),
      stopReason: "stop",
      timestamp: Date.now(),
    };
    stream.push({ type: "start", partial: message });
    const events = new ChatEvents(stream, message, model, logger);
    const signal = options?.signal;
    let request;
    try {
      request = chatRequest(provider, model, context, options);
    } catch (error) {
      events.fail(new BridgeError("invalid_request", `cannot build the request: ${error?.message ?? error}`));
      return stream;
    }
    const fields = { settings: wireSettings(settings), request };
    if (options?.apiKey) fields.credential = options.apiKey;
    bridge.request("chat", fields, { signal, onLine: (line) => events.line(line) }).then(
      (done) => events.done(done),
      (error) => events.fail(error, signal?.aborted === true),
    );
    return stream;
  };
}

function readManifest(root) {
  return JSON.parse(readFileSync(path.join(root, "openclaw.plugin.json"), "utf8"));
}

/** Model rows by id: the built-in ones, then what catalogs and resolves brought. */
function rowsOf(bridge, manifest, provider) {
  if (!bridge.rows) {
    bridge.rows = new Map();
    for (const row of manifest.modelCatalog?.providers?.[provider]?.models ?? []) bridge.rows.set(row.id, row);
    bridge.resolving = new Set();
  }
  return bridge.rows;
}

/** A row for any router id, from what is known now: the id's own, its base model's, defaults. */
function rowFor(rows, id) {
  const own = rows.get(id);
  if (own) return own;
  const colon = id.lastIndexOf(":");
  const base = colon > 0 ? rows.get(id.slice(0, colon)) : undefined;
  if (base) return { ...base, id, name: `${base.name} (${id.slice(colon + 1)})` };
  return { id, name: id, reasoning: false, input: ["text"], contextWindow: 131072, maxTokens: 8192 };
}

export default {
  id: "huggingface",
  name: "Hugging Face",
  description: "Hugging Face Inference Providers, served by the native openclaw-huggingface plugin",
  register(api) {
    const root = api.rootDir;
    const logger = api.logger;
    const manifest = readManifest(root);
    const provider = manifest.id;
    const bridge = residentBridge(root, logger, manifest);
    const catalogBlock = manifest.modelCatalog?.providers?.[provider] ?? {};
    const defaultBaseUrl = catalogBlock.baseUrl ?? DEFAULT_BASE_URL;
    const choice = (manifest.providerAuthChoices ?? []).find((c) => c.provider === provider) ?? {};
    const envVars = manifest.setup?.providers?.find((p) => p.id === provider)?.envVars ?? [];
    const rows = rowsOf(bridge, manifest, provider);
    const settingsFor = (config) => {
      const settings = settingsOf(provider, config, defaultBaseUrl);
      if (settings.idleExitMs !== undefined) bridge.idleExitMs = settings.idleExitMs;
      return settings;
    };
    /** Asks the plugin what an id it has not seen means (once per id), for the row cache. */
    const learn = async (id) => {
      if (rows.has(id) || bridge.resolving.has(id)) return;
      bridge.resolving.add(id);
      try {
        const answer = await bridge.request("resolve", { ref: `${provider}/${id}` });
        for (const warning of answer.warnings ?? []) logger?.debug?.(`huggingface: ${warning}`);
        if (answer.model) rows.set(id, { ...answer.model, id });
      } catch (error) {
        logger?.debug?.(`huggingface: cannot resolve ${id}: ${error.message}`);
      } finally {
        bridge.resolving.delete(id);
      }
    };

    // OpenClaw's API-key auth method, with the SDK loaded only when onboarding runs it. What
    // onboarding writes (alias, base URL, plugin entry) comes from the plugin, asked through the
    // bridge before OpenClaw's synchronous `applyConfig` needs it.
    const options = {
      providerId: provider,
      methodId: choice.method ?? "api-key",
      label: choice.choiceLabel ?? manifest.name ?? provider,
      hint: choice.choiceHint,
      optionKey: choice.optionKey,
      flagName: choice.cliFlag,
      envVar: envVars[0],
      promptMessage: `Enter ${choice.choiceLabel ?? "the API key"}`,
      defaultModel: manifest.native?.defaultModel,
      expectedProviders: [provider],
      wizard: {
        choiceId: choice.choiceId,
        choiceLabel: choice.choiceLabel,
        choiceHint: choice.choiceHint,
        groupId: choice.groupId,
        groupLabel: choice.groupLabel,
        groupHint: choice.groupHint,
        methodId: choice.method,
      },
    };
    const withPatch = async (ctx) => {
      const answer = await bridge.request("onboarding", { config: ctx.config ?? {} });
      const { createProviderApiKeyAuthMethod } = await loadAuthSdk();
      return createProviderApiKeyAuthMethod({ ...options, applyConfig: (config) => mergePatch(config ?? {}, answer.configPatch ?? {}) });
    };

    api.registerProvider({
      id: provider,
      label: manifest.name ?? provider,
      docsPath: `/providers/${provider}`,
      envVars,
      auth: [
        {
          id: options.methodId,
          label: options.label,
          hint: options.hint,
          kind: "api_key",
          starterModel: options.defaultModel,
          wizard: options.wizard,
          run: async (ctx) => (await withPatch(ctx)).run(ctx),
          validateNonInteractive: async (ctx) => (await loadAuthSdk()).createProviderApiKeyAuthMethod(options).validateNonInteractive(ctx),
          runNonInteractive: async (ctx) => (await withPatch(ctx)).runNonInteractive(ctx),
        },
      ],
      catalog: {
        order: "simple",
        run: async (ctx) => {
          if (ctx.providerIds && !ctx.providerIds.includes(provider)) return null;
          const settings = settingsFor(ctx.config);
          if (settings.pluginConfig?.discovery?.enabled === false) return null;
          const auth = ctx.resolveProviderApiKey?.(provider) ?? {};
          if (!auth.apiKey) return null;
          const identity = { provider, ...(auth.profileId ? { profileId: auth.profileId } : {}) };
          const discovery = settings.pluginConfig?.discovery ?? {};
          const fields = { credential: auth.discoveryApiKey ?? auth.apiKey, settings: wireSettings(settings), mode: "strict" };
          if (Number.isInteger(discovery.timeoutMs)) fields.timeoutMs = discovery.timeoutMs;
          if (Number.isInteger(discovery.maxBodyBytes)) fields.maxBodyBytes = discovery.maxBodyBytes;
          try {
            const answer = await bridge.request("catalog", fields, { signal: ctx.signal });
            for (const row of answer.provider?.models ?? []) rows.set(row.id, row);
            return {
              provider: { ...answer.provider, apiKey: auth.apiKey },
              outcomes: [{ ...identity, status: "ready" }],
            };
          } catch (error) {
            logger?.warn?.(`huggingface: model discovery failed: ${error.message}`);
            const rejected = error.code === "unauthorized" || error.code === "forbidden";
            return {
              providers: {},
              outcomes: [rejected ? { ...identity, status: "auth-rejected", rejectionScope: "catalog" } : { ...identity, status: "unavailable" }],
            };
          }
        },
      },
      // OpenClaw awaits this right before `resolveDynamicModel`: the moment to start the bridge,
      // warm a connection for the call that follows, and ask the plugin about an id it has not
      // seen, so the synchronous hook finds the answer.
      prepareDynamicModel: async (ctx) => {
        const settings = settingsFor(ctx.config ?? { models: { providers: { [provider]: ctx.providerConfig ?? {} } } });
        bridge.prepare(wireSettings(settings));
        await learn(ctx.modelId);
        return undefined;
      },
      // Synchronous in OpenClaw, so it never waits for the bridge: it answers from what is known
      // (the built-in rows shipped in the manifest, refreshed catalogs, resolves done before),
      // and asks the plugin in the background when called without `prepareDynamicModel`.
      resolveDynamicModel: (ctx) => {
        const id = ctx.modelId;
        const settings = settingsFor(ctx.config ?? { models: { providers: { [provider]: ctx.providerConfig ?? {} } } });
        bridge.prepare(wireSettings(settings));
        void learn(id);
        const row = rowFor(rows, id);
        return {
          id,
          name: row.name ?? id,
          api: "openai-completions",
          provider,
          baseUrl: settings.baseUrl,
          reasoning: row.reasoning ?? false,
          input: row.input ?? ["text"],
          cost: row.cost ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
          contextWindow: row.contextWindow ?? 131072,
          maxTokens: row.maxTokens ?? 8192,
        };
      },
      // Runs before each agent or infer run: warm a connection if the last one may be gone.
      // Returning nothing keeps OpenClaw's key as it is.
      prepareRuntimeAuth: async (ctx) => {
        bridge.prepare(wireSettings(settingsFor(ctx.config)));
        return undefined;
      },
      createStreamFn: (ctx) => createChatStream(bridge, provider, settingsFor(ctx.config), logger),
    });
  },
};
