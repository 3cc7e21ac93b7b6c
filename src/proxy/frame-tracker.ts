// Follows WebSocket frame boundaries in a raw byte stream without copying payloads: it reads
// only the 2-14 header bytes of each frame and then counts payload bytes. wsgate pipes bytes
// untouched, so this is what makes it safe to inject a close frame (only between frames) and
// lets it see close codes sent by either peer.
//
// The state is a handful of small integers (no buffers, no arrays): a header split across
// chunks is read byte by byte into the same fields, so a tracker costs a few dozen bytes per
// direction of a connection.

import { randomFillSync } from 'node:crypto';

const OPCODE_CLOSE = 0x8;

/** Orders close frames seen on different streams: which peer closed first. */
let closeSequence = 0;

export class FrameTracker {
  /** Payload bytes of the current frame still to come. */
  private remaining = 0;
  /** Header bytes read of the frame header in progress (0 = none; at a boundary or in a payload). */
  private headerRead = 0;
  /** Length of the header in progress once its second byte is known (2..14), else 0. */
  private headerLength = 0;
  /** Its first byte (FIN, opcode) and second byte (MASK, 7-bit length). */
  private b0 = 0;
  private b1 = 0;
  /** Extended payload length being assembled (16 or 64 bits, high part checked). */
  private extLength = 0;
  /** Mask key of the frame in progress, as one 32-bit integer. */
  private mask = 0;
  /** Bytes of a close frame's payload seen so far (-1 = not in a close frame's code). */
  private closePayloadSeen = -1;
  private closeCodeBytes = 0;
  /** First close code seen in this direction, or 0. */
  closeCode = 0;
  /** When that close frame was seen, relative to close frames on other streams (0 = none). */
  closeOrder = 0;
  /** Data messages started in this direction (read by the metrics flush, not per message). */
  messages = 0;
  /** True once the stream stopped making sense as WebSocket frames; tracking is then abandoned. */
  broken = false;

  atBoundary(): boolean {
    return this.remaining === 0 && this.headerRead === 0 && !this.broken;
  }

  /**
   * Consumes bytes of `chunk` only up to the end of the frame in progress and returns how many
   * (0 when already at a boundary), or -1 once the stream is not WebSocket framing.
   */
  consumeUntilBoundary(chunk: Buffer): number {
    let offset = 0;
    while (offset < chunk.length && !this.atBoundary()) {
      if (this.broken) return -1;
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - offset);
        this.remaining -= take;
        offset += take;
        continue;
      }
      offset = this.readHeader(chunk, offset);
    }
    return this.broken ? -1 : offset;
  }

  /** Feeds a chunk exactly as it passes through. */
  push(chunk: Buffer): void {
    if (this.broken) return;
    let offset = 0;
    const length = chunk.length;
    while (offset < length) {
      if (this.remaining > 0) {
        const take = this.remaining < length - offset ? this.remaining : length - offset;
        if (this.closePayloadSeen >= 0) this.captureCloseCode(chunk, offset, take);
        this.remaining -= take;
        offset += take;
        if (this.remaining === 0) this.closePayloadSeen = -1;
        continue;
      }
      offset = this.readHeader(chunk, offset);
      if (this.broken) return;
    }
  }

  /** Parses frame header bytes starting at `offset`; returns the offset after what it consumed. */
  private readHeader(chunk: Buffer, offset: number): number {
    const available = chunk.length - offset;
    if (this.headerRead === 0 && available >= 2) {
      // Fast path: the whole header is in this chunk.
      const b1 = chunk[offset + 1]!;
      const len7 = b1 & 0x7f;
      const headerLength = 2 + (b1 & 0x80 ? 4 : 0) + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
      if (available >= headerLength) {
        this.b0 = chunk[offset]!;
        this.b1 = b1;
        let len = len7;
        let p = offset + 2;
        if (len7 === 126) {
          len = (chunk[p]! << 8) | chunk[p + 1]!;
          p += 2;
        } else if (len7 === 127) {
          const high = chunk.readUInt32BE(p);
          // RFC 6455: the most significant bit must be 0; beyond 2^53 we cannot count exactly.
          if (high > 0x1fffff) {
            this.broken = true;
            return chunk.length;
          }
          len = high * 0x100000000 + chunk.readUInt32BE(p + 4);
          p += 8;
        }
        this.mask = b1 & 0x80 ? chunk.readUInt32BE(p) : 0;
        this.startPayload(len);
        return offset + headerLength;
      }
    }
    // Slow path: a header split across chunks, one byte at a time.
    let p = offset;
    while (p < chunk.length) {
      const byte = chunk[p++]!;
      const i = this.headerRead++;
      if (i === 0) {
        this.b0 = byte;
        this.extLength = 0;
        this.mask = 0;
        continue;
      }
      if (i === 1) {
        this.b1 = byte;
        const len7 = byte & 0x7f;
        this.headerLength = 2 + (byte & 0x80 ? 4 : 0) + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
      } else {
        const len7 = this.b1 & 0x7f;
        const extBytes = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
        if (i < 2 + extBytes) {
          // 64-bit lengths: the high 32 bits must stay below 2^21 (checked once they are in).
          this.extLength = this.extLength * 256 + byte;
          if (len7 === 127 && i === 5 && this.extLength > 0x1fffff) {
            this.broken = true;
            return chunk.length;
          }
        } else {
          this.mask = ((this.mask << 8) | byte) >>> 0;
        }
      }
      if (this.headerRead === this.headerLength) {
        const len7 = this.b1 & 0x7f;
        this.headerRead = 0;
        this.headerLength = 0;
        this.startPayload(len7 < 126 ? len7 : this.extLength);
        return p;
      }
    }
    return p;
  }

  private startPayload(len: number): void {
    this.remaining = len;
    const opcode = this.b0 & 0x0f;
    // Text (1) and binary (2) start a message; continuations (0) and control frames do not.
    if (opcode - 1 >>> 0 < 2) this.messages++;
    else if (opcode === OPCODE_CLOSE && this.closeCode === 0 && len >= 2) {
      this.closePayloadSeen = 0;
      this.closeCodeBytes = 0;
    }
  }

  private captureCloseCode(chunk: Buffer, offset: number, take: number): void {
    for (let i = 0; i < take && this.closePayloadSeen < 2; i++) {
      const maskByte = (this.mask >>> (24 - 8 * this.closePayloadSeen)) & 0xff;
      this.closeCodeBytes = (this.closeCodeBytes << 8) | (chunk[offset + i]! ^ maskByte);
      this.closePayloadSeen++;
    }
    if (this.closePayloadSeen === 2) {
      this.closeCode = this.closeCodeBytes;
      this.closeOrder = ++closeSequence;
      this.closePayloadSeen = -1;
    }
  }
}

/**
 * A server-to-client close frame (unmasked, FIN set) with a status code and a short reason.
 * The reason is cut so the control frame payload stays within 125 bytes.
 */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const frame = Buffer.allocUnsafe(4 + text.length);
  frame[0] = 0x88;
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}

/**
 * A close frame toward a backend: wsgate speaks to it as a client, so the frame is masked
 * (RFC 6455 5.3) with a fresh random key.
 */
export function maskedCloseFrame(code: number, reason: string): Buffer {
  const payload = closeFrame(code, reason).subarray(2);
  const frame = Buffer.allocUnsafe(6 + payload.length);
  frame[0] = 0x88;
  frame[1] = 0x80 | payload.length;
  randomFillSync(frame, 2, 4);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ frame[2 + (i & 3)]!;
  return frame;
}

/** wsgate's keepalive ping to a client (unmasked, FIN set) carrying `payload`. */
export function pingFrame(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x89, payload.length]), payload]);
}
