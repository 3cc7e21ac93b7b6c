// What the FrameGate of each direction lets through on a route with spec.messages or
// spec.keepalive. Sizes are frame headers plus payloads of every frame of a data message, as
// they are on the wire (compressed or not: wsgate never inflates); control frames between the
// fragments of a message are not part of it. The policies only decide and remember why they
// stopped: acting on it (close, throttle) is the connection's, after the gate has forwarded
// everything before the stopping frame.

import type { CompiledMessages } from '../routing/types.js';
import { DROP, FORWARD, STOP, type GatePolicy, type Verdict } from './frame-gate.js';
import { MessageBucket } from '../limits/token-bucket.js';

const OPCODE_CONTINUATION = 0x0;
const OPCODE_PONG = 0xa;
/** FIN + pong, no extension bits: the only first byte wsgate's own pong can have. */
const FIN_PONG = 0x80 | OPCODE_PONG;
/** Length of wsgate's ping payload (the connection's nonce). */
export const NONCE_LENGTH = 8;

/** Which limit stopped a direction; the metric's `limit` label. */
export type LimitKind = 'size' | 'rate' | 'byteRate';

const isData = (b0: number): boolean => (b0 & 0x0f) < 3;

/** Client to backend: maxBytes, rate, byteRate, and removal of the pongs to wsgate's pings. */
export class ClientPolicy implements GatePolicy {
  /** Why the last STOP happened, and for a rate how long until it may pass. */
  stopped: LimitKind | null = null;
  waitMs = 0;
  /** Set when the gate removed a pong to wsgate's ping; the connection clears it. */
  pongs = 0;
  private messageBytes = 0;
  private readonly maxBytes: number;
  private readonly rate: MessageBucket | null;
  private readonly byteRate: MessageBucket | null;

  constructor(
    limits: CompiledMessages | undefined,
    /** The payload of wsgate's pings on this connection; null: keepalive off. */
    private readonly nonce: Buffer | null,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    const t = this.now();
    this.maxBytes = limits?.maxBytes ?? 0;
    this.rate = limits?.rate ? new MessageBucket(limits.rate, t) : null;
    this.byteRate = limits?.byteRate ? new MessageBucket(limits.byteRate, t) : null;
  }

  wantsWhole(b0: number, payloadLength: number): boolean {
    return this.nonce !== null && b0 === FIN_PONG && payloadLength === NONCE_LENGTH;
  }

  decide(b0: number, headerLength: number, payloadLength: number, mask: number, buf: Buffer, at: number): Verdict {
    if (this.wantsWhole(b0, payloadLength) && this.isOwnPong(buf, at + headerLength, mask)) {
      this.pongs++;
      return DROP;
    }
    const wire = headerLength + payloadLength;
    const data = isData(b0);
    const starts = data && (b0 & 0x0f) !== OPCODE_CONTINUATION;
    const sofar = starts ? 0 : this.messageBytes;
    if (data && this.maxBytes !== 0 && sofar + wire > this.maxBytes) return this.stop('size', 0);
    if (this.rate !== null || this.byteRate !== null) {
      const now = this.now();
      const forMessage = starts && this.rate !== null ? this.rate.wait(1, now) : 0;
      if (forMessage > 0) return this.stop('rate', forMessage);
      const forBytes = this.byteRate !== null ? this.byteRate.wait(wire, now) : 0;
      if (forBytes > 0) return this.stop('byteRate', forBytes);
      if (starts) this.rate?.take(1);
      this.byteRate?.take(wire);
    }
    if (data) this.messageBytes = sofar + wire;
    return FORWARD;
  }

  private stop(kind: LimitKind, waitMs: number): Verdict {
    this.stopped = kind;
    this.waitMs = waitMs;
    return STOP;
  }

  /** The client's pong carries this connection's nonce (the payload is masked by the client). */
  private isOwnPong(buf: Buffer, payloadAt: number, mask: number): boolean {
    const nonce = this.nonce!;
    for (let i = 0; i < NONCE_LENGTH; i++) {
      const key = (mask >>> (24 - 8 * (i & 3))) & 0xff;
      if ((buf[payloadAt + i]! ^ key) !== nonce[i]) return false;
    }
    return true;
  }
}

/** Backend to client: maxBytesFromBackend. */
export class BackendPolicy implements GatePolicy {
  stopped: LimitKind | null = null;
  private messageBytes = 0;

  constructor(private readonly maxBytes: number) {}

  wantsWhole(): boolean {
    return false;
  }

  decide(b0: number, headerLength: number, payloadLength: number): Verdict {
    if (!isData(b0)) return FORWARD;
    const sofar = (b0 & 0x0f) === OPCODE_CONTINUATION ? this.messageBytes : 0;
    const total = sofar + headerLength + payloadLength;
    if (this.maxBytes !== 0 && total > this.maxBytes) {
      this.stopped = 'size';
      return STOP;
    }
    this.messageBytes = total;
    return FORWARD;
  }
}
