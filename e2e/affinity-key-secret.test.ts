// The session-affinity key Secret on a real kube-apiserver (no Helm `lookup`): two controllers
// started together with --affinity-key-create race to create the missing Secret and end with
// one key, both signing cookies with it; an edited Secret is honoured by both without a restart
// (a cookie of the old key still sticks for --affinity-key-grace and is re-issued under the new).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { AffinityCodec } from '../src/balancer/affinity.js';
import { AffinityKeySecret } from '../src/controller/affinity-key-secret.js';
import { compile } from '../src/routing/compile.js';
import type { WebSocketRoute } from '../src/api/types.js';
import { getWithAffinity, startAffinityBackend, type AffinityBackend } from '../test/helpers/affinity-backend.js';
import { scrapeMetrics } from '../test/helpers/metrics-scrape.js';
import { repoRoot, startWsgate, type WsgateChild } from '../test/helpers/wsgate-child.js';
import { apply, clusterAvailable, eventually, kubeconfig, kubectl, kubectlOk, wsRoute } from './helpers/cluster.js';

/** GET /app/x with the `sticky` cookie, if given; the `sticky` value set in the answer. */
const get = async (target: WsgateChild, cookie?: string) => {
  const r = await getWithAffinity(target.proxyPort, '/app/x', 'sticky', cookie);
  return { backend: r.backend, sticky: r.setValue };
};

const ns = `e2e-affkey-${process.pid}-${Date.now() % 100000}`;
const SECRET = 'wsgate-affinity-key';

async function secretKey(): Promise<Buffer> {
  const b64 = await kubectlOk(['get', 'secret', SECRET, '-n', ns, '-o', 'jsonpath={.data.key}']);
  return Buffer.from(Buffer.from(b64, 'base64').toString('utf8').replace(/\r?\n$/, ''));
}

describe('affinity key Secret created and watched by the controller', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  let backend: AffinityBackend;
  let routeObject: WebSocketRoute;
  const gws: WsgateChild[] = [];

  before(async () => {
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', ns]);
    backend = await startAffinityBackend('only');
    routeObject = wsRoute(ns, 'app', {
      match: { path: '/app/{rest}' },
      backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] },
      http: { methods: ['GET'] },
      sessionAffinity: { cookie: { name: 'sticky' } },
    }) as WebSocketRoute;
    await apply([routeObject]);
  });

  after(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    await backend?.close();
  });

  /** The cookie value for the one endpoint under `key`, as any wsgate computes it. */
  const expected = (key: Buffer) => {
    const compiled = compile({ routes: [{ ...routeObject, metadata: { ...routeObject.metadata, generation: 1 } }] }).table.routes[0]!;
    return new AffinityCodec(key).valueFor(compiled, compiled.backend.eligible[0]!);
  };

  test('two controllers racing to create the missing Secret end with one key, and both sign with it', async () => {
    assert.equal((await kubectl(['get', 'secret', SECRET, '-n', ns])).code, 1, 'no Secret before the controllers start');
    const args = [
      'controller', '--kubeconfig', kubeconfig, '--watch-namespaces', ns, '--no-leader-elect', '--no-watch-secrets',
      '--affinity-key-secret', `${ns}/${SECRET}`, '--affinity-key-create', '--affinity-key-grace', '1h',
    ];
    gws.push(...(await Promise.all([startWsgate(args), startWsgate(args)])));
    for (const gw of gws) await eventually('the key loaded', () => gw.stderr().includes('session-affinity key loaded'));
    const created = gws.filter((g) => g.stderr().includes('created the session-affinity key Secret')).length;
    assert.ok(created <= 1, `at most one controller created the Secret (${created})`);
    const key = await secretKey();
    assert.ok(key.length >= 32, 'a random key of 32 bytes as text');
    await Promise.all(gws.map((gw) => eventually('the route served', async () => (await get(gw)).backend === 'only')));
    for (const gw of gws) assert.equal((await get(gw)).sticky, expected(key), 'the cookie is signed with the Secret\'s key');
  });

  test('ensure() called by two at once (both usually read 404, one create gets 409 and reads back the winner) ends with one Secret and one key', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const name = 'raced-key';
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const make = () => new AffinityKeySecret({ kc, namespace: ns, name, create: true, log, onKey: () => {} });
    const [a, b] = await Promise.all([make().ensure(), make().ensure()]);
    assert.equal(lines.filter((l) => l.includes('created the session-affinity key Secret')).length, 1, lines.join(''));
    assert.equal(a.data?.key, b.data?.key, 'both end with the one key');
    assert.equal(a.metadata?.uid, b.metadata?.uid, 'one Secret');
    const stored = await kubectlOk(['get', 'secret', name, '-n', ns, '-o', 'jsonpath={.data.key}']);
    assert.equal(stored, a.data?.key);
  });

  test('an edited Secret is honoured without a restart: the old cookie sticks and is re-issued under the new key', async () => {
    const pids = gws.map((g) => g.child.pid);
    const oldCookie = expected(await secretKey());
    const newKey = Buffer.from(crypto.randomBytes(32).toString('hex'));
    await kubectlOk(['patch', 'secret', SECRET, '-n', ns, '--type', 'merge', '-p', JSON.stringify({ data: { key: newKey.toString('base64') } })]);
    for (const gw of gws) {
      await eventually('the key change', async () => /^wsgate_affinity_key_changes_total\{source="secret"\} 1$/m.test(await scrapeMetrics(gw)));
      const r = await get(gw, oldCookie);
      assert.equal(r.backend, 'only');
      assert.equal(r.sticky, expected(newKey), 'a cookie of the previous key is answered with one of the new key');
      const current = await get(gw, r.sticky);
      assert.equal(current.sticky, undefined, 'a cookie of the new key is current');
      assert.ok(!gw.stderr().includes(newKey.toString()), 'no key material in the log');
    }
    assert.deepEqual(gws.map((g) => g.child.pid), pids);
    assert.ok(gws.every((g) => g.child.exitCode === null), 'no controller restarted');
  });
});
