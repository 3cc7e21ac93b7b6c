// WebSocket frames built byte by byte, for tests that feed frame parsers directly.

/** One frame as a server (unmasked) or client (masked) would send it. */
export function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {}): Buffer {
  const fin = opts.fin ?? true;
  const mask = opts.mask ?? false;
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | (opts.rsv1 ? 0x40 : 0) | opcode;
  head[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) {
    head.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    head.writeUInt32BE(len >>> 0, 6);
  }
  let body = payload;
  if (mask) {
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    key.copy(head, 2 + ext);
    body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  }
  return Buffer.concat([head, body]);
}

/** The chunks of `stream` cut at each of `cuts` (sorted offsets). */
export function splitAt(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const c of cuts) {
    out.push(stream.subarray(from, c));
    from = c;
  }
  out.push(stream.subarray(from));
  return out;
}
