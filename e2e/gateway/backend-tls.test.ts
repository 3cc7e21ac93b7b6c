// BackendTLSPolicy on the real node: an HTTPRoute to a pod that serves only TLS (the conformance
// suite's echo-basic with a certificate of a CA made here) is reached over TLS when a
// BackendTLSPolicy names the CA ConfigMap and the certificate's hostname: plain requests arrive
// with that hostname as SNI, WebSocket upgrades echo. A policy whose CA did not sign the pod's
// certificate: 502 for both, and the policy itself is still Accepted (the CA is valid, it is just
// not the right one).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import WebSocket from 'ws';
import { makeCa } from '../../test/helpers/certs.js';
import { repoRoot, type WsgateChild } from '../../test/helpers/wsgate-child.js';
import { apply, briefConditions, eventually, getJsonIn, kubectlOk, nodeAvailable } from '../helpers/cluster.js';
import { GATEWAY, gatewayClass, httpGateway, installGatewayCrds, programmedAddress, startGatewayController, deleteGatewayTestObjects } from '../helpers/gateway-api.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const up = nodeAvailable();
const skip = !up && process.env.CI !== 'true' ? 'no e2e node (make e2e-up as root starts one)' : false;

const ns = `btls-e2e-${process.pid}`;
const className = `wsgate-${ns}`;
const controllerName = `wsgate.io/e2e-btls-${process.pid}`;
const POOL = '127.32.0.0/24';
const PORT = 18081;
const HOSTNAME = 'backend.btls.test';

const brief = briefConditions;
const getJson = (args: string[]): Promise<Json> => getJsonIn(ns, args);

/** The suite's echo-basic image, loaded onto the node by conformance-images.sh (built from the module, no registry). */
function echoBasicImage(): string {
  const out = execFileSync('bash', ['e2e/gateway/conformance-images.sh'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const image = out.split('\n').find((l) => l.startsWith('registry.k8s.io/gateway-api/echo-basic:'));
  assert.ok(image, 'conformance-images.sh names the echo-basic image');
  return image;
}

function get(address: string, host: string, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: address, port: PORT, path: p, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no response in 10 s')));
    req.on('error', reject);
  });
}

/** An upgrade to echo-basic's /ws (it wants an Origin); resolves with the echo, or rejects with the refusal's status. */
function wsEcho(address: string, host: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${address}:${PORT}/ws`, { headers: { host }, origin: `http://${host}`, handshakeTimeout: 10_000 });
    ws.once('open', () => ws.send(text));
    ws.once('message', (d: Buffer) => {
      resolve(d.toString());
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('BackendTLSPolicy on a real node: a TLS-only pod verified by the policy', { skip }, () => {
  let wsgate: WsgateChild | undefined;
  let address = '';

  before(async () => {
    assert.ok(up, 'CI=true needs the e2e node: e2e/run.sh starts it (as root)');
    const image = echoBasicImage();
    await installGatewayCrds();
    await kubectlOk(['create', 'namespace', ns]);
    const ca = makeCa('btls e2e CA');
    const other = makeCa('btls e2e unrelated CA');
    const leaf = ca.issue(HOSTNAME, [HOSTNAME]);
    const route = (name: string, service: string) => ({
      apiVersion: `${GATEWAY}/v1`,
      kind: 'HTTPRoute',
      metadata: { name, namespace: ns },
      spec: { parentRefs: [{ name: 'gw' }], hostnames: [`${name}.btls.test`], rules: [{ backendRefs: [{ name: service, port: 443 }] }] },
    });
    const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: 'tls-echo' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] } });
    const policy = (name: string, configMap: string) => ({
      apiVersion: `${GATEWAY}/v1`,
      kind: 'BackendTLSPolicy',
      metadata: { name, namespace: ns },
      spec: { targetRefs: [{ group: '', kind: 'Service', name, sectionName: 'https' }], validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: configMap }], hostname: HOSTNAME } },
    });
    await apply([
      gatewayClass(className, controllerName),
      httpGateway(ns, 'gw', className, PORT),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-echo', namespace: ns }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': leaf.cert, 'tls.key': leaf.key } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: ns }, data: { 'ca.crt': ca.cert } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-ca', namespace: ns }, data: { 'ca.crt': other.cert } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'tls-echo', namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'tls-echo' } },
          template: {
            metadata: { labels: { app: 'tls-echo' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{
                name: 'echo',
                image,
                imagePullPolicy: 'Never',
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'NAMESPACE', value: ns },
                  { name: 'TLS_SERVER_CERT', value: '/etc/tls/tls.crt' },
                  { name: 'TLS_SERVER_PRIVKEY', value: '/etc/tls/tls.key' },
                ],
                volumeMounts: [{ name: 'tls', mountPath: '/etc/tls' }],
                readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 },
                resources: { requests: { cpu: '10m' } },
              }],
              volumes: [{ name: 'tls', secret: { secretName: 'tls-echo' } }],
            },
          },
        },
      },
      service('verified'),
      service('wrong-ca'),
      route('verified', 'verified'),
      route('wrong-ca', 'wrong-ca'),
      policy('verified', 'ca'),
      policy('wrong-ca', 'other-ca'),
    ]);
    wsgate = await startGatewayController({ namespace: ns, lease: 'btls-e2e', controllerName, pool: POOL, listen: '127.0.0.1:0' });
    await wsgate.waitForLog(/became leader/, 30_000);
    // Both routes (verified, wrong-ca) on its listener.
    address = await programmedAddress(ns, 'gw', 2);
  }, { timeout: 240_000 });

  after(async () => {
    await wsgate?.stop();
    await deleteGatewayTestObjects(ns, className);
  });

  test('both policies are Accepted with ResolvedRefs, their ancestor the Gateway', async () => {
    for (const name of ['verified', 'wrong-ca']) {
      const ours = await eventually(`BackendTLSPolicy ${name} status`, async () => {
        const o = await getJson(['get', 'backendtlspolicy', name]);
        return o.status?.ancestors?.find((a: Json) => a.controllerName === controllerName);
      }, 240, 250);
      assert.equal(ours.ancestorRef.name, 'gw');
      assert.deepEqual(brief(ours.conditions), { Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' });
    }
  });

  test('the verified policy: plain requests arrive over TLS with the policy hostname as SNI, WebSocket upgrades echo', async () => {
    const r = await eventually('a 200 from the TLS pod', async () => {
      const res = await get(address, 'verified.btls.test', '/hello').catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    }, 240, 250);
    const body = JSON.parse(r.body) as Json;
    assert.equal(body.path, '/hello');
    assert.equal(body.tls?.serverName, HOSTNAME, 'the pod saw TLS with the policy hostname as SNI');
    assert.equal(await wsEcho(address, 'verified.btls.test', 'over wss'), 'over wss');
  });

  test('a policy whose CA did not sign the pod certificate: 502 for requests and upgrades', async () => {
    // Once the verified route answers, the pod is ready and the wrong-ca route is programmed too.
    await eventually('the verified route answers', async () => ((await get(address, 'verified.btls.test', '/').catch(() => undefined))?.status === 200 ? true : undefined), 240, 250);
    assert.equal((await get(address, 'wrong-ca.btls.test', '/hello')).status, 502);
    await assert.rejects(wsEcho(address, 'wrong-ca.btls.test', 'x'), (err: Error & { status?: number }) => err.status === 502);
  });
});
