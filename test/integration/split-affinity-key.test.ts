// Split mode: the session-affinity key goes from the controller (ControlPlane.setAffinityKey, fed
// by the key Secret) to a real `wsgate proxy --workers 2` over the snapshot stream, never from
// the API: the proxy's cookies are signed with the controller's key, and a changed key reaches
// it without a restart while cookies of the previous key still stick.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ControlPlane } from '../../src/control-plane.js';
import { AffinityCodec } from '../../src/balancer/affinity.js';
import { compile } from '../../src/routing/compile.js';
import { getWithAffinity, startAffinityBackend, type AffinityBackend } from '../helpers/affinity-backend.js';
import { makeCa, streamTlsDir } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { scrapeMetrics } from '../helpers/metrics-scrape.js';
import { startWsgate, type WsgateChild } from '../helpers/wsgate-child.js';
import { route } from '../fixtures.js';

/** GET /app/x with the `sticky` cookie, if given; the `sticky` value set in the answer. */
const get = async (target: WsgateChild, cookie?: string) => {
  const r = await getWithAffinity(target.proxyPort, '/app/x', 'sticky', cookie);
  return { backend: r.backend, sticky: r.setValue };
};

const CONTROLLER = 'wsgate-controller.wsgate.svc';

describe('split mode: the affinity key over the snapshot stream', () => {
  let backends: AffinityBackend[];
  let plane: ControlPlane;
  let proxy: WsgateChild;
  const keyA = Buffer.from(crypto.randomBytes(32).toString('hex'));
  const keyB = Buffer.from(crypto.randomBytes(32).toString('hex'));

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startAffinityBackend(n)));
    const ca = makeCa('split affinity install');
    const c = ca.issue('wsgate-controller', [CONTROLLER], 'serverAuth');
    plane = new ControlPlane({
      logger: pino({ level: 'silent' }),
      stream: { tls: { ca: Buffer.from(ca.cert), cert: Buffer.from(c.cert), key: Buffer.from(c.key) }, clientName: 'wsgate-proxy', heartbeatMs: 200 },
    });
    const bound = await plane.start({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
    proxy = await startWsgate([
      'proxy',
      '--controller', `127.0.0.1:${bound.stream.port}`,
      '--controller-name', CONTROLLER,
      '--snapshot-tls-dir', streamTlsDir(ca, ca.issue('wsgate-proxy', ['wsgate-proxy'], 'clientAuth')),
      '--affinity-key-grace', '1h',
      '--workers', '2',
    ]);
  });

  after(async () => {
    await proxy?.stop();
    await plane?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  test('the proxy signs with the controller\'s key; a new key reaches it over the stream and old cookies still stick', async () => {
    const app = route('app', {
      match: { path: '/app/{rest}' },
      backend: { endpoints: backends.map((b) => ({ host: '127.0.0.1', port: b.port })) },
      http: { methods: ['GET'] },
      loadBalancer: { policy: 'RoundRobin' },
      sessionAffinity: { cookie: { name: 'sticky' } },
    });
    // What a cookie for each backend is under a key: the proxy must agree with these.
    const compiled = compile({ routes: [app] }).table.routes[0]!;
    const expected = (key: Buffer, backend: string) => {
      const port = backends.find((b) => b.name === backend)!.port;
      return new AffinityCodec(key).valueFor(compiled, compiled.backend.eligible.find((e) => e.port === port)!);
    };

    plane.setAffinityKey(keyA);
    plane.applyRoutes([app]);
    await eventually('the proxy ready with the table', async () => (await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`)).status === 200);
    const first = await get(proxy);
    assert.equal(first.sticky, expected(keyA, first.backend), 'the cookie is signed with the key from the stream');
    const loaded = await scrapeMetrics(proxy);
    assert.doesNotMatch(loaded, /^wsgate_affinity_key_changes_total\{source="stream"\} [1-9]/m, 'the first key is a load, not a change');

    plane.setAffinityKey(keyB);
    await eventually('the key change on the proxy', async () => /^wsgate_affinity_key_changes_total\{source="stream"\} 1$/m.test(await scrapeMetrics(proxy)));
    // On both workers: the old cookie sticks and is answered with one of the new key.
    for (let i = 0; i < 6; i++) {
      const r = await get(proxy, first.sticky);
      assert.equal(r.backend, first.backend);
      assert.equal(r.sticky, expected(keyB, first.backend));
    }
    // The same key again (a resync of an unchanged Secret) is not a change.
    plane.setAffinityKey(Buffer.from(keyB));
    assert.match(await scrapeMetrics(proxy), /^wsgate_affinity_key_changes_total\{source="stream"\} 1$/m);
    const log = proxy.stderr();
    assert.ok(!log.includes(keyA.toString()) && !log.includes(keyB.toString()) && !log.includes(keyB.toString('base64')), 'no key material in the log');
  });
});
