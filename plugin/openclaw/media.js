// OpenClaw's image generation, audio transcription and speech providers, served by the plugin
// through the resident bridge's `image`, `transcribe` and `speak` (docs/bridge-protocol.md).
// Payloads never travel inside a bridge line: each call gets a private directory of its own
// (mkdtemp, 0700) where the recording is written for the bridge, or where the bridge writes the
// images or audio it made; each file is read once, only from that directory, and the directory
// is removed when the call is over, whatever happens.

import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The most bytes of one payload either side accepts (the bridge's and the plugin's cap). */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
/** How long a call may take unless OpenClaw says: an image queue can be slow. */
const IMAGE_TIMEOUT_MS = 10 * 60 * 1000;
const AUDIO_TIMEOUT_MS = 5 * 60 * 1000;
/** Where transcription ranks among OpenClaw's audio providers when none is configured. */
const AUDIO_AUTO_PRIORITY = 60;

/** A model id without the provider's prefix (once or repeated). */
export function bareModel(provider, model) {
  let id = String(model ?? "").trim();
  while (id.startsWith(`${provider}/`)) id = id.slice(provider.length + 1);
  return id;
}

/** Runs `work(dir)` with a private directory of its own, removed afterwards. */
async function withPayloadDir(work) {
  const dir = await mkdtemp(join(tmpdir(), "openclaw-hf-"));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The bytes of a file the bridge wrote: only from `dir`, only as large as said and allowed. */
async function readPayload(dir, file) {
  const path = String(file?.path ?? "");
  if (dirname(path) !== dir) throw new Error(`the bridge named a payload outside its directory: ${path}`);
  const size = (await stat(path)).size;
  if (size > MAX_BLOB_BYTES || size !== file.bytes) throw new Error(`the payload at ${path} is ${size} bytes, not the ${file.bytes} announced`);
  return readFile(path);
}

/** OpenClaw's extension for a media type the plugin read from the bytes. */
function extensionOf(mediaType) {
  return (
    {
      "image/png": "png",
      "image/jpeg": "jpg",
      "image/webp": "webp",
      "image/gif": "gif",
      "audio/mpeg": "mp3",
      "audio/x-wav": "wav",
      "audio/wav": "wav",
      "audio/x-flac": "flac",
      "audio/flac": "flac",
      "audio/ogg": "ogg",
      "audio/opus": "opus",
      "video/webm": "webm",
      "audio/webm": "webm",
    }[mediaType] ?? "bin"
  );
}

/** A bridge failure as an Error OpenClaw shows: the plugin's message, its code and status kept. */
function mediaError(label, what, error) {
  const failure = new Error(`${label} ${what}: ${error?.message ?? error}`);
  failure.code = error?.code;
  if (error?.httpStatus !== undefined) failure.status = error.httpStatus;
  failure.cause = error;
  return failure;
}

/** `1024x768` → `[1024, 768]`. */
function sizeOf(text) {
  const match = /^\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*$/.exec(String(text ?? ""));
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * The providers for `api.registerImageGenerationProvider`, `registerMediaUnderstandingProvider`
 * and `registerSpeechProvider`. `credentialFor({config, agentDir, store})` finds the key OpenClaw
 * holds; `settingsFor(ctx)` a request's settings; `envVars` the variables a key may be in.
 */
export function mediaProviders({ bridge, provider, label, manifest, envVars, settingsFor, credentialFor, logger }) {
  const defaults = manifest.native?.defaultModels ?? {};
  const note = (answer) => {
    for (const notice of answer.notices ?? []) logger?.debug?.(`${provider}: ${notice}`);
  };
  const call = async (op, fields, { timeoutMs, signal, what }) => {
    try {
      return await bridge.request(op, fields, { timeoutMs, signal });
    } catch (error) {
      throw mediaError(label, what, error);
    }
  };

  const imageDefault = bareModel(provider, defaults["image-generation"]);
  const images = {
    id: provider,
    label,
    defaultModel: imageDefault,
    models: imageDefault ? [imageDefault] : [],
    // OpenClaw reads `edit` on every request: say it is off rather than leave it out.
    capabilities: {
      generate: { maxCount: 4, supportsSize: true, supportsAspectRatio: true, supportsResolution: false },
      edit: { enabled: false },
      output: { formats: ["png", "jpeg", "webp"] },
    },
    async generateImage(req) {
      const credential = await credentialFor({ config: req.cfg, agentDir: req.agentDir, store: req.authStore });
      const request = { model: `${provider}/${bareModel(provider, req.model) || imageDefault}`, prompt: req.prompt };
      const size = sizeOf(req.size);
      if (size) [request.width, request.height] = size;
      if (req.aspectRatio) request.aspect_ratio = req.aspectRatio;
      if (Number.isInteger(req.count)) request.count = req.count;
      if (req.outputFormat) request.output_format = req.outputFormat;
      const options = req.providerOptions ?? {};
      if (typeof options.negativePrompt === "string") request.negative_prompt = options.negativePrompt;
      if (Number.isInteger(options.seed)) request.seed = options.seed;
      return withPayloadDir(async (dir) => {
        const fields = { settings: settingsFor({ config: req.cfg }), request, blobDir: dir, ...(credential ? { credential } : {}) };
        const answer = await call("image", fields, { timeoutMs: req.timeoutMs ?? IMAGE_TIMEOUT_MS, signal: req.signal, what: "image generation" });
        note(answer);
        const generated = [];
        for (const [index, image] of (answer.images ?? []).entries()) {
          generated.push({
            buffer: await readPayload(dir, image),
            mimeType: image.mediaType,
            fileName: `image-${index + 1}.${extensionOf(image.mediaType)}`,
            ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
            metadata: { width: image.width, height: image.height },
          });
        }
        return { images: generated, model: answer.model, metadata: { servingProvider: answer.servingProvider, notices: answer.notices ?? [] } };
      });
    },
  };

  const audioDefault = bareModel(provider, defaults["speech-recognition"]);
  const transcription = {
    id: provider,
    capabilities: ["audio"],
    defaultModels: { audio: audioDefault },
    autoPriority: { audio: AUDIO_AUTO_PRIORITY },
    // The form with OpenClaw's context: it carries the configuration (base URL, settings), which
    // the plain `transcribeAudio` request does not. OpenClaw takes `{ok, value}` from it.
    async transcribeAudioWithContext(req) {
      return { ok: true, value: await transcribe(req) };
    },
  };
  /** Speech to text through the bridge, the recording handed over as a file. */
  async function transcribe(req) {
    const model = bareModel(provider, req.model) || audioDefault;
    const request = { model: `${provider}/${model}` };
    if (req.language) request.language = req.language;
    if (req.prompt) request.prompt = req.prompt;
    if (req.fileName) request.file_name = req.fileName;
    return withPayloadDir(async (dir) => {
      const path = join(dir, "recording");
      await writeFile(path, req.buffer, { mode: 0o600 });
      const credential = req.apiKey ?? (await credentialFor({ config: req.cfg, agentDir: req.agentDir }));
      const fields = {
        settings: settingsFor({ config: req.cfg }),
        request,
        audio: { path, mediaType: req.mime ?? "" },
        ...(credential ? { credential } : {}),
      };
      const answer = await call("transcribe", fields, { timeoutMs: Math.max(req.timeoutMs ?? 0, AUDIO_TIMEOUT_MS), signal: req.signal, what: "transcription" });
      note(answer);
      return { text: answer.text, model: answer.model ?? model };
    });
  }

  const speechDefault = bareModel(provider, defaults["speech-synthesis"]);
  const speech = {
    id: provider,
    label,
    defaultModel: speechDefault,
    models: speechDefault ? [speechDefault] : [],
    // Synchronous in OpenClaw: a key it passes, one in the configuration, or one in the
    // environment; an auth profile is found when the call is made.
    isConfigured: (ctx) =>
      Boolean(ctx?.providerConfig?.apiKey || ctx?.cfg?.models?.providers?.[provider]?.apiKey || (envVars ?? []).some((name) => process.env[name])),
    // `--model` and `--voice` reach synthesis only through the overrides this returns.
    resolveTalkOverrides: ({ params }) => ({
      ...(params?.modelId ? { model: bareModel(provider, params.modelId) } : {}),
      ...(params?.voiceId ? { voice: params.voiceId } : {}),
      source: provider,
    }),
    async synthesize(req) {
      const overrides = req.providerOverrides ?? {};
      const model = bareModel(provider, overrides.model ?? req.providerConfig?.model) || speechDefault;
      const request = { model: `${provider}/${model}`, text: req.text };
      const voice = overrides.voice ?? req.providerConfig?.voice ?? req.providerConfig?.speakerVoice;
      if (voice) request.voice = voice;
      if (req.providerConfig?.responseFormat) request.format = req.providerConfig.responseFormat;
      const key = req.providerConfig?.apiKey;
      const credential = typeof key === "string" && key.trim() ? key.trim() : await credentialFor({ config: req.cfg });
      return withPayloadDir(async (dir) => {
        const fields = { settings: settingsFor({ config: req.cfg }), request, blobDir: dir, ...(credential ? { credential } : {}) };
        const answer = await call("speak", fields, { timeoutMs: Math.max(req.timeoutMs ?? 0, AUDIO_TIMEOUT_MS), what: "speech synthesis" });
        note(answer);
        const extension = extensionOf(answer.audio?.mediaType);
        return {
          audioBuffer: await readPayload(dir, answer.audio),
          outputFormat: extension,
          fileExtension: `.${extension}`,
          voiceCompatible: extension === "ogg" || extension === "opus" || extension === "mp3",
        };
      });
    },
  };

  return { images, transcription, speech };
}
