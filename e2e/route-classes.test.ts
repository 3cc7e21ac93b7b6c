// Route classes against a real kube-apiserver: two `wsgate controller` processes in one cluster,
// `internal` (--no-default-class) and `external` (the default install), each with its own Lease.
// Each serves only its own routes, writes status and events only for them, and has no metric
// series for the other's; a route that changes class moves from one install to the other.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startEchoServer, type EchoServer } from '../examples/echo-server.js';
import { expectStatus } from '../test/helpers/ws-client.js';
import { repoRoot, startWsgate, type WsgateChild } from '../test/helpers/wsgate-child.js';
import { apply, clusterAvailable, eventually, kubeconfig, kubectl, kubectlOk, wsRoute } from './helpers/cluster.js';

const ns = `e2e-classes-${process.pid}-${Date.now() % 100000}`;

function startController(className: string, extra: string[] = []): Promise<WsgateChild> {
  return startWsgate([
    'controller',
    '--kubeconfig',
    kubeconfig,
    // Scoped to this test's namespace: other installs in the shared cluster never see its routes.
    '--namespace',
    ns,
    '--leader-election-namespace',
    ns,
    '--leader-election-id',
    `wsgate-${className}`,
    '--lease-duration',
    '4000',
    '--lease-retry-period',
    '500',
    '--class',
    className,
    ...extra,
  ]);
}

/** "Accepted status/reason", or "" while no status is written. */
function accepted(route: string): Promise<string> {
  return kubectlOk(['get', 'wsr', route, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Accepted")].status}{.status.conditions[?(@.type=="Accepted")].reason}']);
}

async function events(route: string): Promise<string[]> {
  const out = await kubectlOk(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${route}`, '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
  return out.split('\n').filter(Boolean);
}

async function metrics(gw: WsgateChild): Promise<string> {
  return (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
}

describe('route classes: two installs in one cluster', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  let backend: EchoServer;
  let internal: WsgateChild;
  let external: WsgateChild;

  const staticRoute = (name: string, className: string | undefined) =>
    wsRoute(ns, name, {
      ...(className ? { className } : {}),
      match: { path: `/${name}` },
      backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] },
    });
  // Refused with ResolvedRefs=False (no such Service): the install that owns it records an event.
  const brokenRoute = (name: string, className: string) =>
    wsRoute(ns, name, { className, match: { path: `/${name}` }, backend: { service: { name: 'missing', port: 80 } } });

  before(async () => {
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', ns]);
    backend = await startEchoServer({ name: 'b1' });
    await apply([
      staticRoute('inside', 'internal'),
      staticRoute('outside', 'external'),
      staticRoute('plain', undefined),
      brokenRoute('inside-broken', 'internal'),
      brokenRoute('outside-broken', 'external'),
    ]);
    // The internal install first and alone: whatever is written meanwhile is its doing.
    internal = await startController('internal', ['--no-default-class']);
  });

  after(async () => {
    await internal?.stop();
    await external?.stop();
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    await backend?.close();
  });

  test('alone, the internal install writes status and events only for its own routes', async () => {
    await eventually('inside accepted', async () => (await accepted('inside')) === 'TrueAccepted');
    await eventually('an event on inside-broken', async () => (await events('inside-broken')).length > 0);
    assert.deepEqual(await events('inside-broken'), ['ServiceNotFound']);
    // A status pass has run to its end (the log line follows the whole loop): nothing of another class was touched.
    await eventually('a finished status pass', async () => internal.stderr().includes('"msg":"route statuses updated"'));
    for (const other of ['outside', 'plain', 'outside-broken']) {
      assert.equal(await accepted(other), '', `${other} has no status`);
      assert.deepEqual(await events(other), [], `${other} has no event`);
    }
  });

  test('each install serves its own class; the default one also the routes with no class', async () => {
    external = await startController('external');
    await eventually('outside and plain accepted', async () => (await accepted('outside')) === 'TrueAccepted' && (await accepted('plain')) === 'TrueAccepted');
    await eventually('an event on outside-broken', async () => (await events('outside-broken')).length > 0);
    assert.equal(await expectStatus(`${internal.url}/inside`), 101);
    assert.equal(await expectStatus(`${internal.url}/outside`), 404);
    assert.equal(await expectStatus(`${internal.url}/plain`), 404);
    assert.equal(await expectStatus(`${external.url}/outside`), 101);
    assert.equal(await expectStatus(`${external.url}/plain`), 101);
    assert.equal(await expectStatus(`${external.url}/inside`), 404);
  });

  test('no metric series for the other install\'s routes', async () => {
    const inside = await metrics(internal);
    assert.match(inside, /route="inside"/);
    assert.doesNotMatch(inside, /route="(outside|plain|outside-broken)"/);
    const outside = await metrics(external);
    assert.match(outside, /route="plain"/);
    assert.doesNotMatch(outside, /route="(inside|inside-broken)"/);
  });

  test('kubectl get wsr shows the class', async () => {
    const out = await kubectlOk(['get', 'wsr', 'inside', '-n', ns]);
    const [header, row] = out.trim().split('\n');
    assert.match(header!, /^NAME\s+CLASS\s+HOSTS/);
    assert.match(row!, /^inside\s+internal\s/);
  });

  test('a route given another class moves to that install', async () => {
    await kubectlOk(['patch', 'wsr', 'plain', '-n', ns, '--type=merge', '-p', '{"spec":{"className":"internal"}}']);
    await eventually('internal serves plain', async () => (await expectStatus(`${internal.url}/plain`)) === 101);
    await eventually('external dropped plain', async () => (await expectStatus(`${external.url}/plain`)) === 404);
  });

  test('the API server refuses a class that is not a DNS subdomain', async () => {
    const r = await kubectl(['apply', '-f', '-'], JSON.stringify(wsRoute(ns, 'bad-class', { className: 'Internal_1', match: { path: '/x' }, backend: { service: { name: 'x', port: 80 } } })));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.className/);
  });
});
