import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveTraffic } from '../../src/metrics/live-traffic.js';
import { Metrics } from '../../src/metrics/registry.js';
import type { LiveConnection } from '../../src/proxy/live-connection.js';

/** Just what the flush reads of a connection: its backend socket's counters and its trackers' messages. */
function fakeConn(routeKey: string) {
  const c = { routeKey, backend: { bytesWritten: 0, bytesRead: 0 }, upstream: { messages: 0 }, downstream: { messages: 0 } };
  return { c, conn: c as unknown as LiveConnection };
}

async function value(m: Metrics, name: 'bytes' | 'messages', route: string, direction: string): Promise<number> {
  const v = (await m[name].get()).values.find((x) => x.labels.route === route && x.labels.direction === direction);
  return v?.value ?? 0;
}

test('bytes and messages are counted while connections stay open, summed per route, the rest at close', async () => {
  const m = new Metrics();
  const live = liveTraffic(m);
  const a = fakeConn('ns/chat');
  const b = fakeConn('ns/chat');
  const other = fakeConn('ns/feed');
  for (const x of [a, b, other]) live.add(x.conn);
  try {
    a.c.backend.bytesWritten = 100;
    a.c.upstream.messages = 2;
    b.c.backend.bytesRead = 50;
    b.c.downstream.messages = 1;
    other.c.backend.bytesWritten = 7;
    live.flush();
    assert.equal(await value(m, 'bytes', 'chat', 'upstream'), 100);
    assert.equal(await value(m, 'bytes', 'chat', 'downstream'), 50);
    assert.equal(await value(m, 'messages', 'chat', 'upstream'), 2);
    assert.equal(await value(m, 'messages', 'chat', 'downstream'), 1);
    assert.equal(await value(m, 'bytes', 'feed', 'upstream'), 7);
    // Only the growth is added on the next pass.
    a.c.backend.bytesWritten = 130;
    live.flush();
    live.flush();
    assert.equal(await value(m, 'bytes', 'chat', 'upstream'), 130);
    // A closing connection's last bytes are counted at once.
    b.c.backend.bytesRead = 80;
    live.remove(b.conn);
    assert.equal(await value(m, 'bytes', 'chat', 'downstream'), 80);
    live.remove(b.conn);
    assert.equal(await value(m, 'bytes', 'chat', 'downstream'), 80, 'removing twice counts nothing twice');
  } finally {
    live.remove(a.conn);
    live.remove(other.conn);
  }
});
