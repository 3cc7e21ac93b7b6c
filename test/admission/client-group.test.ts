// The admission stage counts an IPv6 client's prefix (--client-ipv6-prefix) against the per-client
// limits, with a clock of the test's own (no waiting for a token bucket), and still names the
// client's full address in the headers for the backend.

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { SecurityGuard } from '../../src/admission/guard.js';
import { applyDefaults } from '../../src/api/defaults.js';
import { RequestContext } from '../../src/pipeline/context.js';
import type { CompiledRoute } from '../../src/routing/types.js';
import { compileRouteSecurity } from '../../src/security/compile-security.js';
import { Limiter } from '../../src/security/rate-limit.js';
import { route } from '../fixtures.js';

function limitedRoute(limits: { maxConnectionsPerClient?: number; upgradesPerSecondPerClient?: number }): CompiledRoute {
  const spec = applyDefaults(route('r', { limits }).spec);
  return { key: 'default/r', security: compileRouteSecurity(spec, 'default', undefined).security } as CompiledRoute;
}

/** A request from `peer`, routed to `r`. */
function request(peer: string, r: CompiledRoute): RequestContext {
  const req = { method: 'GET', url: '/', headers: { host: 'example.com' }, socket: { remoteAddress: peer, destroyed: false } } as unknown as IncomingMessage;
  const ctx = new RequestContext('upgrade', req, peer);
  ctx.route = r;
  return ctx;
}

function guard(clientIpv6Prefix?: number): SecurityGuard {
  // The clock stands still: a token taken is not given back during the test.
  const limiter = new Limiter({ now: () => 0, sweepIntervalMs: 0 });
  return new SecurityGuard({ log: pino({ level: 'silent' }), limiter, ...(clientIpv6Prefix !== undefined ? { clientIpv6Prefix } : {}) });
}

const statusOf = async (g: SecurityGuard, ctx: RequestContext) => {
  const v = await g.admit(ctx);
  return v.ok ? 'ok' : v.status;
};

describe('admission counts IPv6 clients by prefix', () => {
  it('default /64: one upgrade token a second is shared by the addresses of one /64, not by another /64', async () => {
    const g = guard();
    const r = limitedRoute({ upgradesPerSecondPerClient: 1 });
    const first = request('2001:db8:0:1::1', r);
    assert.equal(await statusOf(g, first), 'ok');
    assert.equal(first.client, '2001:db8:0:1::1');
    assert.equal(first.clientGroup, '2001:db8:0:1::/64');
    assert.equal(first.req.headers['x-forwarded-for'], '2001:db8:0:1::1', 'the backend sees the address, not the group');
    assert.equal(first.req.headers['x-real-ip'], '2001:db8:0:1::1');
    assert.equal(await statusOf(g, request('2001:db8:0:1::ffff', r)), 429);
    assert.equal(await statusOf(g, request('2001:db8:0:2::1', r)), 'ok');
    g.stop();
  });

  it('/128: each address has its own bucket', async () => {
    const g = guard(128);
    const r = limitedRoute({ upgradesPerSecondPerClient: 1 });
    assert.equal(await statusOf(g, request('2001:db8:0:1::1', r)), 'ok');
    assert.equal(await statusOf(g, request('2001:db8:0:1::2', r)), 'ok');
    assert.equal(await statusOf(g, request('2001:db8:0:1::1', r)), 429);
    g.stop();
  });

  it('/48: maxConnectionsPerClient spans the /48; releasing one connection frees the slot for the prefix', async () => {
    const g = guard(48);
    const r = limitedRoute({ maxConnectionsPerClient: 1 });
    const held = request('2001:db8:5:1::1', r);
    assert.equal(await statusOf(g, held), 'ok');
    assert.equal(await statusOf(g, request('2001:db8:5:ff::1', r)), 429);
    assert.equal(await statusOf(g, request('2001:db8:6::1', r)), 'ok');
    held.release();
    assert.equal(await statusOf(g, request('2001:db8:5:ff::1', r)), 'ok');
    g.stop();
  });

  it('IPv4 and IPv4-mapped peers: one client, never grouped', async () => {
    const g = guard(0);
    const r = limitedRoute({ maxConnectionsPerClient: 1 });
    assert.equal(await statusOf(g, request('::ffff:192.0.2.1', r)), 'ok');
    assert.equal(await statusOf(g, request('192.0.2.1', r)), 429);
    assert.equal(await statusOf(g, request('192.0.2.2', r)), 'ok');
    g.stop();
  });
});
