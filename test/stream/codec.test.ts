import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage, encodeFrame, FrameError, FrameReader, STREAM_PROTOCOL } from '../../src/stream/codec.js';
import { sampleSnapshot } from './sample.js';

function bodies(frame: Buffer, chunkSize: number): Buffer[] {
  const reader = new FrameReader();
  const out: Buffer[] = [];
  for (let i = 0; i < frame.length; i += chunkSize) out.push(...reader.push(frame.subarray(i, i + chunkSize)));
  return out;
}

describe('snapshot stream codec', () => {
  test('a snapshot survives the wire: routes, endpoints, Secret bytes and failed lookups', () => {
    const s = sampleSnapshot(7);
    const [body] = bodies(encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: s }), 1 << 20);
    const m = decodeMessage(body!);
    assert.equal(m.type, 'snapshot');
    assert.deepEqual(m.type === 'snapshot' && m.snapshot, s);
    const secret = m.type === 'snapshot' ? m.snapshot.secrets![0]![1] : undefined;
    assert.ok(secret?.ok && Buffer.isBuffer(secret.data.raw), 'Secret data arrives as Buffers');
    assert.equal(m.type === 'snapshot' && m.snapshot.routes[0]!.spec.requestHeaders?.set?.$b64, 'AAEC');
  });

  test('frames split at any byte boundary, and several in one read, come out whole and in order', () => {
    const frames = Buffer.concat([
      encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: sampleSnapshot(1) }),
      encodeFrame({ type: 'heartbeat', protocol: STREAM_PROTOCOL, version: 1 }),
      encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: sampleSnapshot(2) }),
    ]);
    for (const size of [1, 3, 7, 64, frames.length]) {
      const got = bodies(frames, size).map((b) => decodeMessage(b));
      assert.deepEqual(
        got.map((m) => (m.type === 'snapshot' ? `s${m.snapshot.version}` : `h${m.version}`)),
        ['s1', 'h1', 's2'],
        `chunks of ${size}`,
      );
    }
  });

  test('an oversized frame, a foreign protocol and garbage are refused', () => {
    const reader = new FrameReader(100);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(101);
    assert.throws(() => reader.push(head), FrameError);
    const other = Buffer.from(JSON.stringify({ type: 'heartbeat', protocol: STREAM_PROTOCOL + 1, version: 1 }));
    assert.throws(() => decodeMessage(other), /protocol/);
    assert.throws(() => decodeMessage(Buffer.from('{nope')), FrameError);
    assert.throws(() => decodeMessage(Buffer.from(JSON.stringify({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: { version: 'x' } }))), FrameError);
  });

  test('the affinity key crosses as bytes; a snapshot without one has none; a key that is not a base64 string is refused', () => {
    const key = Buffer.from([0, 1, 2, 0xff, 0x0a]);
    const withKey = decodeMessage(bodies(encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: { ...sampleSnapshot(3), affinityKey: key } }), 1 << 20)[0]!);
    assert.ok(withKey.type === 'snapshot' && Buffer.isBuffer(withKey.snapshot.affinityKey) && withKey.snapshot.affinityKey.equals(key));
    const without = decodeMessage(bodies(encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: sampleSnapshot(4) }), 1 << 20)[0]!);
    assert.ok(without.type === 'snapshot' && !('affinityKey' in without.snapshot));
    const wire = JSON.parse(bodies(encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: sampleSnapshot(5) }), 1 << 20)[0]!.toString()) as { snapshot: Record<string, unknown> };
    for (const bad of [42, '', { data: [1] }]) {
      wire.snapshot.affinityKey = bad;
      assert.throws(() => decodeMessage(Buffer.from(JSON.stringify(wire))), /affinityKey/);
    }
  });
});
