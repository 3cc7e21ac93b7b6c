// A Gateway socket on ::1 in a real data plane (DataPlane, as a worker thread runs it) with an
// HTTPRoute entry to a WebSocket backend: an IPv6 client is upgraded and named in full to the
// backend; with --proxy-protocol ::1 the socket reads the client from the header, and the
// entry's per-client limit (a WebSocketPolicy's limits) counts IPv6 clients by their /64.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import { gatewayPortId, type GatewaySocketInput } from '../../src/routing/gateway-types.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import { DataPlane, type SecurityOptions } from '../../src/workers/data-plane.js';
import { proxyV2 } from '../helpers/proxy-header.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { rawUpgradeHello, type RawUpgradeResult } from '../helpers/raw-ws.js';
import { entry, service } from '../routing/gateway-entries.js';

const SOCKET: GatewaySocketInput = { key: 'gw-v6', address: '::1', port: 0, protocol: 'HTTP', certificates: [] };

describe('a Gateway socket on ::1 in the data plane', () => {
  let backend: EchoServer;
  const planes: DataPlane[] = [];

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
  });

  after(async () => {
    for (const p of planes) await p.stop();
    await backend?.close();
  });

  /** A data plane on [::1] whose Gateway socket gw-v6 (on ::1) serves /chat with `limits`; resolves to the socket's port. */
  async function planeWith(security: SecurityOptions, limits?: { maxConnectionsPerClient: number }): Promise<number> {
    const plane = new DataPlane({ logger: pino({ level: 'silent' }), metrics: new Metrics({ defaultMetrics: false }), affinityKey: randomAffinityKey(), security });
    planes.push(plane);
    await plane.listen({ host: '::1', port: 0 }, undefined);
    const resolveService: ServiceResolver = () => ({ ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] });
    const chat = entry('chat', { path: { type: 'PathPrefix', value: '/chat' }, backends: [service('chat', 80)] }, limits ? { behaviour: { limits } } : {});
    const out = compile({ routes: [], resolveService, version: 1, gateway: { entries: [chat], sockets: [SOCKET], socketOf: { [gatewayPortId('infra', 'gw', 80)]: SOCKET.key } } });
    plane.setTable(out.table, undefined);
    await plane.gatewaySocketsSynced();
    const bound = plane.gatewaySocket(SOCKET.key);
    assert.equal(bound?.host, '::1');
    return bound.port;
  }

  test('an IPv6 client: 101, and ::1 in X-Forwarded-For, X-Real-IP and Forwarded', async () => {
    const port = await planeWith({});
    const r = await rawUpgradeHello(port, upgradeRequest('/chat'), 5000, { host: '::1' });
    assert.equal(r.status, 101);
    assert.equal(r.hello?.headers['x-forwarded-for'], '::1');
    assert.equal(r.hello?.headers['x-real-ip'], '::1');
    assert.match(String(r.hello?.headers['forwarded']), /for="\[::1\]"/);
  });

  test('with --proxy-protocol ::1: the carried IPv6 client, and maxConnectionsPerClient counts its /64', async () => {
    const port = await planeWith({ proxyProtocol: ['::1'] }, { maxConnectionsPerClient: 1 });
    const from = (client: string, keepOpen = false) => rawUpgradeHello(port, upgradeRequest('/chat'), 5000, { host: '::1', prefix: proxyV2({ src: client }), keepOpen });
    const open: RawUpgradeResult[] = [];
    try {
      const first = await from('fd00::1', true);
      open.push(first);
      assert.equal(first.status, 101);
      assert.equal(first.hello?.headers['x-forwarded-for'], 'fd00::1');
      assert.equal((await from('fd00::2')).status, 429, 'fd00::2 is in the /64 of fd00::1');
      const other = await from('fd00:0:0:1::1', true);
      open.push(other);
      assert.equal(other.status, 101, 'another /64');
      // Without a header, from the balancer's own address: closed unanswered.
      assert.equal((await rawUpgradeHello(port, upgradeRequest('/chat'), 5000, { host: '::1' })).status, 0);
    } finally {
      for (const r of open) r.socket.destroy();
    }
  });
});
