// Chat between OpenClaw and the bridge: OpenClaw's conversation becomes the plugin's chat request
// (OpenAI's chat-completion shape, which the bridge passes through to the plugin verbatim), and
// the bridge's chat lines (docs/bridge-protocol.md: `text`, `reasoning`, `toolCall`,
// `servingProvider`, `notice`, then `done` or `error`) become OpenClaw's assistant-message
// events. A stream function never throws: every failure ends the stream as an error message.

import { BridgeError } from "./bridge-client.js";
import { thinkingLevels } from "./thinking.js";

/**
 * The host's backstop for one chat. The plugin enforces its own deadlines (`chat.timeoutMs`,
 * ten minutes unless configured) and says why when they pass; this one only ends a chat whose
 * bridge went quiet for good, so it is well beyond any deadline a user would configure.
 */
export const CHAT_TIMEOUT_MS = 60 * 60 * 1000;

// OpenClaw's plugin SDK, imported when the first chat runs: loading this module then costs
// nothing beyond Node's own modules.
let llmSdk;
const loadLlmSdk = () => (llmSdk ??= import("openclaw/plugin-sdk/llm"));

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

function userMessage(message) {
  if (typeof message.content === "string") return { role: "user", content: message.content };
  const parts = (message.content ?? []).map((part) =>
    part.type === "image"
      ? { type: "image_url", image_url: { url: `data:${part.mimeType};base64,${part.data}` } }
      : { type: "text", text: part.text ?? "" },
  );
  const textOnly = parts.every((part) => part.type === "text");
  return { role: "user", content: textOnly ? parts.map((part) => part.text).join("\n") : parts };
}

/** An assistant turn as the request repeats it, or undefined when it said nothing. */
function assistantMessage(message) {
  const blocks = Array.isArray(message.content) ? message.content : [];
  const text = blocks.filter((b) => b.type === "text").map((b) => b.text).join("");
  const calls = blocks
    .filter((b) => b.type === "toolCall")
    .map((b) => ({ id: b.id, type: "function", function: { name: b.name, arguments: JSON.stringify(b.arguments ?? {}) } }));
  if (!text && calls.length === 0) return undefined;
  return { role: "assistant", content: text || null, ...(calls.length ? { tool_calls: calls } : {}) };
}

/** OpenClaw's conversation as an OpenAI-style chat request (the plugin's request document). */
export function chatRequest(provider, model, context, options) {
  const messages = [];
  if (context.systemPrompt) messages.push({ role: "system", content: context.systemPrompt });
  for (const message of context.messages ?? []) {
    if (message.role === "user") {
      messages.push(userMessage(message));
    } else if (message.role === "assistant") {
      const said = assistantMessage(message);
      if (said) messages.push(said);
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
  constructor(stream, message, model, { provider, label, logger }) {
    this.stream = stream;
    this.message = message;
    this.model = model;
    this.provider = provider;
    this.label = label;
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

  /** A new tool-call block under the bridge's call `index`; returns its content index. */
  startCall(index, id, name) {
    this.closeOpenBlock();
    this.message.content.push({ type: "toolCall", id: id ?? `call_${index}`, name: name ?? "", arguments: {}, partialJson: "" });
    const contentIndex = this.message.content.length - 1;
    this.calls.set(index, contentIndex);
    this.stream.push({ type: "toolcall_start", contentIndex, partial: this.message });
    return contentIndex;
  }

  toolCall(line) {
    const index = this.calls.get(line.index) ?? this.startCall(line.index, line.id, line.name);
    const block = this.message.content[index];
    if (line.id) block.id = line.id;
    if (line.name) block.name = line.name;
    if (line.arguments) {
      block.partialJson += line.arguments;
      this.stream.push({ type: "toolcall_delta", contentIndex: index, delta: line.arguments, partial: this.message });
    }
  }

  /** A progress line of the chat; types this entry does not know are skipped. */
  line(line) {
    if (this.finished) return;
    switch (line.type) {
      case "text":
        this.append("text", line.delta ?? "");
        break;
      case "reasoning":
        this.append("thinking", line.delta ?? "");
        break;
      case "toolCall":
        this.toolCall(line);
        break;
      case "notice":
        this.logger?.warn?.(`${this.provider}: ${line.message}`);
        break;
      default:
        break; // servingProvider, and what a newer bridge adds: nothing to show
    }
  }

  /** The chat's `done` result: the plugin's assembled calls, usage and finish reason. */
  done(result) {
    if (this.finished) return;
    this.closeOpenBlock();
    // The plugin's assembled calls are authoritative: matched to the streamed ones by id, else
    // in order (an upstream that sent no ids), and added when none was streamed.
    const streamed = [...this.calls.values()];
    (result.toolCalls ?? []).forEach((assembled, n) => {
      const index =
        streamed.find((i) => this.message.content[i].id === assembled.id) ??
        streamed[n] ??
        this.startCall(`done:${n}`, assembled.id, assembled.name);
      const block = this.message.content[index];
      block.id = assembled.id ?? block.id;
      block.name = assembled.name ?? block.name;
      block.partialJson = assembled.arguments ?? block.partialJson;
    });
    for (const index of this.calls.values()) {
      const block = this.message.content[index];
      block.arguments = parseArguments(block.partialJson);
      delete block.partialJson;
      this.stream.push({ type: "toolcall_end", contentIndex: index, toolCall: block, partial: this.message });
    }
    const usage = result.usage;
    if (usage) {
      const u = this.message.usage;
      // OpenClaw counts cached prompt tokens apart from the rest of the input.
      u.cacheRead = Math.min(usage.cachedTokens ?? 0, usage.promptTokens ?? 0);
      u.input = (usage.promptTokens ?? 0) - u.cacheRead;
      u.output = usage.completionTokens ?? 0;
      u.totalTokens = usage.totalTokens ?? u.input + u.cacheRead + u.output;
      if (result.cost) {
        // The plugin priced the turn at the serving upstream's prices (one input price,
        // cached tokens included): that is what the bill says.
        u.cost.input = result.cost.input ?? 0;
        u.cost.output = result.cost.output ?? 0;
        u.cost.cacheRead = 0;
      } else {
        const price = this.model.cost ?? {};
        u.cost.input = (u.input * (price.input ?? 0)) / 1e6;
        u.cost.output = (u.output * (price.output ?? 0)) / 1e6;
        u.cost.cacheRead = (u.cacheRead * (price.cacheRead ?? 0)) / 1e6;
      }
      u.cost.total = u.cost.input + u.cost.output + u.cost.cacheRead;
    }
    if (result.model) this.message.responseModel = result.model;
    // Kept with the message in OpenClaw's transcript: the next turn asks this upstream again.
    if (result.servingProvider) this.message.servingProvider = result.servingProvider;
    const reason = result.finishReason;
    this.message.stopReason = this.calls.size > 0 || reason === "tool_calls" ? "toolUse" : reason === "length" ? "length" : "stop";
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
    this.message.errorMessage = aborted ? "the request was aborted" : `${this.label}: ${text}`;
    if (error?.code) this.message.errorCode = error.code;
    this.stream.push({ type: "error", reason: this.message.stopReason, error: this.message });
    this.stream.end();
  }
}

/**
 * The upstream that served this conversation's last answer from `model`: our assistant messages
 * carry it (`servingProvider`), and OpenClaw keeps them in the transcript it hands back on the
 * next turn — in this process or another — so the conversation itself remembers. The next turn
 * names it as `session_upstream`, and the plugin asks it again so its prompt cache keeps hitting
 * (`chat.stickyUpstream`).
 */
function conversationUpstream(messages, provider, model) {
  for (let i = (messages?.length ?? 0) - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== "assistant" || message.provider !== provider || message.model !== model.id) continue;
    return typeof message.servingProvider === "string" && message.servingProvider ? message.servingProvider : undefined;
  }
  return undefined;
}

/**
 * OpenClaw's stream function, served by the resident bridge. `provider` is the provider id,
 * `label` its name in error messages, `settings` the request's `settings`.
 */
export function createChatStream(bridge, { provider, label, settings, logger }) {
  const thinking = thinkingLevels(bridge);
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
    const events = new ChatEvents(stream, message, model, { provider, label, logger });
    const signal = options?.signal;
    let request;
    try {
      request = chatRequest(provider, model, context, options);
    } catch (error) {
      events.fail(new BridgeError("invalid_request", `cannot build the request: ${error?.message ?? error}`));
      return stream;
    }
    const upstream = conversationUpstream(context?.messages, provider, model);
    if (upstream) request.session_upstream = upstream;
    const effort = thinking.effortFor(options?.reasoning);
    if (effort) request.reasoning_effort = effort;
    const fields = { settings, request };
    if (options?.apiKey) fields.credential = options.apiKey;
    const onLine = (line) => {
      if (line?.type === "notice") thinking.learn(model.id, line);
      events.line(line);
    };
    bridge.request("chat", fields, { signal, timeoutMs: CHAT_TIMEOUT_MS, onLine }).then(
      (result) => events.done(result),
      (error) => events.fail(error, signal?.aborted === true),
    );
    return stream;
  };
}
