// A stand-in for `openclaw-provider-bridge serve --protocol 2`, for the JS entry's tests: it
// speaks the resident protocol (docs/bridge-protocol.md) and does what `spec.json` beside its
// wrapper says, so every way a bridge can behave — answer, stream, fail, hang, crash, flood,
// stay silent, speak another protocol — is one spec away. It records its command line and
// environment (`starts.jsonl`) and every message it receives (`messages.jsonl`) next to the
// spec, and reads the spec's `ops` afresh for every message.
//
// spec.json: {
//   "hello": <line to print first, or "none" to print nothing>,   default: a protocol-2 hello
//   "exitAtStart": <code>,                                         exit before reading anything
//   "ops": { "<op>": <behaviour> }                                 default: a `done` with result {}
// }
// behaviour: an array of lines, each printed with the request's rid first, or
//   {"lines": [...], "exit": <code>}   print the lines, then exit (a crash mid-request)
//   {"lines": [...], "hang": true}     print the lines, then wait; `cancel` ends it as cancelled
//   {"flood": true}                    print one endless line that names no request
//   {"overLong": {"bytes": N, "char": "é"}}
//                                      print a `done` for the request whose line goes on for N
//                                      bytes of `char`, then carry on; lines for other requests
//                                      wait until it has ended, as lines on one stream must

import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";

const dir = path.dirname(process.argv[2]);
// Read afresh for each message, so a test can change what a running bridge does.
const readSpec = () => JSON.parse(readFileSync(path.join(dir, "spec.json"), "utf8"));
const spec = readSpec();
appendFileSync(path.join(dir, "starts.jsonl"), `${JSON.stringify({ pid: process.pid, args: process.argv.slice(3), env: process.env })}\n`);

let streaming = false;
const waiting = [];
const write = (line) => {
  const text = `${JSON.stringify(line)}\n`;
  if (streaming) waiting.push(text);
  else process.stdout.write(text);
};

/** Writes `head`, then pieces until `bytes` went out (forever when `bytes` is Infinity), then `tail`. */
function stream(head, piece, bytes, tail) {
  streaming = true;
  process.stdout.write(head);
  const size = Buffer.byteLength(piece);
  let written = 0;
  const more = () => {
    while (written < bytes) {
      written += size;
      if (!process.stdout.write(piece)) {
        process.stdout.once("drain", more);
        return;
      }
    }
    process.stdout.write(tail);
    streaming = false;
    for (const text of waiting.splice(0)) process.stdout.write(text);
  };
  more();
}

if (spec.exitAtStart !== undefined) {
  process.stderr.write("the plugin was refused\n");
  process.exit(spec.exitAtStart);
}
if (spec.hello !== "none") {
  write(spec.hello ?? { type: "hello", protocol: 2, bridge: "0.0.0-fake", provider: "huggingface", pluginVersion: "0.0.0", serves: ["chat"], pid: process.pid });
}

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
  const behaviour = readSpec().ops?.[message.op] ?? [{ type: "done", result: {} }];
  const lines = Array.isArray(behaviour) ? behaviour : behaviour.lines ?? [];
  for (const line of lines) write({ rid: message.rid, ...line });
  if (behaviour.exit !== undefined) {
    process.stderr.write("something broke inside the bridge\n");
    process.exit(behaviour.exit);
  }
  if (behaviour.hang) hanging.add(message.rid);
  if (behaviour.flood) stream("", "x".repeat(1 << 20), Infinity, "");
  if (behaviour.overLong) {
    const { bytes, char = "x" } = behaviour.overLong;
    const piece = char.repeat(Math.ceil((1 << 20) / Buffer.byteLength(char)));
    stream(`{"rid":${message.rid},"type":"done","result":{"pad":"`, piece, bytes, `"}}\n`);
  }
});
// Like the real bridge: stdin closed means the host is done.
input.on("close", () => process.exit(0));
