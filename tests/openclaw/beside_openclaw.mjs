// Our JS entry as OpenClaw loads it, for the benchmarks that drive it outside OpenClaw: the entry
// (and the modules beside it) imports OpenClaw's plugin SDK by package name, so it is copied into
// a scratch folder whose
// node_modules/openclaw is the installed OpenClaw, and registered with the plugin folder as its
// root (where the bridge is found).

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Loads the entry of `pluginFolder` beside `openclawPackage` and registers it. Returns the
 * provider it registered, OpenClaw's plugin SDK module (`openclaw/plugin-sdk/llm`), and `remove`,
 * which deletes the scratch folder.
 */
export async function besideOpenClaw(openclawPackage, pluginFolder) {
  const scratch = mkdtempSync(path.join(tmpdir(), "openclaw-entry-bench-"));
  mkdirSync(path.join(scratch, "node_modules"), { recursive: true });
  symlinkSync(openclawPackage, path.join(scratch, "node_modules/openclaw"));
  writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ type: "module" }));
  for (const module of readdirSync(pluginFolder).filter((name) => name.endsWith(".js"))) {
    copyFileSync(path.join(pluginFolder, module), path.join(scratch, module));
  }
  const sdk = await import(pathToFileURL(path.join(scratch, "node_modules/openclaw/dist/plugin-sdk/llm.js")));
  const entry = await import(pathToFileURL(path.join(scratch, "index.js")));
  let provider;
  entry.default.register({ rootDir: pluginFolder, logger: console, registerProvider: (p) => (provider = p) });
  return { provider, sdk, remove: () => rmSync(scratch, { recursive: true, force: true }) };
}
