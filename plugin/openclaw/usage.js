// OpenClaw's usage hooks (`openclaw status --usage`, `/status`, the Usage page), served by the
// plugin through the resident bridge's `usage` (docs/bridge-protocol.md): the account's spend
// this month, mapped to OpenClaw's usage snapshot. A failure is a snapshot with an `error` line,
// never a thrown error: one provider's usage must not fail the whole status.

/** A forbidden usage read means the token may not read billing. */
const PERMISSION_MISSING = "token lacks billing read permission";

/** `$2.35`: rounded at the half cent from the nano-units the amounts came in (0.345 is $0.35). */
function money(amount, unit) {
  const cents = Math.floor((Math.round(Math.max(0, amount) * 1e9) + 5e6) / 1e7);
  const text = (cents / 100).toFixed(2);
  return unit === "USD" ? `$${text}` : `${text} ${unit}`;
}

/** OpenClaw's snapshot for the bridge's usage answer. */
export function usageSnapshot(answer, provider, displayName) {
  const unit = answer.currency ?? "USD";
  const finite = (value) => typeof value === "number" && Number.isFinite(value);
  const billing = [];
  if (finite(answer.billable)) {
    billing.push({ type: "spend", label: "Inference Providers (month to date, beyond included credits)", amount: answer.billable, unit, period: "monthly" });
  }
  if (finite(answer.limit) && answer.limit > 0 && finite(answer.used)) {
    billing.push({ type: "budget", label: "Spending limit", used: answer.used, limit: answer.limit, unit, period: "monthly" });
  }
  // The included credits as a window; no reset time, for the service gives none.
  const windows =
    finite(answer.included) && answer.included > 0 && finite(answer.used)
      ? [{ label: "Included credits", usedPercent: Math.min(100, (answer.used / answer.included) * 100) }]
      : [];
  const parts = [];
  if (finite(answer.used)) parts.push(`${money(answer.used, unit)} used`);
  if (finite(answer.included)) parts.push(`${money(answer.included, unit)} included`);
  if (Number.isInteger(answer.requests)) parts.push(`${answer.requests} requests`);
  return { provider, displayName, windows, billing, ...(parts.length ? { summary: parts.join(", ") } : {}) };
}

/** The one line a failed usage read shows. */
export function usageError(error) {
  if (error?.code === "forbidden") return PERMISSION_MISSING;
  if (error?.code === "unauthorized") return "token rejected";
  if (error?.code === "offline") return "offline";
  return "usage unavailable";
}

/**
 * The hooks for `api.registerProvider`: `resolveUsageAuth` finds the key as OpenClaw holds it
 * (auth profile, configuration, then the provider's environment variables) and
 * `fetchUsageSnapshot` asks the bridge.
 */
export function usageHooks({ bridge, provider, label, envVars, settingsFor, logger }) {
  return {
    resolveUsageAuth: async (ctx) => {
      const token = ctx.resolveApiKeyFromConfigAndStore?.({
        providerIds: [provider],
        envDirect: envVars.map((name) => ctx.env?.[name]),
      });
      return typeof token === "string" && token.trim() ? { token: token.trim() } : null;
    },
    fetchUsageSnapshot: async (ctx) => {
      try {
        const fields = { credential: ctx.token, settings: settingsFor(ctx) };
        const timeoutMs = Number.isInteger(ctx.timeoutMs) && ctx.timeoutMs > 0 ? ctx.timeoutMs : undefined;
        const answer = await bridge.request("usage", fields, { signal: ctx.signal, ...(timeoutMs ? { timeoutMs } : {}) });
        return usageSnapshot(answer, provider, label);
      } catch (error) {
        logger?.debug?.(`${provider}: usage: ${error.message}`);
        return { provider, displayName: label, windows: [], error: usageError(error) };
      }
    },
  };
}
