// The key OpenClaw holds for the provider, for the capabilities whose calls carry none (embeddings,
// images, speech): an explicit `remote.apiKey`, else OpenClaw's own resolution — auth profile,
// configuration, environment — with its auth runtime imported only when first needed.

let authRuntime;
const loadAuthRuntime = () => (authRuntime ??= import("openclaw/plugin-sdk/provider-auth-runtime"));

/** A function `({config, agentDir, store, remote}) => key | undefined` for `provider`. */
export function credentialResolver(provider) {
  return async (options) => {
    const explicit = options?.remote?.apiKey;
    if (typeof explicit === "string" && explicit.trim()) return explicit.trim();
    const { resolveApiKeyForProvider } = await loadAuthRuntime();
    const auth = await resolveApiKeyForProvider({
      provider,
      cfg: options?.config,
      ...(options?.agentDir ? { agentDir: options.agentDir } : {}),
      ...(options?.store ? { store: options.store } : {}),
    }).catch(() => undefined);
    return auth?.apiKey;
  };
}
