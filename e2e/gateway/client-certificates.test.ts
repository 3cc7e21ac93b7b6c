// Client certificates through a Gateway HTTPS listener on the real node: a `wsgate controller`
// on the host (--gateway-api on, its own address pool), a Gateway whose spec.tls.frontend names
// a CA bundle ConfigMap, an echo pod behind an HTTPRoute. A WebSocket client with a certificate
// of that CA is served and the pod's greeting shows the X-Forwarded-Client-Cert wsgate set from
// it (not the one the client forged); a client without a certificate, or with another CA's, is
// refused at the TLS handshake and no pod sees it.
//
// Needs the node of e2e/node/node.sh (make e2e-up). Without it the suite is skipped, unless
// CI=true, where that is a failure.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { WsgateChild } from '../../test/helpers/wsgate-child.js';
import { makeCa, type TestCa } from '../../test/helpers/certs.js';
import { apply, clusterDir, eventually, kubectlOk } from '../helpers/cluster.js';
import { echoDeployment, GATEWAY, gatewayClass, installGatewayCrds, programmedAddress, startGatewayController, deleteGatewayTestObjects } from '../helpers/gateway-api.js';

function nodeIsUp(): boolean {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(clusterDir, 'cluster.json'), 'utf8')) as { node?: boolean };
    return info.node === true && fs.existsSync(path.join(clusterDir, 'node/containerd/containerd.sock'));
  } catch {
    return false;
  }
}
const nodeUp = nodeIsUp();
const skip = !nodeUp && process.env.CI !== 'true' ? 'no e2e node (make e2e-up as root starts one)' : false;

const ns = `gw-mtls-${process.pid}`;
const className = `wsgate-${ns}`;
const controllerName = `wsgate.io/e2e-${ns}`;
// A pool and a port no other e2e file uses.
const POOL = '127.0.75.0/24';
const PORT = 18443;
const HOST = 'chat.example.org';

interface Greeting {
  backend: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One WebSocket over wss:// to the Gateway's address; resolves with the pod's greeting, rejects when the connection fails. */
function greet(address: string, serverCa: string, client?: { cert: string; key: string }): Promise<Greeting> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${address}:${PORT}/chat`, {
      // ws passes TLS options through to tls.connect; its types do not list servername.
      ...({ servername: HOST } as object),
      headers: { Host: HOST, 'X-Forwarded-Client-Cert': 'Hash=00;Subject="CN=admin"' },
      ca: serverCa,
      ...(client ?? {}),
      handshakeTimeout: 10_000,
    });
    ws.once('message', (d: Buffer) => {
      resolve(JSON.parse(d.toString()) as Greeting);
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe('client certificates through a Gateway HTTPS listener on a real node', { skip }, () => {
  let wsgate: WsgateChild | undefined;
  let serverCa: TestCa;
  let deviceCa: TestCa;
  let address = '';

  before(async () => {
    assert.ok(nodeUp, 'CI=true needs the e2e node: e2e/run.sh starts it (as root)');
    serverCa = makeCa('e2e server CA');
    deviceCa = makeCa('e2e device CA');
    const server = serverCa.issue(HOST, [HOST]);
    await installGatewayCrds();
    await kubectlOk(['create', 'namespace', ns]);
    await apply([
      gatewayClass(className, controllerName),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'server', namespace: ns }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': server.cert, 'tls.key': server.key } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'devices', namespace: ns }, data: { 'ca.crt': deviceCa.cert } },
      {
        apiVersion: `${GATEWAY}/v1`,
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: ns },
        spec: {
          gatewayClassName: className,
          tls: { frontend: { default: { validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'devices' }] } } } },
          listeners: [{ name: 'https', port: PORT, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'server' }] }, allowedRoutes: { namespaces: { from: 'Same' } } }],
        },
      },
      ...echoDeployment(ns, 'chat', 1),
      {
        apiVersion: `${GATEWAY}/v1`,
        kind: 'HTTPRoute',
        metadata: { name: 'chat', namespace: ns },
        spec: { parentRefs: [{ name: 'gw' }], hostnames: [HOST], rules: [{ backendRefs: [{ name: 'chat', port: 80 }] }] },
      },
    ]);
    wsgate = await startGatewayController({ namespace: ns, lease: 'gw-mtls', controllerName, pool: POOL });
    await wsgate.waitForLog(/became leader/, 30_000);
    address = await programmedAddress(ns, 'gw');
  }, { timeout: 240_000 });

  after(async () => {
    await wsgate?.stop();
    await deleteGatewayTestObjects(ns, className);
  });

  test('a WebSocket client with a certificate of the CA is served; the pod sees the verified X-Forwarded-Client-Cert, not the forged one', async () => {
    const device = deviceCa.issue('device-7', ['device-7.example.org'], 'clientAuth');
    // The pod may still be starting: retried until it greets.
    const hello = await eventually('a pod greets the device', () => greet(address, serverCa.cert, device).catch(() => undefined), 240, 250);
    assert.ok(hello.backend.startsWith('chat-'), hello.backend);
    assert.match(String(hello.headers['x-forwarded-client-cert']), /^Hash=[0-9a-f]{64};Subject="CN=device-7";DNS=device-7\.example\.org$/);
  });

  test('a client without a certificate, or with one of another CA, is refused at the handshake', async () => {
    await assert.rejects(greet(address, serverCa.cert), /certificate required|socket hang up|ECONNRESET|disconnected/i);
    const stranger = makeCa('e2e device CA').issue('device-7', ['device-7.example.org'], 'clientAuth');
    await assert.rejects(greet(address, serverCa.cert, stranger), /socket hang up|ECONNRESET|disconnected|unknown ca|certificate/i);
  });
});
