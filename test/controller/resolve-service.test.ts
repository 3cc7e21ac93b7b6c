import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { buildServiceResolver, endpointsFor } from '../../src/controller/resolve-service.js';

function service(name: string, ports: Array<{ name?: string; port: number }>, type?: string): V1Service {
  return { metadata: { name, namespace: 'default' }, spec: { ports, type } };
}

function slice(
  name: string,
  svc: string,
  addressType: string,
  ports: Array<{ name?: string; port: number }>,
  endpoints: Array<{ ip: string; ready?: boolean; terminating?: boolean }>,
): V1EndpointSlice {
  return {
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType,
    ports,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready, terminating: e.terminating },
    })),
  };
}

test('resolves a service port by number and by name to the slice target port', () => {
  const resolve = buildServiceResolver(
    [service('chat', [{ name: 'ws', port: 80 }, { name: 'admin', port: 81 }])],
    [slice('chat-1', 'chat', 'IPv4', [{ name: 'ws', port: 8080 }, { name: 'admin', port: 9090 }], [{ ip: '10.0.0.1' }])],
  );
  const byNumber = resolve('default', { name: 'chat', port: 80 });
  assert.ok(byNumber.ok);
  assert.deepEqual(byNumber.endpoints.map((e) => e.id), ['10.0.0.1:8080']);
  const byName = resolve('default', { name: 'chat', port: 'admin' });
  assert.ok(byName.ok);
  assert.deepEqual(byName.endpoints.map((e) => e.id), ['10.0.0.1:9090']);
});

test('unknown service, unknown port and ExternalName are reported with a reason', () => {
  const resolve = buildServiceResolver([service('chat', [{ port: 80 }]), service('ext', [{ port: 80 }], 'ExternalName')], []);
  const missing = resolve('default', { name: 'nope', port: 80 });
  assert.equal(!missing.ok && missing.reason, 'ServiceNotFound');
  const other = resolve('other', { name: 'chat', port: 80 });
  assert.equal(!other.ok && other.reason, 'ServiceNotFound');
  const port = resolve('default', { name: 'chat', port: 81 });
  assert.equal(!port.ok && port.reason, 'PortNotFound');
  const ext = resolve('default', { name: 'ext', port: 80 });
  assert.equal(!ext.ok && ext.reason, 'BackendNotSupported');
});

test('several slices, IPv4 and IPv6, conditions, duplicates and FQDN slices', () => {
  const eps = endpointsFor(
    [
      slice('a', 'chat', 'IPv4', [{ port: 8080 }], [
        { ip: '10.0.0.1', ready: true },
        { ip: '10.0.0.2', ready: false },
        { ip: '10.0.0.3', ready: true, terminating: true },
        { ip: '10.0.0.4', ready: false },
      ]),
      slice('b', 'chat', 'IPv6', [{ port: 8080 }], [{ ip: 'fd00::1' }]),
      // The same address in a second slice, ready there: the more available state wins.
      slice('c', 'chat', 'IPv4', [{ port: 8080 }], [{ ip: '10.0.0.4', ready: true }]),
      slice('d', 'chat', 'FQDN', [{ port: 8080 }], [{ ip: 'pod.example.com' }]),
    ],
    '',
  );
  assert.deepEqual(
    eps.map((e) => [e.id, e.ready, e.terminating]),
    [
      ['10.0.0.1:8080', true, false],
      ['10.0.0.2:8080', false, false],
      ['10.0.0.3:8080', false, true],
      ['10.0.0.4:8080', true, false],
      ['[fd00::1]:8080', true, false],
    ],
  );
});

test('a slice without the wanted named port contributes nothing', () => {
  const eps = endpointsFor([slice('a', 'chat', 'IPv4', [{ name: 'other', port: 1 }], [{ ip: '10.0.0.1' }])], 'ws');
  assert.deepEqual(eps, []);
});
