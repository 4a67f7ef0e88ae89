// A stand-in for `openclaw-provider-bridge serve`, for the JS entry's tests: it speaks the
// resident protocol and does what `spec.json` beside its wrapper says, so every way a bridge can
// behave — answer, stream, fail, hang, crash, flood, speak another protocol — is one spec away.
// It records its command line and environment (`starts.jsonl`) and every message it receives
// (`messages.jsonl`) next to the spec, and reads the spec's `ops` afresh for every message.
//
// spec.json: {
//   "hello": <line to print first, or "none" to print nothing>,   default: a protocol-1 hello
//   "exitAtStart": <code>,                                         exit before reading anything
//   "ops": { "<op>": <behaviour> }                                 default: {"type":"<op>"}
// }
// behaviour: an array of lines (the last one ends the request), or
//   {"lines": [...], "exit": <code>}   print the lines, then exit (a crash mid-request)
//   {"lines": [...], "hang": true}     print the lines, then wait; `cancel` ends it as cancelled
//   {"flood": true}                    print one endless line

import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";

const dir = path.dirname(process.argv[2]);
// Read afresh for each message, so a test can change what a running bridge does.
const readSpec = () => JSON.parse(readFileSync(path.join(dir, "spec.json"), "utf8"));
const spec = readSpec();
appendFileSync(path.join(dir, "starts.jsonl"), `${JSON.stringify({ pid: process.pid, args: process.argv.slice(3), env: process.env })}\n`);

const write = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

if (spec.exitAtStart !== undefined) {
  process.stderr.write("the plugin was refused\n");
  process.exit(spec.exitAtStart);
}
if (spec.hello !== "none") write(spec.hello ?? { type: "hello", protocol: 1, bridge: "0.0.0-fake", provider: "huggingface", pid: process.pid });

const hanging = new Set();
const input = readline.createInterface({ input: process.stdin });
input.on("line", (text) => {
  if (!text.trim()) return;
  const message = JSON.parse(text);
  appendFileSync(path.join(dir, "messages.jsonl"), `${text}\n`);
  if (message.op === "cancel") {
    if (hanging.delete(message.rid)) write({ rid: message.rid, type: "error", code: "cancelled", message: "the request was cancelled" });
    return;
  }
  const behaviour = readSpec().ops?.[message.op] ?? [{ type: message.op }];
  const lines = Array.isArray(behaviour) ? behaviour : behaviour.lines ?? [];
  for (const line of lines) write({ rid: message.rid, ...line });
  if (behaviour.exit !== undefined) {
    process.stderr.write("something broke inside the bridge\n");
    process.exit(behaviour.exit);
  }
  if (behaviour.hang) hanging.add(message.rid);
  if (behaviour.flood) {
    const piece = "x".repeat(1 << 20);
    const flood = () => {
      while (process.stdout.write(piece));
      process.stdout.once("drain", flood);
    };
    flood();
  }
});
// Like the real bridge: stdin closed means the host is done.
input.on("close", () => process.exit(0));
