// OpenClaw's half of the plugin folder: registers the provider with OpenClaw's plugin SDK — its
// API-key auth method and onboarding, catalog refresh, dynamic models, the hooks that warm a
// connection ahead of a run, and the stream function — and has the Rust plugin beside it do the
// work through one resident bridge (bridge-client.js; the protocol is docs/bridge-protocol.md).
// Chats are translated by chat.js, embeddings by embeddings.js, images and speech by media.js,
// the account's spend by usage.js.
//
// What the configuration says about the provider goes to the bridge as it is: the plugin reads
// its own settings, and the bridge shapes the base URL and the plugin's call from them. This
// module reads only its own `bridge.*` block and, for the catalog request, `discovery.*`.
// Facts about the provider (names, auth choice, built-in rows, defaults) come from the manifest.
// Nothing happens at import time: OpenClaw evaluates this module several times per command.

import { residentBridge, readManifest } from "./bridge-client.js";
import { createChatStream } from "./chat.js";
import { credentialResolver } from "./credential.js";
import { embeddingAdapter } from "./embeddings.js";
import { mediaProviders } from "./media.js";
import { thinkingLevels } from "./thinking.js";
import { usageHooks } from "./usage.js";

/**
 * The plugin's discovery deadline is `discovery.timeoutMs` (its own default when unset); the
 * host waits that long plus this margin, and at least CATALOG_TIMEOUT_MS, before giving up.
 */
const CATALOG_MARGIN_MS = 30 * 1000;
const CATALOG_TIMEOUT_MS = 2 * 60 * 1000;
/** A process sees few distinct settings; past this many, the least recently learned is forgotten. */
const MAX_REMEMBERED_SETTINGS = 16;

// OpenClaw's plugin SDK, imported when onboarding runs: loading this module then costs nothing
// beyond Node's own modules, whatever OpenClaw has or has not loaded already.
let authSdk;
const loadAuthSdk = () => (authSdk ??= import("openclaw/plugin-sdk/provider-auth"));

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

/**
 * The request's `settings`: the configuration's provider block and plugin config as they are,
 * but for the block's `apiKey`, which travels only as a request's `credential`. A hook without
 * the whole configuration may still have the provider block.
 */
function settingsOf(provider, ctx) {
  const block = ctx?.config ? ctx.config.models?.providers?.[provider] : ctx?.providerConfig;
  const plugin = ctx?.config?.plugins?.entries?.[provider]?.config;
  const withoutKey = block !== null && typeof block === "object" ? (({ apiKey: _key, ...rest }) => rest)(block) : block;
  return { ...(block !== undefined ? { provider: withoutKey } : {}), ...(plugin !== undefined ? { plugin } : {}) };
}

/**
 * What the entry remembers about models, shared by every evaluation through the bridge: rows by
 * id (the built-in ones, then what catalogs and resolves brought) and, by settings, the base URL
 * the plugin said calls with them go to.
 */
function modelCache(bridge, manifest, provider) {
  if (!bridge.models) {
    const rows = new Map();
    for (const row of manifest.modelCatalog?.providers?.[provider]?.models ?? []) rows.set(row.id, row);
    bridge.models = { rows, baseUrls: new Map(), resolving: new Set() };
  }
  return bridge.models;
}

/** Kept in the order learned, so the first key is the one to forget when full. */
function rememberBaseUrl(cache, key, baseUrl) {
  if (typeof baseUrl !== "string" || !baseUrl) return;
  cache.baseUrls.delete(key);
  cache.baseUrls.set(key, baseUrl);
  if (cache.baseUrls.size > MAX_REMEMBERED_SETTINGS) cache.baseUrls.delete(cache.baseUrls.keys().next().value);
}

/**
 * A row for any id, from what is known now: the id's own, its base model's, else the manifest's
 * defaults for an unknown model.
 */
function rowFor(rows, id, defaults) {
  const own = rows.get(id);
  if (own) return own;
  const colon = id.lastIndexOf(":");
  const base = colon > 0 ? rows.get(id.slice(0, colon)) : undefined;
  if (base) return { ...base, id, name: `${base.name} (${id.slice(colon + 1)})` };
  return { id, name: id, reasoning: false, input: ["text"], ...defaults };
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
    const label = manifest.name ?? provider;
    const bridge = residentBridge(root, logger, manifest);
    const defaultBaseUrl = manifest.modelCatalog?.providers?.[provider]?.baseUrl;
    // Last resort only, for a manifest from before `native.modelDefaults`: the values the plugin
    // itself gives an unknown model.
    const modelDefaults = { contextWindow: 131072, maxTokens: 8192, ...manifest.native?.modelDefaults };
    const choice = (manifest.providerAuthChoices ?? []).find((c) => c.provider === provider) ?? {};
    const envVars = manifest.setup?.providers?.find((p) => p.id === provider)?.envVars ?? [];
    const cache = modelCache(bridge, manifest, provider);
    const thinking = thinkingLevels(bridge);
    const { rows } = cache;
    const settingsFor = (ctx) => {
      if (ctx?.config) bridge.configure(ctx.config.plugins?.entries?.[provider]?.config);
      return settingsOf(provider, ctx);
    };
    /** Asks the plugin what an id means and where calls with these settings go, once each. */
    const learn = async (id, settings) => {
      const key = JSON.stringify(settings);
      const job = `${id}\n${key}`;
      if ((rows.has(id) && cache.baseUrls.has(key)) || cache.resolving.has(job)) return;
      cache.resolving.add(job);
      try {
        const answer = await bridge.request("resolve", { ref: `${provider}/${id}`, settings });
        for (const warning of answer.warnings ?? []) logger?.debug?.(`${provider}: ${warning}`);
        if (answer.model) rows.set(id, { ...answer.model, id });
        // Remembered even when the bridge names none, so the id is not asked about again.
        rememberBaseUrl(cache, key, answer.baseUrl ?? defaultBaseUrl);
      } catch (error) {
        logger?.debug?.(`${provider}: cannot resolve ${id}: ${error.message}`);
      } finally {
        cache.resolving.delete(job);
      }
    };

    // OpenClaw's API-key auth method, with the SDK loaded only when onboarding runs it. What
    // onboarding writes (alias, base URL, plugin entry) comes from the plugin, asked through the
    // bridge before OpenClaw's synchronous `applyConfig` needs it.
    const options = {
      providerId: provider,
      methodId: choice.method ?? "api-key",
      label: choice.choiceLabel ?? label,
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
      const answer = await bridge.request("onboarding", { config: ctx.config ?? {}, method: options.methodId });
      const { createProviderApiKeyAuthMethod } = await loadAuthSdk();
      return createProviderApiKeyAuthMethod({ ...options, applyConfig: (config) => mergePatch(config ?? {}, answer.configPatch ?? {}) });
    };

    api.registerProvider({
      id: provider,
      label,
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
          const settings = settingsFor(ctx);
          const discovery = settings.plugin?.discovery ?? {};
          if (discovery.enabled === false) return null;
          const auth = ctx.resolveProviderApiKey?.(provider) ?? {};
          if (!auth.apiKey) return null;
          const identity = { provider, ...(auth.profileId ? { profileId: auth.profileId } : {}) };
          const fields = { credential: auth.discoveryApiKey ?? auth.apiKey, settings, mode: "strict" };
          let timeoutMs = CATALOG_TIMEOUT_MS;
          if (Number.isInteger(discovery.timeoutMs)) {
            fields.timeoutMs = discovery.timeoutMs;
            timeoutMs = Math.max(timeoutMs, discovery.timeoutMs + CATALOG_MARGIN_MS);
          }
          if (Number.isInteger(discovery.maxBodyBytes)) fields.maxBodyBytes = discovery.maxBodyBytes;
          try {
            const answer = await bridge.request("catalog", fields, { signal: ctx.signal, timeoutMs });
            for (const row of answer.provider?.models ?? []) rows.set(row.id, row);
            rememberBaseUrl(cache, JSON.stringify(settings), answer.provider?.baseUrl);
            return {
              provider: { ...answer.provider, apiKey: auth.apiKey },
              outcomes: [{ ...identity, status: "ready" }],
            };
          } catch (error) {
            logger?.warn?.(`${provider}: model discovery failed: ${error.message}`);
            const rejected = error.code === "unauthorized" || error.code === "forbidden";
            return {
              providers: {},
              outcomes: [rejected ? { ...identity, status: "auth-rejected", rejectionScope: "catalog" } : { ...identity, status: "unavailable" }],
            };
          }
        },
      },
      // OpenClaw awaits this right before `resolveDynamicModel`: the moment to start the bridge,
      // warm a connection for the call that follows, and ask the plugin about an id (and
      // settings) it has not seen, so the synchronous hook finds the answer.
      prepareDynamicModel: async (ctx) => {
        const settings = settingsFor(ctx);
        bridge.prepare(settings);
        await learn(ctx.modelId, settings);
        return undefined;
      },
      // Synchronous in OpenClaw, so it never waits for the bridge: it answers from what is known
      // (the built-in rows shipped in the manifest, refreshed catalogs, resolves done before),
      // and asks the plugin in the background when called without `prepareDynamicModel`.
      resolveDynamicModel: (ctx) => {
        const id = ctx.modelId;
        const settings = settingsFor(ctx);
        bridge.prepare(settings);
        void learn(id, settings);
        const row = rowFor(rows, id, modelDefaults);
        return {
          id,
          name: row.name ?? id,
          api: "openai-completions",
          provider,
          baseUrl: cache.baseUrls.get(JSON.stringify(settings)) ?? defaultBaseUrl,
          reasoning: row.reasoning ?? false,
          input: row.input ?? ["text"],
          cost: row.cost ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
          contextWindow: row.contextWindow ?? modelDefaults.contextWindow,
          maxTokens: row.maxTokens ?? modelDefaults.maxTokens,
        };
      },
      // Runs before each agent or infer run: warm a connection if the last one may be gone.
      // Returning nothing keeps OpenClaw's key as it is.
      prepareRuntimeAuth: async (ctx) => {
        bridge.prepare(settingsFor(ctx));
        return undefined;
      },
      createStreamFn: (ctx) => createChatStream(bridge, { provider, label, settings: settingsFor(ctx), logger }),
      // The levels a model takes: none but off for a model that does not reason, else the
      // router's efforts less those the model refused in this process (thinking.js).
      resolveThinkingProfile: (ctx) => {
        const reasoning = ctx.reasoning ?? rowFor(rows, ctx.modelId, modelDefaults).reasoning ?? false;
        return thinking.profile(ctx.modelId, reasoning);
      },
      // The account's spend, where the plugin reports it (the manifest's usageProviders).
      ...(manifest.contracts?.usageProviders?.includes(provider) ? usageHooks({ bridge, provider, label, envVars, settingsFor, logger }) : {}),
    });
    // The capabilities beyond chat the plugin serves, where this OpenClaw takes them.
    const serves = new Set(manifest.native?.capabilities ?? []);
    if (serves.has("embeddings") && typeof api.registerEmbeddingProvider === "function") {
      api.registerEmbeddingProvider(embeddingAdapter({ bridge, provider, label, manifest, settingsFor, logger }));
    }
    const media = mediaProviders({ bridge, provider, label, manifest, envVars, settingsFor, credentialFor: credentialResolver(provider), logger });
    if (serves.has("image-generation") && typeof api.registerImageGenerationProvider === "function") {
      api.registerImageGenerationProvider(media.images);
    }
    if (serves.has("speech-recognition") && typeof api.registerMediaUnderstandingProvider === "function") {
      api.registerMediaUnderstandingProvider(media.transcription);
    }
    if (serves.has("speech-synthesis") && typeof api.registerSpeechProvider === "function") {
      api.registerSpeechProvider(media.speech);
    }
  },
};
