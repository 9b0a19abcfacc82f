// The wire format of `mk exec` through the server, after the HTTP upgrade (Upgrade: mk-exec):
// frames of [channel u8][length u32 big-endian][payload], both ways on one connection, so stdin,
// stdout, stderr, terminal resizes and the exit code share it without losing their order.
//
//   client -> server: STDIN bytes, STDIN_EOF, RESIZE {"rows","cols"}
//   server -> client: STDOUT bytes, STDERR bytes, EXIT {"exitCode"}, ERROR {"error":{code,message}}
export const EXEC_PROTOCOL = "mk-exec";
export const PORT_FORWARD_PROTOCOL = "mk-portforward";

export const Channel = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  resize: 3,
  stdinEof: 4,
  exit: 5,
  error: 6,
} as const;

/** One frame larger than this is a broken peer: the connection is dropped. */
const MAX_FRAME = 1 << 20;

export function frame(channel: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const head = Buffer.alloc(5);
  head.writeUInt8(channel, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames; throws on a frame over the limit. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (channel: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 5) {
      const size = this.buf.readUInt32BE(1);
      if (size > MAX_FRAME)
        throw new RangeError(`exec frame of ${size} bytes is over the ${MAX_FRAME} limit`);
      if (this.buf.length < 5 + size) return;
      const channel = this.buf.readUInt8(0);
      const payload = this.buf.subarray(5, 5 + size);
      this.buf = this.buf.subarray(5 + size);
      this.onFrame(channel, payload);
    }
  }
}
