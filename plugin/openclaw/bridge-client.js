// The host's side of the provider bridge (docs/bridge-protocol.md, version 2): one resident
// `openclaw-provider-bridge serve` per plugin folder and process, and the requests multiplexed on
// it as JSON lines. This module knows no provider: every name it shows comes from the folder's
// manifest (`name`, `id`, `version`). It finds the bridge for this platform, starts it without
// the provider's credential variables, waits a bounded time for its hello, gives every request a
// deadline and a way to be cancelled, routes the bridge's lines to their requests, fails only its
// own request for an over-long answer, and stops restarting a bridge that keeps dying.
//
// OpenClaw evaluates the entry several times per command, each time from a temporary copy of the
// folder, so the bridge lives in a process-wide registry (`globalThis`) that every evaluation
// shares; and it holds Node's event loop only while requests are in flight, so OpenClaw exits
// when it is done.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { isMainThread } from "node:worker_threads";

import { LineSplitter } from "./bridge-lines.js";

const BRIDGE = "openclaw-provider-bridge";
/** The bridge protocol this entry speaks; a bridge speaking another is refused. */
export const PROTOCOL = 2;
/** The longest line a bridge may print, in bytes. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** The longest request a bridge accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** How long an idle bridge lives unless `plugins.entries.<id>.config.bridge.idleExitMs` says. */
export const DEFAULT_IDLE_EXIT_MS = 10 * 60 * 1000;
/** Node's timers fire at once for longer delays, so no setting may ask for more. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** A bridge that exits unexpectedly this often within the window is not restarted for a while. */
export const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60 * 1000;
/** A bridge loads its plugin before it greets; one that has not greeted by then never will. */
export const HELLO_TIMEOUT_MS = 15 * 1000;
/** A request's deadline unless its caller gives one: ample for everything but a chat or catalog. */
export const REQUEST_TIMEOUT_MS = 60 * 1000;
/** After this long without a call, the connection may be gone: warm a new one ahead of use. */
const PREPARE_AFTER_IDLE_MS = 30 * 1000;
const STDERR_TAIL_BYTES = 2048;
/** What a one-shot bridge reads its credential from; never inherited by a resident one. */
const CREDENTIAL_VARIABLE = "OPENCLAW_PROVIDER_API_KEY";
// Per protocol: an entry of another version, still loaded in a long-lived process, keeps its own.
const REGISTRY = Symbol.for(`openclaw-provider-bridge.resident-bridges.v${PROTOCOL}`);

/** An error the bridge reported, or one about running it. */
export class BridgeError extends Error {
  constructor(code, message, { httpStatus, retryAfterMs, details } = {}) {
    super(message);
    this.name = "BridgeError";
    this.code = code;
    this.httpStatus = httpStatus ?? undefined;
    this.retryAfterMs = retryAfterMs ?? undefined;
    this.details = details ?? undefined;
  }

  /** The error a bridge's `error` line reports. */
  static fromLine(line) {
    return new BridgeError(line.code ?? "internal", line.message ?? "the bridge failed the request", line);
  }
}

const REINSTALL = "reinstall the plugin: openclaw plugins install --force --accept-capabilities <archive or folder>";
const aborted = () => new BridgeError("aborted", "the request was aborted");
const seconds = (ms) => `${Math.round(ms / 100) / 10} s`;

/** The last lines a bridge wrote on stderr, on one line. */
function lastWords(stderr) {
  const text = stderr.trim();
  return text ? `; it said: ${text.split("\n").slice(-3).join(" | ")}` : "";
}

export function readManifest(root) {
  return JSON.parse(readFileSync(path.join(root, "openclaw.plugin.json"), "utf8"));
}

/** The variables the provider reads its credential from, which the bridge must not inherit. */
export function credentialVariables(manifest) {
  const named = (manifest?.setup?.providers ?? []).flatMap((provider) => provider?.envVars ?? []);
  return [...new Set([...named, CREDENTIAL_VARIABLE])];
}

/** This process's environment without the provider's credential variables. */
function bridgeEnvironment(manifest) {
  const env = { ...process.env };
  for (const name of credentialVariables(manifest)) delete env[name];
  return env;
}

/**
 * One resident bridge process and the requests in flight on it. Starts the process on the first
 * request and again after it exited; every line it prints about a request carries that
 * request's id.
 */
export class ResidentBridge {
  constructor(root, manifest, logger) {
    this.root = root;
    this.manifest = manifest;
    this.label = `the ${manifest.name ?? manifest.id} provider bridge`;
    this.executable = path.join(root, BRIDGE);
    this.logger = logger;
    this.idleExitMs = DEFAULT_IDLE_EXIT_MS;
    this.helloTimeoutMs = HELLO_TIMEOUT_MS;
    this.requestTimeoutMs = REQUEST_TIMEOUT_MS;
    this.child = undefined;
    this.pending = new Map();
    this.nextId = 1;
    this.crashes = [];
    this.idleTimer = undefined;
    this.lastUse = 0;
    this.lastPrepare = 0;
    this.starts = 0;
    this.warned = new Set();
  }

  /** The pid of the running bridge, if any (for diagnostics and tests). */
  get pid() {
    return this.child?.process.pid;
  }

  /**
   * Takes the `bridge` block of the plugin's configuration. An idle time Node's timers cannot
   * wait for, or that is no whole number of milliseconds, is ignored with one warning.
   */
  configure(pluginConfig) {
    const value = pluginConfig?.bridge?.idleExitMs;
    if (value === undefined || (Number.isInteger(value) && value >= 0 && value <= MAX_TIMER_MS)) {
      this.idleExitMs = value ?? DEFAULT_IDLE_EXIT_MS;
      return;
    }
    this.idleExitMs = DEFAULT_IDLE_EXIT_MS;
    const said = JSON.stringify(value) ?? String(value);
    if (this.warned.has(said)) return;
    this.warned.add(said);
    this.logger?.warn?.(
      `plugins.entries.${this.manifest.id}.config.bridge.idleExitMs: ${said} is not a whole number of milliseconds from 0 to ${MAX_TIMER_MS}; it is ignored and the default, ${DEFAULT_IDLE_EXIT_MS / 60000} min, applies`,
    );
  }

  /**
   * Sends one request. Resolves with the `result` of its `done` line, rejects with a BridgeError:
   * the bridge's `error`, or `aborted` / `bridge_timeout` when `signal` aborts or `timeoutMs`
   * passes first (the bridge is then told to cancel it). Every other line about the request
   * goes to `onLine`.
   */
  request(op, fields = {}, { signal, onLine, timeoutMs } = {}) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(aborted());
        return;
      }
      const rid = this.nextId++;
      const message = `${JSON.stringify({ rid, op, ...fields })}\n`;
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
      const entry = { op, resolve, reject, onLine, child, signal, onAbort: undefined, timer: undefined };
      const deadline = Math.min(Math.max(timeoutMs ?? this.requestTimeoutMs, 1), MAX_TIMER_MS);
      entry.timer = setTimeout(
        () => this.giveUp(rid, entry, new BridgeError("bridge_timeout", `${this.label} did not answer ${op} within ${seconds(deadline)}; it was cancelled`)),
        deadline,
      );
      // The bridge process holds the loop while requests are in flight; the deadline need not.
      entry.timer.unref?.();
      if (signal) {
        entry.onAbort = () => this.giveUp(rid, entry, aborted());
        signal.addEventListener("abort", entry.onAbort, { once: true });
      }
      this.pending.set(rid, entry);
      this.lastUse = Date.now();
      this.holdOpen();
      child.process.stdin.write(message);
    });
  }

  /** Ends a request once: removes it, then calls `outcome`. */
  settle(rid, entry, outcome) {
    if (this.pending.get(rid) !== entry) return;
    this.pending.delete(rid);
    clearTimeout(entry.timer);
    entry.signal?.removeEventListener("abort", entry.onAbort);
    this.lastUse = Date.now();
    if (this.pending.size === 0) this.letGo();
    outcome();
  }

  /** Fails a request the host stops waiting for, and tells its bridge to stop working on it. */
  giveUp(rid, entry, error) {
    if (this.pending.get(rid) !== entry) return;
    this.settle(rid, entry, () => entry.reject(error));
    if (this.child === entry.child && !entry.child.gone) entry.child.process.stdin.write(`${JSON.stringify({ rid, op: "cancel" })}\n`);
  }

  /** Warms a connection for these settings when the last one may be gone. Never fails. */
  prepare(settings) {
    const now = Date.now();
    const fresh = this.child === undefined;
    if (!fresh && (now - this.lastUse < PREPARE_AFTER_IDLE_MS || now - this.lastPrepare < PREPARE_AFTER_IDLE_MS)) return;
    this.lastPrepare = now;
    this.request("prepare", { settings }).catch((error) => this.logger?.debug?.(`${this.manifest.id}: warming a connection failed: ${error.message}`));
  }

  /** What a failure to start the bridge means for the user. */
  spawnFailure(error) {
    if (error?.code === "ENOENT") return new BridgeError("bridge_missing", `${this.label} is missing: ${this.executable} (${REINSTALL})`);
    if (error?.code === "EACCES") return new BridgeError("bridge_not_executable", `${this.label} is not executable: ${this.executable} (${REINSTALL})`);
    return new BridgeError("bridge_failed", `cannot run ${this.label} ${this.executable}: ${error?.message ?? error}`);
  }

  ensureStarted() {
    if (this.child) return this.child;
    const now = Date.now();
    this.crashes = this.crashes.filter((at) => now - at < CRASH_WINDOW_MS);
    if (this.crashes.length >= MAX_CRASHES) {
      const retryIn = Math.ceil((this.crashes[0] + CRASH_WINDOW_MS - now) / 1000);
      throw new BridgeError(
        "bridge_crashing",
        `${this.label} exited unexpectedly ${this.crashes.length} times in the last minute; it is not restarted for another ${retryIn} s${this.lastStderr ? lastWords(this.lastStderr) : ""}`,
      );
    }
    this.executable = bridgePath(this.root, this.manifest);
    let process;
    try {
      const args = ["--plugin-dir", this.root, "serve", "--protocol", String(PROTOCOL)];
      // No credential in its environment: each request brings its own, and one bridge may serve
      // several profiles.
      process = spawn(this.executable, args, { stdio: ["pipe", "pipe", "pipe"], env: bridgeEnvironment(this.manifest) });
    } catch (error) {
      throw this.spawnFailure(error);
    }
    const child = { process, hello: undefined, stderr: "", failure: undefined, closing: false, gone: false, helloTimer: undefined };
    child.lines = new LineSplitter(MAX_LINE_BYTES, (text) => this.line(child, text), (rid) => this.overLong(child, rid));
    this.child = child;
    this.starts += 1;
    this.lastPrepare = 0;
    child.helloTimer = setTimeout(() => {
      if (child.hello === undefined) {
        this.stop(child, new BridgeError("bridge_silent", `${this.label} (pid ${process.pid}) did not greet within ${seconds(this.helloTimeoutMs)}; it was stopped${lastWords(child.stderr)}`));
      }
    }, this.helloTimeoutMs);
    child.helloTimer.unref?.();
    process.on("error", (error) => this.exited(child, this.spawnFailure(error), false));
    process.stdin.on("error", () => {}); // a bridge that exits early closes its stdin; 'exit' says why
    process.stderr.setEncoding("utf8");
    process.stderr.on("data", (chunk) => {
      child.stderr = (child.stderr + chunk).slice(-STDERR_TAIL_BYTES);
      for (const line of chunk.split("\n")) if (line.trim()) this.logger?.debug?.(`${this.manifest.id} bridge: ${line.trim()}`);
    });
    process.stdout.on("data", (chunk) => {
      if (!child.gone && !child.failure) child.lines.push(chunk);
    });
    process.on("exit", (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const failure =
        child.failure ??
        new BridgeError("bridge_died", `${this.label} (${BRIDGE}, pid ${process.pid}) ${how} while answering; the next request starts a new one${lastWords(child.stderr)}`);
      this.exited(child, failure, !child.closing);
    });
    this.holdOpen();
    return child;
  }

  /** One line from the bridge: its hello first, then lines about requests. */
  line(child, text) {
    if (child.gone || child.failure || !text.trim()) return;
    let line;
    try {
      line = JSON.parse(text);
    } catch {
      this.logger?.debug?.(`${this.manifest.id} bridge printed a line that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (child.hello === undefined) {
      this.greeted(child, line);
      return;
    }
    if (line?.type === "rejected") {
      // About a message of ours the bridge would not take: a host bug, never a request's end.
      this.logger?.warn?.(`${this.manifest.id} bridge rejected a message${line.rid === undefined ? "" : ` (rid ${line.rid})`}: ${line.code}: ${line.message}`);
      return;
    }
    const entry = this.pending.get(line?.rid);
    if (!entry || entry.child !== child) return;
    if (line.type === "done") {
      this.settle(line.rid, entry, () => entry.resolve(line.result ?? {}));
    } else if (line.type === "error") {
      this.settle(line.rid, entry, () => entry.reject(BridgeError.fromLine(line)));
    } else {
      // Progress, including types a newer bridge adds: only `done` and `error` end a request.
      entry.onLine?.(line);
    }
  }

  /** A line over the cap: it fails the request it names; one naming none stops the bridge. */
  overLong(child, rid) {
    if (child.gone || child.failure) return;
    const cap = `${MAX_LINE_BYTES >> 20} MiB`;
    if (rid === undefined || child.hello === undefined) {
      this.stop(child, new BridgeError("output_too_large", `${this.label} printed a line over ${cap} that names no request; it was stopped`));
      return;
    }
    const entry = this.pending.get(rid);
    if (entry?.child === child) {
      this.giveUp(rid, entry, new BridgeError("answer_too_large", `the answer to ${entry.op} is over ${cap}, the most a bridge line may hold`));
    } else {
      this.logger?.debug?.(`${this.manifest.id} bridge printed a line over ${cap} about rid ${rid}, which is not in flight; skipped`);
    }
  }

  /** The bridge's first line: its protocol and plugin, or why it will not serve. */
  greeted(child, hello) {
    clearTimeout(child.helloTimer);
    if (hello?.type !== "hello") {
      const said = hello?.type === "error" ? `: ${hello.message}` : "";
      const failure = new BridgeError("bridge_protocol_mismatch", `${this.label} does not speak the resident protocol ${PROTOCOL} (an older release?${said}); ${REINSTALL}`);
      this.stop(child, failure);
      return;
    }
    child.hello = hello;
    if (hello.error) {
      this.stop(child, new BridgeError(hello.error.code ?? "bridge_failed", `${this.label} cannot serve: ${hello.error.message}`));
    } else if (hello.protocol !== PROTOCOL) {
      this.stop(child, new BridgeError("bridge_protocol_mismatch", `${this.label} speaks protocol ${hello.protocol}, this entry ${PROTOCOL}; ${REINSTALL}`));
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
    clearTimeout(child.helloTimer);
    if (this.child === child) this.child = undefined;
    this.lastStderr = child.stderr;
    if (unexpected && failure.code !== "bridge_missing" && failure.code !== "bridge_not_executable") this.crashes.push(Date.now());
    for (const [rid, entry] of [...this.pending]) {
      if (entry.child === child) this.settle(rid, entry, () => entry.reject(failure));
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
    // Release archives are named `openclaw-<id>-<version>-<platform>.tgz` (`cargo xtask dist --archive`).
    const install = manifest?.version
      ? `install the archive built for it: openclaw-${manifest.id}-${manifest.version}-${PLATFORM}.tgz`
      : `install the archive built for ${PLATFORM}`;
    throw new BridgeError(
      "platform_unsupported",
      `this ${manifest.name ?? manifest.id} plugin has no binaries for ${PLATFORM} (it has: ${offered.join(", ") || "none"}); ${install}`,
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
