// Stdout and stderr in the order the container wrote them. Docker reads a container's two pipes
// in two goroutines and appends each line to its log as it reads it, so `echo a; echo b >&2;
// echo c` can be stored as a, c, b; the time it stamps on each line is when it read it, which
// keeps the order. mk asks Docker for the timestamps and orders by them: a whole read at once
// (orderLogText), or a followed stream in short windows (LogReorder). Timestamps the user did not
// ask for are cut off again.
import { Transform, type TransformCallback } from "node:stream";

/** "2026-12-01T15:52:21.809053846Z text": the sortable time (nanoseconds padded) and the text. */
function splitStamp(line: string): { key: string | undefined; text: string } {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) (.*)$/s.exec(line);
  if (!m || (m[3] !== "Z" && m[3] !== "+00:00")) return { key: undefined, text: line };
  return { key: `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}`, text: m[4] as string };
}

/** Lines stable-sorted by their Docker timestamp; a line without one stays after the line before it. */
export function orderLines(lines: readonly string[], keepTimestamps: boolean): string[] {
  let last = "";
  const keyed = lines.map((line, i) => {
    const { key, text } = splitStamp(line);
    if (key !== undefined) last = key;
    return { key: key ?? last, i, out: keepTimestamps || key === undefined ? line : text };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  return keyed.map((k) => k.out);
}

/** A whole log read with timestamps, in write order; the last line keeps its missing newline. */
export function orderLogText(text: string, keepTimestamps: boolean): string {
  if (text === "") return "";
  const lines = text.split("\n");
  const rest = lines.pop() ?? "";
  const ordered = orderLines(rest === "" ? lines : [...lines, rest], keepTimestamps);
  if (rest === "") return ordered.map((l) => `${l}\n`).join("");
  return ordered.join("\n");
}

/**
 * A followed log stream, reordered: whole lines are held for `windowMs` after the first of a burst
 * arrives, then released sorted (Docker writes the two pipes' lines within microseconds of each
 * other). A partial line is released with the window (a prompt without a newline still shows).
 */
export class LogReorder extends Transform {
  private pending: string[] = [];
  private partial = "";
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly keepTimestamps: boolean,
    private readonly windowMs = 50,
  ) {
    super();
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    const lines = (this.partial + chunk.toString()).split("\n");
    this.partial = lines.pop() ?? "";
    this.pending.push(...lines);
    if (!this.timer) this.timer = setTimeout(() => this.release(), this.windowMs);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.release();
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    done(err);
  }

  private release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = orderLines(this.pending, this.keepTimestamps).map((l) => `${l}\n`);
    if (this.partial !== "") lines.push(orderLines([this.partial], this.keepTimestamps).join(""));
    this.pending = [];
    this.partial = "";
    if (lines.length > 0) this.push(lines.join(""));
  }
}
