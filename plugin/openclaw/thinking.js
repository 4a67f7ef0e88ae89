// Thinking levels (OpenClaw's `/think`, `--thinking`): which levels a model is offered
// (`resolveThinkingProfile`) and what a chosen level asks of the router (`reasoning_effort`).
// The router takes `low`, `medium`, `high`, `xhigh` and `max` for reasoning models (and not
// `minimal`, which the plugin sends as `low`); `off` asks for nothing, leaving the model's own
// default. A level a model refuses is learned once — the plugin then answers without it and says
// so in a notice (`details.dropped`) — and not offered for that model again while the process
// runs.

/** The efforts the router takes, in rank order. */
export const EFFORTS = ["low", "medium", "high", "xhigh", "max"];

/** Models whose refusals are remembered; past this many the least recent is forgotten. */
const MAX_MODELS = 256;

/** The levels of one bridge's process, shared by every evaluation of the entry. */
export function thinkingLevels(bridge) {
  bridge.refusedEfforts ??= new Map();
  const refused = bridge.refusedEfforts;
  return {
    /** OpenClaw's profile for a model: `reasoning` says whether it reasons at all. */
    profile(modelId, reasoning) {
      if (!reasoning) return { levels: [{ id: "off" }] };
      const gone = refused.get(modelId) ?? new Set();
      const levels = [{ id: "off", label: "model default", rank: 0 }];
      EFFORTS.forEach((id, rank) => {
        if (!gone.has(id)) levels.push({ id, rank: rank + 1 });
      });
      return { levels };
    },
    /** The `reasoning_effort` for OpenClaw's level, or undefined for none. */
    effortFor(level) {
      return level === "minimal" || EFFORTS.includes(level) ? level : undefined;
    },
    /** From a chat's notice line: learns the refusal of a level the plugin dropped. */
    learn(modelId, notice) {
      if (notice?.details?.dropped !== "reasoning_effort") return;
      const effort = String(notice.details.value ?? "");
      if (!effort) return;
      const gone = refused.get(modelId) ?? new Set();
      gone.add(effort === "minimal" ? "low" : effort);
      refused.delete(modelId);
      refused.set(modelId, gone);
      if (refused.size > MAX_MODELS) refused.delete(refused.keys().next().value);
    },
  };
}
