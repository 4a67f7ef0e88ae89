// Cutting a bridge's stdout into lines, in bytes. The bridge's lines are UTF-8 and capped in bytes
// (docs/bridge-protocol.md), so the cap is measured on the bytes as they arrive, never on decoded
// text, whose UTF-16 length can be half of it. A line that outgrows the cap is not held: the
// first bytes say which request it belongs to (every line about a request starts `{"rid":N,`),
// the rest is dropped as it streams in, and only that request need fail.

const NEWLINE = 0x0a;
/** Enough bytes to read `{"rid":<up to 16 digits>,`. */
const RID_PREFIX_BYTES = 32;
const RID_PREFIX = /^\{"rid":(\d{1,16}),/;

/** The request id a line's first bytes name, or undefined when they name none. */
export function ridPrefix(head) {
  const match = RID_PREFIX.exec(head.toString("latin1"));
  const rid = match ? Number(match[1]) : undefined;
  return Number.isSafeInteger(rid) ? rid : undefined;
}

/** The first `n` bytes of `parts` followed by `more`. */
function headOf(parts, more, n) {
  const pieces = [];
  let size = 0;
  for (const part of [...parts, more]) {
    if (size >= n) break;
    const piece = part.subarray(0, n - size);
    pieces.push(piece);
    size += piece.length;
  }
  return Buffer.concat(pieces);
}

/**
 * Splits chunks of bytes into lines of at most `maxBytes` (without the newline). Calls
 * `onLine(text)` for each whole line and `onOverLong(rid)` once for a line that goes over,
 * with the id its prefix names, or undefined.
 */
export class LineSplitter {
  constructor(maxBytes, onLine, onOverLong) {
    this.maxBytes = maxBytes;
    this.onLine = onLine;
    this.onOverLong = onOverLong;
    this.parts = [];
    this.size = 0;
    this.discarding = false;
  }

  /** Only the new chunk is searched for line ends, so a long line costs its length once. */
  push(chunk) {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline < 0 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (this.discarding) {
        // the rest of an over-long line: nothing to keep
      } else if (this.size + piece.length > this.maxBytes) {
        const head = headOf(this.parts, piece, RID_PREFIX_BYTES);
        this.parts = [];
        this.size = 0;
        this.discarding = true;
        this.onOverLong(ridPrefix(head));
      } else if (piece.length > 0) {
        this.parts.push(piece);
        this.size += piece.length;
      }
      if (newline < 0) return;
      if (!this.discarding && this.size > 0) {
        const text = Buffer.concat(this.parts, this.size).toString("utf8");
        this.parts = [];
        this.size = 0;
        this.onLine(text);
      }
      this.discarding = false;
      start = newline + 1;
    }
  }
}
