// The frame path of a connection whose route has message limits or keepalive. Like the
// FrameTracker it reads only frame headers and never copies a payload, but it decides, at each
// header, whether the frame may pass: a policy (message-policy.ts) answers FORWARD, DROP (the
// frame is removed: wsgate's own pong) or STOP (nothing from this frame on is forwarded for
// now: a limit was hit). So that a STOP always falls on a frame boundary of what was forwarded,
// the gate forwards a header only once it is complete: the few bytes of a header split across
// chunks are held back (and a frame the policy must see whole, a pong of the nonce's length,
// up to its 131 bytes). An injected frame (wsgate's ping) goes out at the next boundary.

export const FORWARD = 0;
export const DROP = 1;
export const STOP = 2;
export type Verdict = typeof FORWARD | typeof DROP | typeof STOP;

export interface GatePolicy {
  /** The frame must be whole in the buffer before `decide` sees it (a pong that may be wsgate's). */
  wantsWhole(b0: number, payloadLength: number): boolean;
  /**
   * At a complete header starting at `at` in `buf` (with the payload too when wantsWhole):
   * FORWARD, DROP (only for frames it wanted whole) or STOP. Called again for the same frame
   * after a STOP when the gate is pushed again.
   */
  decide(b0: number, headerLength: number, payloadLength: number, mask: number, buf: Buffer, at: number): Verdict;
}

const EMPTY = Buffer.alloc(0);

export class FrameGate {
  /** Payload bytes of the frame being forwarded still to come. */
  private remaining = 0;
  /** Bytes from a frame boundary on that are not forwarded yet (partial header, whole-frame wait, STOP). */
  private held: Buffer | null = null;
  /** A frame to send at the next boundary. */
  private pendingInject: Buffer | null = null;
  /** The stream stopped making sense as frames (a length beyond 2^53). */
  broken = false;

  constructor(
    private readonly policy: GatePolicy,
    private readonly sink: (piece: Buffer) => void,
  ) {}

  /** Nothing is half forwarded and nothing held: a frame may be written now. */
  atBoundary(): boolean {
    return this.remaining === 0 && this.held === null;
  }

  /** Sends `frame` now if at a boundary, else at the next one. */
  inject(frame: Buffer): void {
    if (this.atBoundary()) this.sink(frame);
    else this.pendingInject = frame;
  }

  /** A frame waits for the next boundary. */
  injectPending(): boolean {
    return this.pendingInject !== null;
  }

  /** Bytes held back after a STOP (or a partial header), for tests and the close path. */
  heldBytes(): number {
    return this.held ? this.held.length : 0;
  }

  /** Feeds a chunk (or nothing, to retry what a STOP held). False: stopped or broken. */
  push(chunk: Buffer = EMPTY): boolean {
    if (this.broken) return false;
    let buf = chunk;
    if (this.held !== null) {
      buf = chunk.length === 0 ? this.held : Buffer.concat([this.held, chunk]);
      this.held = null;
    }
    const len = buf.length;
    let pos = 0;
    let from = 0;
    while (pos < len) {
      if (this.remaining > 0) {
        const take = this.remaining < len - pos ? this.remaining : len - pos;
        this.remaining -= take;
        pos += take;
        continue;
      }
      if (this.pendingInject !== null) {
        if (pos > from) this.sink(buf.subarray(from, pos));
        from = pos;
        this.sink(this.pendingInject);
        this.pendingInject = null;
      }
      if (len - pos < 2) break;
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      const len7 = b1 & 0x7f;
      const headerLength = 2 + (b1 & 0x80 ? 4 : 0) + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
      if (len - pos < headerLength) break;
      let payloadLength = len7;
      if (len7 === 126) payloadLength = buf.readUInt16BE(pos + 2);
      else if (len7 === 127) {
        const high = buf.readUInt32BE(pos + 2);
        // RFC 6455: the most significant bit must be 0; beyond 2^53 bytes cannot be counted.
        if (high > 0x1fffff) {
          if (pos > from) this.sink(buf.subarray(from, pos));
          this.broken = true;
          return false;
        }
        payloadLength = high * 0x100000000 + buf.readUInt32BE(pos + 6);
      }
      if (this.policy.wantsWhole(b0, payloadLength) && len - pos < headerLength + payloadLength) break;
      const mask = b1 & 0x80 ? buf.readUInt32BE(pos + headerLength - 4) : 0;
      const verdict = this.policy.decide(b0, headerLength, payloadLength, mask, buf, pos);
      if (verdict === STOP) {
        if (pos > from) this.sink(buf.subarray(from, pos));
        this.held = buf.subarray(pos);
        return false;
      }
      if (verdict === DROP) {
        if (pos > from) this.sink(buf.subarray(from, pos));
        pos += headerLength + payloadLength;
        from = pos;
        continue;
      }
      pos += headerLength;
      this.remaining = payloadLength;
    }
    if (pos > from) this.sink(buf.subarray(from, pos));
    if (pos < len) this.held = buf.subarray(pos);
    else if (this.pendingInject !== null && this.remaining === 0) {
      this.sink(this.pendingInject);
      this.pendingInject = null;
    }
    return true;
  }
}
