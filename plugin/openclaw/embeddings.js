// OpenClaw's embedding provider (memory search, `openclaw infer embedding`), served by the plugin
// through the resident bridge's `embed` (docs/bridge-protocol.md). The plugin chooses the
// upstream and batches; this module turns OpenClaw's adapter calls into bridge requests and the
// bridge's failures into errors memory search's retry rules understand: an HTTP status where
// there was one (429 backs off, 5xx retries, others fail), `retryAfterMs`, a quota code for
// exhausted credits, and transport wording for network failures and timeouts.

import { BridgeError } from "./bridge-client.js";
import { credentialResolver } from "./credential.js";
import { bareModel } from "./media.js";

/** OpenClaw waits up to two minutes for a batch; the plugin's own deadline is shorter. */
export const EMBED_TIMEOUT_MS = 10 * 60 * 1000;

/** What a failure means to memory search. */
export function embeddingError(error) {
  const code = error?.code;
  const status =
    error?.httpStatus ??
    { rate_limited: 429, upstream: 502, unauthorized: 401, forbidden: 403, payment_required: 402 }[code];
  let message = String(error?.message ?? error);
  // Memory search recognises transport failures by their wording.
  if (code === "network" || code === "bridge_died" || code === "bridge_failed") message = `network error: ${message}`;
  if (code === "timeout" || code === "bridge_timeout") message = `request timed out: ${message}`;
  const failure = new Error(message);
  failure.name = "EmbeddingError";
  if (status !== undefined) failure.status = status;
  if (error?.retryAfterMs !== undefined) failure.retryAfterMs = error.retryAfterMs;
  // Exhausted credits: a quota, which no retry fixes.
  failure.code = code === "payment_required" ? "insufficient_quota" : code;
  failure.cause = error;
  return failure;
}

/**
 * The adapter for `api.registerEmbeddingProvider`. `settingsFor(ctx)` gives a request's settings
 * from a context with the configuration.
 */
export function embeddingAdapter({ bridge, provider, label, manifest, settingsFor, logger }) {
  const defaultModel = bareModel(provider, manifest.native?.defaultModels?.embeddings);
  const normalize = (model) => bareModel(provider, model) || defaultModel;

  const credentialFor = credentialResolver(provider);

  /** Asks the bridge to embed `texts` (an empty list plans: which model and upstream would). */
  const embedTexts = async (state, texts, signal) => {
    const request = { model: `${provider}/${state.model}`, input: texts };
    if (Number.isInteger(state.dimensions) && state.dimensions > 0) request.dimensions = state.dimensions;
    const fields = { settings: state.settings, request, ...(state.credential ? { credential: state.credential } : {}) };
    try {
      const result = await bridge.request("embed", fields, { signal, timeoutMs: EMBED_TIMEOUT_MS });
      for (const notice of result.notices ?? []) logger?.debug?.(`${provider}: ${notice}`);
      return result;
    } catch (error) {
      throw embeddingError(error);
    }
  };

  return {
    id: provider,
    defaultModel,
    transport: "remote",
    authProviderId: provider,
    normalizeModel: (options) => normalize(options.model),
    formatSetupError: (error) => `${label} embeddings: ${error?.message ?? error}`,
    async create(options) {
      const state = {
        model: normalize(options.model),
        dimensions: options.dimensions,
        settings: settingsFor({ config: options.config }),
        credential: await credentialFor(options),
      };
      // Where the vectors will come from, before any is made: the index identity names it, so
      // a change of model, upstream or router makes OpenClaw index again.
      const plan = await embedTexts(state, [], undefined);
      const identity = {
        provider,
        model: state.model,
        upstream: plan.servingProvider ?? null,
        upstreamModel: plan.model ?? null,
        baseUrl: plan.baseUrl ?? null,
        ...(state.dimensions ? { dimensions: state.dimensions } : {}),
      };
      const embedBatch = async (inputs, callOptions) => {
        if (inputs.length === 0) return [];
        const texts = inputs.map((input) => (typeof input === "string" ? input : String(input?.text ?? "")));
        const result = await embedTexts(state, texts, callOptions?.signal);
        if (!Array.isArray(result.vectors) || result.vectors.length !== texts.length) {
          throw embeddingError(new BridgeError("invalid_response", `${label} answered ${result.vectors?.length ?? 0} vectors for ${texts.length} texts`));
        }
        return result.vectors;
      };
      return {
        provider: {
          id: provider,
          model: state.model,
          ...(state.dimensions ? { dimensions: state.dimensions } : {}),
          embed: async (input, callOptions) => (await embedBatch([input], callOptions))[0],
          embedBatch,
        },
        runtime: { id: provider, cacheKeyData: identity },
      };
    },
  };
}
