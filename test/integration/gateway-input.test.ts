// WsgateProcess.applyRoutes with the Gateway API input: the table (and, with worker threads, every
// worker's own compile of the posted snapshot) holds the HTTPRoute entries, and /debug/routes
// lists them with their kind and socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { WsgateProcess } from '../../src/process.js';
import { route } from '../fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { entry, gatewayInput, services } from '../routing/gateway-entries.js';

interface DebugRoutes {
  version: number;
  workers?: Array<{ version: number }>;
  listeners: Array<{ key: string; port: number; protocol: string }>;
  routes: Array<{ key: string; kind: string; listener: string; method?: string; gateway?: { route: string; backends: Array<{ weight: number; resolved: boolean; endpoints: number }>; mirrors?: Array<{ percent: number; resolved: boolean; endpoints: number }> } }>;
}

for (const workers of [1, 2]) {
  test(`applyRoutes with a gateway input, ${workers} data plane(s): /debug/routes lists HTTPRoute entries with kind and listener`, async () => {
    const wsgate = new WsgateProcess({ logger: pino({ level: 'silent' }), workers });
    // No sockets to open: this test is about the table, not about serving the Gateway ports
    // (the table's listeners are covered in test/routing/gateway-compile.test.ts).
    const echo = { valid: true, namespace: 'apps', name: 'echo', port: 8080, weight: 3, scheme: 'ws' } as const;
    const mirrors = [{ backend: { ...echo, name: 'other', port: 9090, weight: 1 }, percent: 50 }];
    const gateway = { ...gatewayInput([entry('r', { method: 'POST', backends: [echo, { valid: false, weight: 1, reason: 'BackendNotFound', message: 'gone' }], filters: { mirrors } })]), sockets: [] };
    wsgate.applyRoutes([route('w', { match: { path: '/w' } })], services, undefined, gateway);
    const { admin } = await wsgate.start({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${admin.port}`;
      await eventually('ready', async () => (await fetch(`${base}/readyz`)).status === 200);
      const debug = (await (await fetch(`${base}/debug/routes`)).json()) as DebugRoutes;
      const byKey = new Map(debug.routes.map((r) => [r.key, r]));
      assert.deepEqual([byKey.get('default/w')?.kind, byKey.get('default/w')?.listener], ['WebSocketRoute', 'main']);
      const h = byKey.get('HTTPRoute/apps/r/rule-0/match-0@infra/gw/http');
      assert.deepEqual([h?.kind, h?.listener, h?.method, h?.gateway?.route], ['HTTPRoute', 'gw-80', 'POST', 'HTTPRoute/apps/r']);
      assert.deepEqual(h?.gateway?.backends, [{ weight: 3, resolved: true, endpoints: 2 }, { weight: 1, resolved: false, endpoints: 0 }]);
      assert.deepEqual(h?.gateway?.mirrors, [{ percent: 50, resolved: true, endpoints: 1 }], 'RequestMirror targets, resolved by the worker\'s own compile too');
      assert.deepEqual(debug.listeners, []);
      if (workers > 1) assert.deepEqual(debug.workers?.map((w) => w.version), [debug.version, debug.version]);
      // A Secret change recompiles the last input, the gateway part included.
      wsgate.reapply();
      const again = (await (await fetch(`${base}/debug/routes`)).json()) as DebugRoutes;
      assert.ok(again.routes.some((r) => r.kind === 'HTTPRoute'));
    } finally {
      await wsgate.stop();
    }
  });
}
