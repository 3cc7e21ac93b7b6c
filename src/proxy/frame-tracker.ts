// Follows WebSocket frame boundaries in a raw byte stream without copying payloads: it reads
// only the 2-14 header bytes of each frame and then counts payload bytes. wsgate pipes bytes
// untouched, so this is what makes it safe to inject a close frame (only between frames) and
// lets it see close codes sent by either peer.

const OPCODE_CLOSE = 0x8;

/** Orders close frames seen on different streams: which peer closed first. */
let closeSequence = 0;

export class FrameTracker {
  /** Payload bytes of the current frame still to come; 0 with no header pending = at a boundary. */
  private remaining = 0;
  /** Partial header bytes carried over from the previous chunk (a header can span chunks). */
  private header: Buffer | null = null;
  /** Set while reading the payload of a close frame, to capture its 2-byte status code. */
  private closePayloadSeen = -1;
  private closeCodeBytes = 0;
  /** Mask key of a masked close frame (client-to-server), to unmask its status code. */
  private closeMask = [0, 0, 0, 0];
  /** First close code seen in this direction, or 0. */
  closeCode = 0;
  /** When that close frame was seen, relative to close frames on other streams (0 = none). */
  closeOrder = 0;
  /** True once the stream stopped making sense as WebSocket frames; tracking is then abandoned. */
  broken = false;

  atBoundary(): boolean {
    return this.remaining === 0 && this.header === null && !this.broken;
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
        const take = Math.min(this.remaining, length - offset);
        if (this.closePayloadSeen >= 0) this.captureCloseCode(chunk, offset, take);
        this.remaining -= take;
        offset += take;
        if (this.remaining === 0) this.closePayloadSeen = -1;
        continue;
      }
      offset = this.readHeader(chunk, offset);
    }
  }

  /** Parses one frame header starting at `offset`; returns the offset after what it consumed. */
  private readHeader(chunk: Buffer, offset: number): number {
    let buf: Buffer;
    let start: number;
    let carried = 0;
    if (this.header) {
      // Rare path: join the carried bytes with enough of this chunk for a full header.
      carried = this.header.length;
      buf = Buffer.concat([this.header, chunk.subarray(offset, offset + 14)]);
      start = 0;
    } else {
      buf = chunk;
      start = offset;
    }
    const available = buf.length - start;
    if (available < 2) return this.carry(buf, start, chunk, offset, carried);
    const b0 = buf[start]!;
    const b1 = buf[start + 1]!;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let headerLength = 2 + (masked ? 4 : 0);
    if (len === 126) headerLength += 2;
    else if (len === 127) headerLength += 8;
    if (available < headerLength) return this.carry(buf, start, chunk, offset, carried);
    if (len === 126) len = buf.readUInt16BE(start + 2);
    else if (len === 127) {
      const high = buf.readUInt32BE(start + 2);
      // RFC 6455: the most significant bit must be 0; beyond 2^53 we cannot count exactly.
      if (high > 0x1fffff) {
        this.broken = true;
        return chunk.length;
      }
      len = high * 0x100000000 + buf.readUInt32BE(start + 6);
    }
    const opcode = b0 & 0x0f;
    if (opcode === OPCODE_CLOSE && this.closeCode === 0 && len >= 2) {
      this.closePayloadSeen = 0;
      this.closeCodeBytes = 0;
      const m = start + headerLength - 4;
      this.closeMask = masked ? [buf[m]!, buf[m + 1]!, buf[m + 2]!, buf[m + 3]!] : [0, 0, 0, 0];
    }
    this.header = null;
    this.remaining = len;
    // Offset in the original chunk just after the header.
    return offset + headerLength - carried;
  }

  private carry(buf: Buffer, start: number, chunk: Buffer, offset: number, carried: number): number {
    // Not a full header yet: keep what we have (at most 13 bytes) and wait for the next chunk.
    this.header = Buffer.from(buf.subarray(start));
    return offset + (buf.length - start - carried);
  }

  private captureCloseCode(chunk: Buffer, offset: number, take: number): void {
    for (let i = 0; i < take && this.closePayloadSeen < 2; i++) {
      this.closeCodeBytes = (this.closeCodeBytes << 8) | (chunk[offset + i]! ^ this.closeMask[this.closePayloadSeen]!);
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
