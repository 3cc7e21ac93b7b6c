// --host-ownership namespace against a real kube-apiserver: a route of a second namespace on a
// host the first owns is refused with Accepted=False/HostOwnedByOtherNamespace (and an event);
// once the owner shares the host with that namespace (spec.hostSharing), the route is accepted.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startEchoServer, type EchoServer } from '../examples/echo-server.js';
import { connect } from '../test/helpers/ws-client.js';
import { repoRoot, startWsgate, type WsgateChild } from '../test/helpers/wsgate-child.js';
import { apply, clusterAvailable, eventually, kubeconfig, kubectl, kubectlOk, wsRoute } from './helpers/cluster.js';

const suffix = `${process.pid}-${Date.now() % 100000}`;
const owner = `e2e-owner-${suffix}`;
const guest = `e2e-guest-${suffix}`;
const HOST = 'chat.example.com';

function accepted(ns: string, name: string): Promise<string> {
  return kubectlOk(['get', 'wsr', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Accepted")].status}/{.status.conditions[?(@.type=="Accepted")].reason}']);
}

describe('host ownership on a real apiserver', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  let ownerBackend: EchoServer;
  let guestBackend: EchoServer;
  let gw: WsgateChild;

  const ownerRoute = (sharing?: string[]) =>
    wsRoute(owner, 'chat', {
      hosts: [HOST],
      ...(sharing ? { hostSharing: { namespaces: sharing } } : {}),
      match: { path: '/chat/{rest}' },
      backend: { endpoints: [{ host: '127.0.0.1', port: ownerBackend.port }] },
    });

  before(async () => {
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', owner]);
    await kubectlOk(['create', 'namespace', guest]);
    ownerBackend = await startEchoServer({ name: 'owner' });
    guestBackend = await startEchoServer({ name: 'guest' });
    await apply([ownerRoute()]);
    // Created after the owner's route (creationTimestamp has a one-second resolution).
    await eventually('a later second', async () => new Date().getUTCSeconds() !== new Date(JSON.parse(await kubectlOk(['get', 'wsr', 'chat', '-n', owner, '-o', 'json'])).metadata.creationTimestamp).getUTCSeconds());
    await apply([wsRoute(guest, 'admin', { hosts: [HOST], match: { path: '/chat/admin' }, backend: { endpoints: [{ host: '127.0.0.1', port: guestBackend.port }] } })]);
    gw = await startWsgate([
      'controller', '--kubeconfig', kubeconfig, '--watch-namespaces', `${owner},${guest}`,
      '--leader-election-namespace', owner, '--lease-duration', '4000', '--lease-retry-period', '500',
      '--host-ownership', 'namespace',
    ]);
  });

  after(async () => {
    await gw?.stop();
    await kubectl(['delete', 'namespace', owner, '--wait=false']);
    await kubectl(['delete', 'namespace', guest, '--wait=false']);
    await ownerBackend?.close();
    await guestBackend?.close();
  });

  const backendFor = async () => {
    const c = await connect(`${gw.url}/chat/admin`, { headers: { Host: HOST } });
    await c.close();
    return c.hello.backend;
  };

  test('the other namespace\'s route is refused, naming the owner, with an event; the owner keeps the host', async () => {
    await eventually('guest refused', async () => (await accepted(guest, 'admin')) === 'False/HostOwnedByOtherNamespace');
    assert.equal(await accepted(owner, 'chat'), 'True/Accepted');
    const message = await kubectlOk(['get', 'wsr', 'admin', '-n', guest, '-o', 'jsonpath={.status.conditions[?(@.type=="Accepted")].message}']);
    assert.match(message, new RegExp(`owned by namespace ${owner} \\(route ${owner}/chat`));
    await eventually('an event', async () => (await kubectlOk(['get', 'events', '-n', guest, '-o', 'jsonpath={.items[*].reason}'])).includes('HostOwnedByOtherNamespace'));
    assert.equal(await backendFor(), 'owner');
  });

  test('two certificates for one TLS host: the newer route is refused, the older is told', async () => {
    const tlsRoute = (name: string, secret: string) =>
      wsRoute(owner, name, { hosts: ['secure.example.com'], tls: { secretRef: { name: secret } }, match: { path: `/${name}` }, backend: { endpoints: [{ host: '127.0.0.1', port: ownerBackend.port }] } });
    await apply([tlsRoute('tls-old', 'cert-old')]);
    await eventually('tls-old accepted', async () => (await accepted(owner, 'tls-old')) === 'True/Accepted');
    await eventually('a later second', async () => new Date().getUTCSeconds() !== new Date(JSON.parse(await kubectlOk(['get', 'wsr', 'tls-old', '-n', owner, '-o', 'json'])).metadata.creationTimestamp).getUTCSeconds());
    await apply([tlsRoute('tls-new', 'cert-new')]);
    await eventually('tls-new refused', async () => (await accepted(owner, 'tls-new')) === 'False/CertificateConflict');
    const message = (name: string) => kubectlOk(['get', 'wsr', name, '-n', owner, '-o', 'jsonpath={.status.conditions[?(@.type=="Accepted")].message}']);
    assert.match(await message('tls-new'), new RegExp(`Secret ${owner}/cert-old \\(route ${owner}/tls-old`));
    await eventually('tls-old told', async () => /contested by route .*tls-new/.test(await message('tls-old')));
    assert.equal(await accepted(owner, 'tls-old'), 'True/Accepted');
  });

  test('shared by the owner with spec.hostSharing, the route is accepted and served', async () => {
    await apply([ownerRoute([guest])]);
    await eventually('guest accepted', async () => (await accepted(guest, 'admin')) === 'True/Accepted');
    await eventually('guest served', async () => (await backendFor()) === 'guest');
  });
});
