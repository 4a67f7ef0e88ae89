// OpenClaw's half of the plugin folder: registers provider `huggingface` with OpenClaw's plugin
// SDK and has the Rust plugin beside it do the work. OpenClaw (Node) cannot load the native
// library, so every operation spawns `openclaw-provider-bridge`, which loads it through the same
// loader as host-stub and answers in JSON on stdout: `catalog` for model discovery, `resolve`
// for any router model id, `chat` (JSON lines as events arrive) for inference, `onboarding` for
// the configuration onboarding writes. The key travels in the child's environment, never argv.
//
// OpenClaw imports this module several times per command, each time from a temporary copy of
// the folder: nothing happens at import time, and the bridge is found through `api.rootDir`
// (the installed folder), not `import.meta.url` (the copy). No dependencies, no build step.

import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const PROVIDER = "huggingface";
/** The plugin's default model (checked against the library's own by the tests). */
export const DEFAULT_MODEL = "huggingface/deepseek-ai/DeepSeek-R1";
const DEFAULT_BASE_URL = "https://router.huggingface.co/v1";
const BRIDGE = "openclaw-provider-bridge";
/** Where the bridge takes the key from. */
const CREDENTIAL_VARIABLE = "OPENCLAW_PROVIDER_API_KEY";
/** The most a bridge may print; past it the child is stopped (a runaway, not an answer). */
export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Deadline for the quick synchronous operations (resolve, onboarding). */
const SYNC_TIMEOUT_MS = 15_000;
const STDERR_TAIL_BYTES = 2048;

// OpenClaw's plugin SDK, imported when first needed (onboarding, chat): loading this module then
// costs nothing beyond Node's own modules, whatever OpenClaw has or has not loaded already.
let authSdk;
let llmSdk;
const loadAuthSdk = () => (authSdk ??= import("openclaw/plugin-sdk/provider-auth"));
const loadLlmSdk = () => (llmSdk ??= import("openclaw/plugin-sdk/llm"));

/**
 * OpenClaw's API-key auth method (`createProviderApiKeyAuthMethod`), with the SDK loaded only
 * when onboarding runs it. The static fields are what the SDK's method carries.
 */
function apiKeyAuthMethod(options) {
  let method;
  const real = async () => (method ??= (await loadAuthSdk()).createProviderApiKeyAuthMethod(options));
  return {
    id: options.methodId,
    label: options.label,
    hint: options.hint,
    kind: "api_key",
    starterModel: options.defaultModel,
    wizard: options.wizard,
    run: async (ctx) => (await real()).run(ctx),
    validateNonInteractive: async (ctx) => (await real()).validateNonInteractive(ctx),
    runNonInteractive: async (ctx) => (await real()).runNonInteractive(ctx),
  };
}

/** An error the bridge reported, or one about running it. */
class BridgeError extends Error {
  constructor(code, message, httpStatus) {
    super(message);
    this.name = "BridgeError";
    this.code = code;
    this.httpStatus = httpStatus ?? undefined;
  }
}

/** What a failure to start the bridge means for the user. */
function spawnFailure(bridge, error) {
  const reinstall = "reinstall the plugin: openclaw plugins install --force --accept-capabilities <folder>";
  if (error?.code === "ENOENT") {
    return new BridgeError("bridge_missing", `the Hugging Face provider bridge is missing: ${bridge} (${reinstall})`);
  }
  if (error?.code === "EACCES") {
    return new BridgeError("bridge_not_executable", `the Hugging Face provider bridge is not executable: ${bridge} (${reinstall})`);
  }
  return new BridgeError("bridge_failed", `cannot run the Hugging Face provider bridge ${bridge}: ${error?.message ?? error}`);
}

/** The last error line in the bridge's output, if any. */
function errorLine(lines) {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    if (lines[i]?.type === "error") return lines[i];
  }
  return undefined;
}

function parseLines(text) {
  const lines = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // A line cut short (the bridge was killed mid-write) is not an answer.
    }
  }
  return lines;
}

/** Why a bridge run that printed no error line failed. */
function exitFailure(bridge, status, signal, stderr) {
  const how = signal ? `was killed by ${signal}` : `exited with code ${status}`;
  const tail = stderr.trim() ? `: ${stderr.trim().split("\n").slice(-3).join(" | ")}` : "";
  return new BridgeError("bridge_failed", `the Hugging Face provider bridge ${how} without an answer${tail}`);
}

/** The answer of a one-line operation, or the error it reported. */
function answerOf(bridge, stdout, status, signal, stderr) {
  const lines = parseLines(stdout);
  const failure = errorLine(lines);
  if (failure) return new BridgeError(failure.code, failure.message, failure.http_status);
  if (status !== 0 || lines.length === 0) return exitFailure(bridge, status, signal, stderr);
  return lines[lines.length - 1];
}

function childEnv(apiKey) {
  const env = { ...process.env };
  delete env[CREDENTIAL_VARIABLE];
  if (apiKey) env[CREDENTIAL_VARIABLE] = apiKey;
  return env;
}

/** Runs a one-line operation synchronously (for OpenClaw's synchronous hooks). */
function runBridgeSync(bridge, args, input) {
  const result = spawnSync(bridge, args, {
    input: input ?? "",
    env: childEnv(undefined),
    timeout: SYNC_TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT_BYTES,
    encoding: "utf8",
  });
  if (result.error) {
    if (result.error.code === "ETIMEDOUT") {
      throw new BridgeError("timeout", `the Hugging Face provider bridge did not answer within ${SYNC_TIMEOUT_MS} ms`);
    }
    if (result.error.code === "ENOBUFS") {
      throw new BridgeError("output_too_large", `the Hugging Face provider bridge printed more than ${MAX_OUTPUT_BYTES} bytes`);
    }
    throw spawnFailure(bridge, result.error);
  }
  const answer = answerOf(bridge, result.stdout ?? "", result.status, result.signal, result.stderr ?? "");
  if (answer instanceof Error) throw answer;
  return answer;
}

/**
 * Runs an operation, calling `onLine` for each JSON line as it arrives. Resolves with the exit
 * status; rejects when the bridge cannot start or prints too much. Aborting kills the child.
 */
function runBridge(bridge, args, { input, apiKey, signal, onLine }) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new BridgeError("aborted", "the request was aborted"));
      return;
    }
    let child;
    try {
      child = spawn(bridge, args, { env: childEnv(apiKey), stdio: ["pipe", "pipe", "pipe"] });
    } catch (error) {
      reject(spawnFailure(bridge, error));
      return;
    }
    let settled = false;
    let pending = "";
    let printed = 0;
    let stderr = "";
    let overflow = false;
    const onAbort = () => child.kill("SIGTERM");
    signal?.addEventListener("abort", onAbort, { once: true });
    const finish = (outcome, value) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      outcome(value);
    };
    child.on("error", (error) => finish(reject, spawnFailure(bridge, error)));
    child.stdin.on("error", () => {}); // a bridge that exits early closes its stdin; its answer says why
    child.stdin.end(input ?? "");
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      if (overflow) return;
      printed += Buffer.byteLength(chunk);
      if (printed > MAX_OUTPUT_BYTES) {
        overflow = true;
        child.kill("SIGKILL");
        finish(reject, new BridgeError("output_too_large", `the Hugging Face provider bridge printed more than ${MAX_OUTPUT_BYTES} bytes; it was stopped`));
        return;
      }
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim()) {
          let parsed;
          try {
            parsed = JSON.parse(line);
          } catch {
            parsed = undefined;
          }
          if (parsed !== undefined) onLine(parsed);
        }
        newline = pending.indexOf("\n");
      }
    });
    child.on("close", (status, killedBy) => finish(resolve, { status, signal: killedBy, stderr }));
  });
}

/** A one-line operation, asynchronously. */
async function runBridgeOnce(bridge, args, options) {
  const lines = [];
  const { status, signal, stderr } = await runBridge(bridge, args, { ...options, onLine: (line) => lines.push(line) });
  if (options.signal?.aborted) throw new BridgeError("aborted", "the request was aborted");
  const failure = errorLine(lines);
  if (failure) throw new BridgeError(failure.code, failure.message, failure.http_status);
  if (status !== 0 || lines.length === 0) throw exitFailure(bridge, status, signal, stderr);
  return lines[lines.length - 1];
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

/** The provider's settings in the OpenClaw configuration. */
function settingsOf(config) {
  const block = config?.models?.providers?.[PROVIDER] ?? {};
  const pluginConfig = config?.plugins?.entries?.[PROVIDER]?.config ?? {};
  const { apiKey: _key, models: _models, ...rest } = block;
  const nonEmpty = (value) => (typeof value === "string" && value.trim() ? value.trim() : undefined);
  return {
    // The plugin's own `baseUrl` setting first: OpenClaw turns its discovery off for a provider
    // whose models.providers base URL points elsewhere, and onboarding writes the default there.
    baseUrl: nonEmpty(pluginConfig.baseUrl) ?? nonEmpty(block.baseUrl) ?? DEFAULT_BASE_URL,
    pluginConfig,
    // What the Rust plugin reads: the provider block's options (billTo, …) and its own config.
    providerConfig: JSON.stringify({ ...rest, plugin: pluginConfig }),
  };
}

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
export function chatRequest(model, context, options) {
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
  const request = { model: `${PROVIDER}/${model.id}`, messages };
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
      case "done":
        this.done(line);
        break;
      case "error":
        this.fail(new BridgeError(line.code, line.message, line.http_status));
        break;
      default:
        break; // serving_provider and kinds added later: nothing to show
    }
  }

  done(line) {
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

/** OpenClaw's stream function, served by the bridge's `chat`. Failures end the stream. */
export function createChatStream(bridge, settings, logger) {
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
    let input;
    try {
      input = JSON.stringify(chatRequest(model, context, options));
    } catch (error) {
      events.fail(new BridgeError("invalid_request", `cannot build the request: ${error?.message ?? error}`));
      return stream;
    }
    const args = ["chat", "--base-url", settings.baseUrl, "--provider-config", settings.providerConfig];
    runBridge(bridge, args, { input, apiKey: options?.apiKey, signal, onLine: (line) => events.line(line) }).then(
      ({ status, signal: killedBy, stderr }) => {
        if (signal?.aborted) events.fail(undefined, true);
        else if (!events.finished) events.fail(exitFailure(bridge, status, killedBy, stderr));
      },
      (error) => events.fail(error, signal?.aborted === true),
    );
    return stream;
  };
}

function readManifest(root) {
  return JSON.parse(readFileSync(path.join(root, "openclaw.plugin.json"), "utf8"));
}

export default {
  id: PROVIDER,
  name: "Hugging Face",
  description: "Hugging Face Inference Providers, served by the native openclaw-huggingface plugin",
  register(api) {
    const root = api.rootDir;
    const bridge = path.join(root, BRIDGE);
    const logger = api.logger;
    const manifest = readManifest(root);
    const choice = (manifest.providerAuthChoices ?? []).find((c) => c.provider === PROVIDER) ?? {};
    const envVars = manifest.setup?.providers?.find((p) => p.id === PROVIDER)?.envVars ?? [];
    const resolved = new Map();

    api.registerProvider({
      id: PROVIDER,
      label: "Hugging Face",
      docsPath: "/providers/huggingface",
      envVars,
      auth: [
        apiKeyAuthMethod({
          providerId: PROVIDER,
          methodId: choice.method ?? "api-key",
          label: choice.choiceLabel ?? "Hugging Face API key",
          hint: choice.choiceHint,
          optionKey: choice.optionKey ?? "huggingfaceApiKey",
          flagName: choice.cliFlag ?? "--huggingface-api-key",
          envVar: envVars[0] ?? "HUGGINGFACE_HUB_TOKEN",
          promptMessage: "Enter Hugging Face API key",
          defaultModel: DEFAULT_MODEL,
          expectedProviders: [PROVIDER],
          wizard: {
            choiceId: choice.choiceId,
            choiceLabel: choice.choiceLabel,
            choiceHint: choice.choiceHint,
            groupId: choice.groupId,
            groupLabel: choice.groupLabel,
            groupHint: choice.groupHint,
            methodId: choice.method,
          },
          // What onboarding writes comes from the plugin (alias, base URL, plugin entry).
          applyConfig: (config) => {
            const answer = runBridgeSync(bridge, ["onboarding"], JSON.stringify(config ?? {}));
            return mergePatch(config ?? {}, answer.configPatch ?? {});
          },
        }),
      ],
      catalog: {
        order: "simple",
        run: async (ctx) => {
          if (ctx.providerIds && !ctx.providerIds.includes(PROVIDER)) return null;
          const settings = settingsOf(ctx.config);
          if (settings.pluginConfig?.discovery?.enabled === false) return null;
          const auth = ctx.resolveProviderApiKey?.(PROVIDER) ?? {};
          if (!auth.apiKey) return null;
          const identity = { provider: PROVIDER, ...(auth.profileId ? { profileId: auth.profileId } : {}) };
          const args = ["catalog", "--base-url", settings.baseUrl, "--provider-config", settings.providerConfig];
          const discovery = settings.pluginConfig?.discovery ?? {};
          if (Number.isInteger(discovery.timeoutMs)) args.push("--timeout-ms", String(discovery.timeoutMs));
          if (Number.isInteger(discovery.maxBodyBytes)) args.push("--max-body-bytes", String(discovery.maxBodyBytes));
          try {
            const answer = await runBridgeOnce(bridge, args, { apiKey: auth.discoveryApiKey ?? auth.apiKey, signal: ctx.signal });
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
      // OpenClaw keeps no refreshed catalog, so any router id must resolve: the plugin knows the
      // built-in models' facts, policy suffixes and sensible defaults for the rest.
      resolveDynamicModel: (ctx) => {
        const id = ctx.modelId;
        const baseUrl = settingsOf(ctx.config ?? { models: { providers: { [PROVIDER]: ctx.providerConfig ?? {} } } }).baseUrl;
        if (!resolved.has(id)) {
          let row;
          try {
            const answer = runBridgeSync(bridge, ["resolve", `${PROVIDER}/${id}`]);
            for (const warning of answer.warnings ?? []) logger?.debug?.(`huggingface: ${warning}`);
            row = answer.model;
          } catch (error) {
            logger?.warn?.(`huggingface: cannot resolve ${id}: ${error.message}`);
            row = { name: id, reasoning: false, input: ["text"], contextWindow: 131072, maxTokens: 8192 };
          }
          resolved.set(id, row);
        }
        const row = resolved.get(id);
        return {
          id,
          name: row.name ?? id,
          api: "openai-completions",
          provider: PROVIDER,
          baseUrl,
          reasoning: row.reasoning ?? false,
          input: row.input ?? ["text"],
          cost: row.cost ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
          contextWindow: row.contextWindow ?? 131072,
          maxTokens: row.maxTokens ?? 8192,
        };
      },
      createStreamFn: (ctx) => createChatStream(bridge, settingsOf(ctx.config), logger),
    });
  },
};
