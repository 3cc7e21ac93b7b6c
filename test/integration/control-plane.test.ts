// `controller --no-proxy`'s side without a cluster: the ControlPlane compiles with the
// controller's resolvers (Service endpoints, Secrets) and streams the snapshot to a real
// `wsgate proxy` process, which serves the Service's endpoints and presents the default
// certificate it never read from anywhere but the stream.

import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { ControlPlane } from '../../src/control-plane.js';
import { makeEndpoint, type SecretResolver, type ServiceResolver } from '../../src/routing/types.js';
import { makeCa, streamTlsDir, type TestCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, type WsgateChild } from '../helpers/wsgate-child.js';
import { route } from '../fixtures.js';

const CONTROLLER = 'wsgate-controller.wsgate.svc';

const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

describe('controller --no-proxy (ControlPlane) feeding a wsgate proxy', () => {
  let ca: TestCa;
  let echo: EchoServer;
  let plane: ControlPlane;
  let proxy: WsgateChild;
  let adminPort = 0;
  let site: { cert: string; key: string };

  before(async () => {
    ca = makeCa('no-proxy install');
    echo = await startEchoServer({ name: 'echo-pod', host: '127.0.0.1', port: 0 });
    site = ca.issue('default.example', ['default.example']);
    const c = ca.issue('wsgate-controller', [CONTROLLER], 'serverAuth');
    plane = new ControlPlane({
      logger: pino({ level: 'silent' }),
      security: { tlsDefaultSecret: { namespace: 'edge', name: 'default-cert' } },
      stream: { tls: { ca: Buffer.from(ca.cert), cert: Buffer.from(c.cert), key: Buffer.from(c.key) }, clientName: 'wsgate-proxy', heartbeatMs: 200 },
    });
    const bound = await plane.start({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
    adminPort = bound.admin.port;
    proxy = await startWsgate([
      'proxy',
      '--controller', `127.0.0.1:${bound.stream.port}`,
      '--controller-name', CONTROLLER,
      '--snapshot-tls-dir', streamTlsDir(ca, ca.issue('wsgate-proxy', ['wsgate-proxy'], 'clientAuth')),
      '--tls-listen', '127.0.0.1:0',
      '--tls-default-secret', 'edge/default-cert',
    ]);
  });

  after(async () => {
    await proxy?.stop();
    await plane?.stop();
    await echo?.close();
  });

  test('not ready before the first compile; then the proxy serves the Service endpoints and the default certificate from the stream', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status, 503);
    const services: ServiceResolver = (ns, ref) =>
      ns === 'edge' && ref.name === 'chat' ? { ok: true, endpoints: [makeEndpoint('127.0.0.1', echo.port)] } : { ok: false, reason: 'ServiceNotFound', message: 'no such Service' };
    const secrets: SecretResolver = (ns, name) =>
      ns === 'edge' && name === 'default-cert'
        ? { ok: true, data: { 'tls.crt': Buffer.from(site.cert), 'tls.key': Buffer.from(site.key) } }
        : { ok: false, reason: 'SecretNotFound', message: 'no such Secret' };
    const out = plane.applyRoutes([route('chat', { match: { path: '/chat' }, backend: { service: { name: 'chat', port: 80 } } }, { namespace: 'edge' })], services, secrets);
    assert.equal(out.statuses.get('edge/chat')?.accepted.status, 'True');
    assert.equal((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status, 200);

    await eventually('the proxy ready with the table', async () => (await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`)).status === 200);
    const client = await connect(`${proxy.url}/chat`);
    assert.equal(client.hello.backend, 'echo-pod');
    await client.close();

    // The default certificate: the proxy has no Secret source but the snapshot.
    const cn = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: proxy.tlsPort!, ca: ca.cert, servername: 'default.example' }, () => {
        resolve(String(s.getPeerCertificate().subject?.CN));
        s.destroy();
      });
      s.once('error', reject);
    });
    assert.equal(cn, 'default.example');
  });

  test('each side exports its own metrics: no data-plane series on the controller, no leader on the proxy', async () => {
    const controller = await scrape(adminPort);
    assert.match(controller, /^wsgate_snapshot_subscribers 1$/m);
    assert.match(controller, /^wsgate_routes\{state="accepted"\} 1$/m);
    assert.doesNotMatch(controller, /wsgate_controller_connected|wsgate_snapshot_age_seconds|wsgate_connections_active/);
    const data = await scrape(proxy.adminPort);
    assert.match(data, /^wsgate_controller_connected 1$/m);
    assert.match(data, /^wsgate_snapshot_age_seconds \d/m);
    assert.doesNotMatch(data, /wsgate_leader|wsgate_watch_errors_total|wsgate_snapshot_subscribers/);
  });
});
