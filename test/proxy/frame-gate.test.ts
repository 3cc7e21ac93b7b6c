// The gate of a route with spec.messages/keepalive, fed frame sequences in every chunking:
// limit accounting over fragmented messages with control frames between the fragments,
// 7/16/64-bit lengths, masked (client) and unmasked (backend) frames, headers split across
// chunks, removal of wsgate's own pong only, and pings injected only at frame boundaries.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameGate } from '../../src/proxy/frame-gate.js';
import { BackendPolicy, ClientPolicy, NONCE_LENGTH } from '../../src/proxy/message-policy.js';
import type { CompiledMessages } from '../../src/routing/types.js';
import { frame, splitAt } from '../helpers/ws-frames.js';

const TEXT = 0x1;
const BINARY = 0x2;
const CONT = 0x0;
const PING = 0x9;
const PONG = 0xa;
const NONCE = Buffer.from('8bytes!!');
const OTHER = Buffer.from('8bytes??');

const limits = (m: Partial<CompiledMessages>): CompiledMessages => ({ maxBytes: 0, maxBytesFromBackend: 0, onRateExceeded: 'Throttle', ...m });

interface Run {
  out: Buffer;
  stopped: boolean;
  pongs: number;
}

/** Feeds `chunks` to a gate with `policy`; stops feeding at the first STOP. */
function run(policy: ClientPolicy | BackendPolicy, chunks: Buffer[]): Run {
  const pieces: Buffer[] = [];
  const gate = new FrameGate(policy, (p) => pieces.push(Buffer.from(p)));
  let stopped = false;
  for (const c of chunks) {
    if (!gate.push(c)) {
      stopped = true;
      break;
    }
  }
  return { out: Buffer.concat(pieces), stopped, pongs: policy instanceof ClientPolicy ? policy.pongs : 0 };
}

/** Chunkings of a stream: whole, byte by byte, and two chunks cut at every offset near a header. */
function chunkings(frames: Buffer[]): Array<{ name: string; chunks: Buffer[] }> {
  const stream = Buffer.concat(frames);
  const out = [
    { name: 'whole', chunks: [stream] },
    { name: 'byte by byte', chunks: splitAt(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1)) },
  ];
  let at = 0;
  const cuts = new Set<number>();
  for (const f of frames) {
    for (let i = 1; i <= 15 && i < f.length; i++) cuts.add(at + i);
    at += f.length;
    cuts.add(at);
  }
  for (const c of cuts) if (c > 0 && c < stream.length) out.push({ name: `cut at ${c}`, chunks: splitAt(stream, [c]) });
  return out;
}

const wire = (frames: Buffer[]) => frames.reduce((n, f) => n + f.length, 0);

describe('FrameGate with the client policy', () => {
  // A text message in four fragments (7-bit, 16-bit, 64-bit, 0 lengths) with a client ping,
  // wsgate's pong and a pong to someone else between them.
  const fragments = [
    frame(TEXT, Buffer.alloc(10, 1), { fin: false, mask: true }),
    frame(CONT, Buffer.alloc(300, 2), { fin: false, mask: true }),
    frame(CONT, Buffer.alloc(65536, 3), { fin: false, mask: true }),
    frame(CONT, Buffer.alloc(0), { fin: true, mask: true }),
  ];
  const ping = frame(PING, Buffer.from('hi'), { mask: true });
  const ownPong = frame(PONG, NONCE, { mask: true });
  const otherPong = frame(PONG, OTHER, { mask: true });
  const sequence = [fragments[0]!, ping, fragments[1]!, ownPong, fragments[2]!, otherPong, fragments[3]!, frame(BINARY, Buffer.alloc(5), { mask: true })];
  const expected = Buffer.concat(sequence.filter((f) => f !== ownPong));

  it('removes only its own pong, between fragments, in every chunking', () => {
    for (const { name, chunks } of chunkings(sequence)) {
      const r = run(new ClientPolicy(undefined, NONCE), chunks);
      assert.equal(r.stopped, false, name);
      assert.equal(r.pongs, 1, name);
      assert.ok(r.out.equals(expected), `${name}: forwarded bytes differ`);
    }
  });

  it('without keepalive passes every pong', () => {
    const r = run(new ClientPolicy(undefined, null), [Buffer.concat(sequence)]);
    assert.ok(r.out.equals(Buffer.concat(sequence)));
  });

  it('a pong to a wsgate ping of another connection (other nonce) passes', () => {
    const r = run(new ClientPolicy(undefined, OTHER), [Buffer.concat([ownPong, otherPong])]);
    assert.ok(r.out.equals(ownPong));
  });

  const messageWire = wire(fragments);
  const sizeCases = [
    { name: 'a limit of exactly the message passes it', maxBytes: messageWire, stopsBefore: -1 },
    { name: 'one byte less stops at the last fragment', maxBytes: messageWire - 1, stopsBefore: 3 },
    { name: 'a limit below the first frame stops at once', maxBytes: 5, stopsBefore: 0 },
  ];
  for (const c of sizeCases) {
    it(`maxBytes counts all fragments on the wire and no control frame: ${c.name}`, () => {
      const seq = [fragments[0]!, ping, fragments[1]!, ownPong, fragments[2]!, otherPong, fragments[3]!];
      const cutFrame = c.stopsBefore < 0 ? undefined : fragments[c.stopsBefore];
      const expect = cutFrame ? Buffer.concat(seq.slice(0, seq.indexOf(cutFrame)).filter((f) => f !== ownPong)) : Buffer.concat(seq.filter((f) => f !== ownPong));
      for (const { name, chunks } of chunkings(seq)) {
        const policy = new ClientPolicy(limits({ maxBytes: c.maxBytes }), NONCE);
        const r = run(policy, chunks);
        assert.equal(r.stopped, c.stopsBefore >= 0, name);
        if (r.stopped) assert.equal(policy.stopped, 'size', name);
        assert.ok(r.out.equals(expect), `${name}: forwarded ${r.out.length} bytes, expected ${expect.length}`);
      }
    });
  }

  it('each message starts its own count', () => {
    const one = frame(BINARY, Buffer.alloc(100), { mask: true });
    const r = run(new ClientPolicy(limits({ maxBytes: one.length }), null), [Buffer.concat([one, one, one])]);
    assert.equal(r.stopped, false);
    assert.equal(r.out.length, 3 * one.length);
  });

  it('rate: one token per message (not per fragment), refused until the bucket refills', () => {
    let now = 0;
    const policy = new ClientPolicy(limits({ rate: { perSecond: 2, burst: 2 } }), null, () => now);
    const gate = new FrameGate(policy, () => {});
    const fragmented = Buffer.concat([frame(TEXT, Buffer.from('a'), { fin: false, mask: true }), frame(CONT, Buffer.from('b'), { mask: true })]);
    assert.equal(gate.push(fragmented), true);
    assert.equal(gate.push(frame(TEXT, Buffer.from('c'), { mask: true })), true);
    assert.equal(gate.push(frame(TEXT, Buffer.from('d'), { mask: true })), false);
    assert.equal(policy.stopped, 'rate');
    assert.equal(policy.waitMs, 500);
    assert.equal(gate.push(), false, 'still refused before the refill');
    now = 500;
    assert.equal(gate.push(), true, 'passes once a token is back');
    assert.equal(gate.heldBytes(), 0);
  });

  it('byteRate: charged by wire bytes of every frame; a frame larger than the burst waits for a full bucket', () => {
    let now = 0;
    const policy = new ClientPolicy(limits({ byteRate: { perSecond: 1000, burst: 100 } }), null, () => now);
    const out: Buffer[] = [];
    const gate = new FrameGate(policy, (p) => out.push(p));
    const f60 = frame(BINARY, Buffer.alloc(54), { mask: true }); // 6 + 54 = 60 bytes on the wire
    assert.equal(gate.push(f60), true);
    assert.equal(gate.push(f60), false);
    assert.equal(policy.stopped, 'byteRate');
    assert.equal(policy.waitMs, 20);
    now = 20;
    assert.equal(gate.push(), true);
    const big = frame(BINARY, Buffer.alloc(500), { mask: true });
    now = 200; // bucket full again (100)
    assert.equal(gate.push(big), true, 'a full bucket lets a larger frame through');
    assert.equal(gate.push(f60), false, 'and its overdraft delays the next one');
    assert.equal(Buffer.concat(out).length, 60 + 60 + big.length);
  });
});

describe('FrameGate with the backend policy (unmasked frames)', () => {
  for (const size of [125, 126, 65535, 65536]) {
    it(`maxBytesFromBackend around a ${size}-byte payload`, () => {
      const f = frame(BINARY, Buffer.alloc(size, 7));
      for (const [limit, stops] of [[f.length, false], [f.length - 1, true]] as const) {
        for (const { name, chunks } of chunkings([frame(TEXT, Buffer.from('x')), f])) {
          const policy = new BackendPolicy(limit);
          const r = run(policy, chunks);
          assert.equal(r.stopped, stops, `${name}, limit ${limit}`);
          assert.equal(r.out.length, stops ? 3 : 3 + f.length, name);
        }
      }
    });
  }

  it('an injected ping goes out only at a frame boundary', () => {
    const frames = [frame(BINARY, Buffer.alloc(300, 1)), frame(TEXT, Buffer.from('hello'))];
    const ping = frame(PING, NONCE);
    for (const { name, chunks } of chunkings(frames)) {
      const pieces: Buffer[] = [];
      const gate = new FrameGate(new BackendPolicy(0), (p) => pieces.push(Buffer.from(p)));
      gate.push(chunks[0]);
      gate.inject(ping);
      for (const c of chunks.slice(1)) gate.push(c);
      const out = Buffer.concat(pieces);
      const at = out.indexOf(ping);
      assert.ok(at >= 0, name);
      // The ping sits between whole frames: before it the stream ends on a boundary.
      const before = out.subarray(0, at);
      assert.ok([0, frames[0]!.length, frames[0]!.length + frames[1]!.length].includes(before.length), `${name}: ping at ${at}`);
      assert.ok(Buffer.concat([before, out.subarray(at + ping.length)]).equals(Buffer.concat(frames)), name);
    }
  });

  it('a 64-bit length beyond 2^53 breaks the gate', () => {
    const bad = Buffer.from([0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const gate = new FrameGate(new BackendPolicy(0), () => {});
    assert.equal(gate.push(bad), false);
    assert.equal(gate.broken, true);
  });
});

it('NONCE_LENGTH matches the test nonce', () => assert.equal(NONCE.length, NONCE_LENGTH));
