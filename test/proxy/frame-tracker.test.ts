import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeFrame, FrameTracker } from '../../src/proxy/frame-tracker.js';
import { frame } from '../helpers/ws-frames.js';

const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000];

function boundaries(frames: Buffer[]): Set<number> {
  const set = new Set<number>([0]);
  let pos = 0;
  for (const f of frames) set.add((pos += f.length));
  return set;
}

test('atBoundary is true exactly between frames, for every split of the stream', () => {
  const frames = sizes.map((n, i) => frame(i % 2 ? 0x2 : 0x1, Buffer.alloc(n, i)));
  const stream = Buffer.concat(frames);
  const expected = boundaries(frames);
  // Byte by byte.
  const t = new FrameTracker();
  for (let i = 0; i < stream.length; i++) {
    assert.equal(t.atBoundary(), expected.has(i), `before byte ${i}`);
    t.push(stream.subarray(i, i + 1));
  }
  assert.ok(t.atBoundary());
  // Random chunkings (seeded), checked at each chunk end.
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let round = 0; round < 50; round++) {
    const tr = new FrameTracker();
    let pos = 0;
    while (pos < stream.length) {
      const n = 1 + Math.floor(rand() * 3000);
      tr.push(stream.subarray(pos, pos + n));
      pos = Math.min(stream.length, pos + n);
      assert.equal(tr.atBoundary(), expected.has(pos), `round ${round} at ${pos}`);
    }
  }
});

test('fragmented messages: every fragment ends at a boundary (control frames may go between)', () => {
  const frames = [
    frame(0x1, Buffer.from('part one '), { fin: false }),
    frame(0x9, Buffer.from('ping')), // a control frame inside a fragmented message
    frame(0x0, Buffer.alloc(300, 1), { fin: false }),
    frame(0x0, Buffer.from('end'), { fin: true }),
  ];
  const t = new FrameTracker();
  const expected = boundaries(frames);
  let pos = 0;
  for (const f of frames) {
    for (let i = 0; i < f.length; i++) {
      t.push(f.subarray(i, i + 1));
      pos++;
      assert.equal(t.atBoundary(), expected.has(pos));
    }
  }
});

test('consumeUntilBoundary stops at the end of the frame in progress', () => {
  const a = frame(0x2, Buffer.alloc(1000, 7));
  const b = frame(0x2, Buffer.alloc(10, 8));
  const t = new FrameTracker();
  t.push(a.subarray(0, 500));
  const rest = Buffer.concat([a.subarray(500), b]);
  assert.equal(t.consumeUntilBoundary(rest), a.length - 500);
  assert.ok(t.atBoundary());
  assert.equal(t.consumeUntilBoundary(b), 0);
  // A header split across chunks is completed, then its payload consumed.
  const u = new FrameTracker();
  const big = frame(0x2, Buffer.alloc(70000, 1));
  u.push(big.subarray(0, 3)); // inside the 8-byte extended length
  assert.equal(u.atBoundary(), false);
  const tail = Buffer.concat([big.subarray(3), b]);
  assert.equal(u.consumeUntilBoundary(tail), big.length - 3);
});

test('close codes are read from unmasked and masked close frames, even split', () => {
  const server = new FrameTracker();
  const cf = frame(0x8, Buffer.from([0x03, 0xe9, 0x61])); // 1001 + "a"
  for (let i = 0; i < cf.length; i++) server.push(cf.subarray(i, i + 1));
  assert.equal(server.closeCode, 1001);
  const client = new FrameTracker();
  client.push(frame(0x1, Buffer.from('hi'), { mask: true }));
  client.push(frame(0x8, Buffer.from([0x0f, 0xa0]), { mask: true })); // 4000
  assert.equal(client.closeCode, 4000);
});

test('a 64-bit length beyond 2^53 marks the stream broken instead of miscounting', () => {
  const t = new FrameTracker();
  const head = Buffer.from([0x82, 127, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  t.push(head);
  assert.equal(t.broken, true);
  assert.equal(t.atBoundary(), false);
  assert.equal(t.consumeUntilBoundary(Buffer.alloc(4)), -1);
});

test('closeFrame builds a valid unmasked close frame with code and reason', () => {
  const f = closeFrame(1001, 'endpoint draining');
  assert.equal(f[0], 0x88);
  assert.equal(f[1], 2 + 'endpoint draining'.length);
  assert.equal(f.readUInt16BE(2), 1001);
  assert.equal(f.subarray(4).toString(), 'endpoint draining');
  const t = new FrameTracker();
  t.push(f);
  assert.equal(t.closeCode, 1001);
  assert.ok(closeFrame(1000, 'x'.repeat(500)).length <= 127);
});

test('a masked close frame split byte by byte (header and mask across chunks) still yields its code', () => {
  const cf = frame(0x8, Buffer.from([0x0b, 0xb8, 0x78]), { mask: true }); // 3000 + "x"
  const t = new FrameTracker();
  t.push(frame(0x2, Buffer.alloc(300, 9), { mask: true }).subarray(0, 3));
  t.push(frame(0x2, Buffer.alloc(300, 9), { mask: true }).subarray(3));
  assert.ok(t.atBoundary());
  for (let i = 0; i < cf.length; i++) t.push(cf.subarray(i, i + 1));
  assert.equal(t.closeCode, 3000);
  assert.ok(t.atBoundary());
});

test('a 64-bit length beyond 2^53 split across chunks is caught too', () => {
  const t = new FrameTracker();
  const head = Buffer.from([0x82, 127, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  for (let i = 0; i < head.length; i++) t.push(head.subarray(i, i + 1));
  assert.equal(t.broken, true);
});

test('messages counts data messages: a fragmented message once, control frames never', () => {
  const t = new FrameTracker();
  const stream = Buffer.concat([
    frame(0x1, Buffer.from('a'), { fin: false }),
    frame(0x9, Buffer.from('ping')),
    frame(0x0, Buffer.alloc(300), { fin: false }),
    frame(0xa, Buffer.alloc(0)),
    frame(0x0, Buffer.from('z')),
    frame(0x2, Buffer.alloc(70000), { mask: true }),
    frame(0x8, Buffer.from([0x03, 0xe8])),
  ]);
  for (let i = 0; i < stream.length; i += 7) t.push(stream.subarray(i, i + 7));
  assert.equal(t.messages, 2);
  assert.equal(t.closeCode, 1000);
});
