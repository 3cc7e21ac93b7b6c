// The choose and respond stages' affinity part (src/proxy/choose.ts) across a key change: a value
// of the previous key keeps the client on its endpoint and is answered with a value of the
// current key; one that ends (HTTPRoute sessionPersistence.absoluteTimeout) keeps its end, so a
// key change extends no session; one of the current key is not answered again.

import assert from 'node:assert/strict';
import type http from 'node:http';
import { test } from 'node:test';
import { AffinityCodec } from '../../src/balancer/affinity.js';
import { EndpointHealth } from '../../src/balancer/health.js';
import { EndpointLoad } from '../../src/balancer/load.js';
import { RequestContext } from '../../src/pipeline/context.js';
import { EndpointChooser } from '../../src/proxy/choose.js';
import { compile } from '../../src/routing/compile.js';
import type { CompiledRoute } from '../../src/routing/types.js';
import { route } from '../fixtures.js';

const GRACE_MS = 60_000;

function endingRoute(): CompiledRoute {
  const r = route('r', {
    backend: { endpoints: [1, 2, 3].map((i) => ({ host: '127.0.0.1', port: 9000 + i })) },
    sessionAffinity: { cookie: {} },
  });
  const compiled = compile({ routes: [r] }).table.routes[0]!;
  return { ...compiled, affinity: { ...compiled.affinity!, absoluteTimeoutSeconds: 600 } };
}

/** One request with the affinity cookie `value`: the endpoint chosen and the value handed out. */
function exchange(chooser: EndpointChooser, r: CompiledRoute, value: string) {
  const req = { url: '/', headers: { cookie: `${r.affinity!.name}=${value}` }, socket: {} } as unknown as http.IncomingMessage;
  const ctx = new RequestContext('upgrade', req, '127.0.0.1');
  ctx.route = r;
  ctx.endpoint = chooser.choose(ctx, new Set());
  const header = chooser.affinityHeaderFor(ctx);
  return { ctx, handedOut: header && /=([^;]+)/.exec(header.value)![1] };
}

test('a v2 cookie of the previous key: same endpoint, a new value of the current key with the same end; that one is not answered again', () => {
  let now = 1_800_000_000_000;
  const codec = new AffinityCodec('old key 0123456789abcdef', { graceMs: GRACE_MS, now: () => now });
  const chooser = new EndpointChooser(new EndpointLoad(), new EndpointHealth(), codec);
  const r = endingRoute();
  const ep = r.backend.eligible[2]!;
  const oldValue = codec.valueFor(r, ep);
  codec.setKey('new key 0123456789abcdef');
  now += 30_000;

  const first = exchange(chooser, r, oldValue);
  assert.equal(first.ctx.affinity, 'hit');
  assert.equal(first.ctx.endpoint, ep);
  assert.ok(first.handedOut, 'a value of the previous key is answered with one of the current key');
  assert.notEqual(first.handedOut, oldValue);
  assert.equal(first.handedOut!.split('.')[2], oldValue.split('.')[2], 'with the end the first value carried');

  const second = exchange(chooser, r, first.handedOut!);
  assert.equal(second.ctx.endpoint, ep);
  assert.equal(second.handedOut, undefined, 'the client has a value of the current key');
});

test('the previous key past its grace: a new session (a new value with a new end)', () => {
  let now = 1_800_000_000_000;
  const codec = new AffinityCodec('old key 0123456789abcdef', { graceMs: GRACE_MS, now: () => now });
  const chooser = new EndpointChooser(new EndpointLoad(), new EndpointHealth(), codec);
  const r = endingRoute();
  const oldValue = codec.valueFor(r, r.backend.eligible[0]!);
  codec.setKey('new key 0123456789abcdef');
  now += GRACE_MS;
  const { ctx, handedOut } = exchange(chooser, r, oldValue);
  assert.equal(ctx.affinity, 'stale');
  assert.notEqual(handedOut!.split('.')[2], oldValue.split('.')[2]);
});
