// The snapshot stream's wire format: length-prefixed frames (4-byte big-endian length, then
// UTF-8 JSON). A frame is encoded once per table version and the same Buffer is written to every
// proxy. The snapshot is the one the worker threads get (workers/snapshot.ts); the only values
// JSON cannot carry are Secret data and the affinity key (Buffers), sent as base64 strings in the
// places they occur, so no other string in a route (a header named "$b64", say) can ever turn
// into bytes.

import type { TableSnapshot } from '../workers/snapshot.js';
import type { SecretResolution } from '../security/types.js';

/** Bumped when a frame's meaning changes; a proxy refuses a stream of another protocol. */
export const STREAM_PROTOCOL = 1;

/** Largest frame a proxy accepts (a table with every certificate of a large cluster fits well below). */
const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export type StreamMessage =
  /** A new table: the proxy compiles it and swaps it in. */
  | { type: 'snapshot'; protocol: number; snapshot: TableSnapshot }
  /** Sent every heartbeat interval: the controller is there and `version` is still its newest. */
  | { type: 'heartbeat'; protocol: number; version: number };

type WireSecret = { ok: true; data: Record<string, string> } | Extract<SecretResolution, { ok: false }>;

export function encodeFrame(message: StreamMessage): Buffer {
  const wire = message.type === 'snapshot' ? { ...message, snapshot: snapshotToWire(message.snapshot) } : message;
  const body = Buffer.from(JSON.stringify(wire), 'utf8');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Buffers as base64: the route Secrets' data and the affinity key. */
function snapshotToWire(s: TableSnapshot): object {
  const { affinityKey, ...rest } = s;
  return { ...rest, secrets: secretsToWire(s.secrets), ...(affinityKey ? { affinityKey: base64(affinityKey) } : {}) };
}

function base64(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function secretsToWire(secrets: TableSnapshot['secrets']): Array<[string, WireSecret]> | null {
  if (!secrets) return null;
  return secrets.map(([key, r]) => [key, r.ok ? { ok: true, data: Object.fromEntries(Object.entries(r.data).map(([k, v]) => [k, base64(v)])) } : r]);
}

function secretsFromWire(secrets: Array<[string, WireSecret]> | null): TableSnapshot['secrets'] {
  if (!secrets) return null;
  return secrets.map(([key, r]) => [key, r.ok ? { ok: true, data: Object.fromEntries(Object.entries(r.data).map(([k, v]) => [k, Buffer.from(v, 'base64')])) } : r]);
}

export class FrameError extends Error {}

/** Parses one frame body; throws FrameError on anything that is not a message of this protocol. */
export function decodeMessage(body: Buffer): StreamMessage {
  let m: unknown;
  try {
    m = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new FrameError(`frame is not JSON: ${(err as Error).message}`);
  }
  if (typeof m !== 'object' || m === null) throw new FrameError('frame is not an object');
  const msg = m as { type?: unknown; protocol?: unknown; version?: unknown; snapshot?: { version?: unknown; routes?: unknown; secrets?: unknown } };
  if (msg.protocol !== STREAM_PROTOCOL) throw new FrameError(`stream protocol ${String(msg.protocol)}, this proxy speaks ${STREAM_PROTOCOL}`);
  if (msg.type === 'heartbeat' && typeof msg.version === 'number') return { type: 'heartbeat', protocol: STREAM_PROTOCOL, version: msg.version };
  if (msg.type === 'snapshot' && msg.snapshot && typeof msg.snapshot.version === 'number' && Array.isArray(msg.snapshot.routes)) {
    const s = msg.snapshot as Omit<TableSnapshot, 'affinityKey'> & { secrets: Array<[string, WireSecret]> | null; affinityKey?: unknown };
    const { affinityKey, ...rest } = s;
    if (affinityKey !== undefined && (typeof affinityKey !== 'string' || affinityKey.length === 0)) throw new FrameError('snapshot affinityKey is not a base64 string');
    return { type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: { ...rest, secrets: secretsFromWire(s.secrets), ...(affinityKey ? { affinityKey: Buffer.from(affinityKey, 'base64') } : {}) } };
  }
  throw new FrameError(`unknown frame type ${String(msg.type)}`);
}

/**
 * Splits a byte stream into frame bodies. Chunks are kept in a list and joined once per frame, so
 * a large table arriving in many small reads is copied once, not once per read.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Adds bytes; returns the bodies of the frames they complete. Throws FrameError on an oversized frame. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) return out;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) throw new FrameError(`frame of ${length} bytes is larger than ${this.maxFrameBytes}`);
      if (this.buffered < 4 + length) return out;
      const all = this.take(4 + length);
      out.push(all.subarray(4));
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const rest = joined.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return joined.subarray(0, n);
  }
}
