// A resolver built with the previous one hands out the very same answers for Services whose
// Service and slice objects are unchanged (so the compiler can tell them apart at a glance), and
// fresh answers for any Service whose objects changed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { buildServiceResolver } from '../../src/controller/resolve-service.js';

const service = (name: string, port = 80): V1Service => ({ metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'ws', port }] } });
const slice = (svc: string, ip: string): V1EndpointSlice => ({
  metadata: { name: `${svc}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ name: 'ws', port: 8080 }],
  endpoints: [{ addresses: [ip] }],
});

test('unchanged Services keep their answers; changed slices or Services get new ones', () => {
  const chat = service('chat');
  const feed = service('feed');
  const chatSlice = slice('chat', '10.0.0.1');
  const first = buildServiceResolver([chat, feed], [chatSlice, slice('feed', '10.0.0.2')]);
  const chatBefore = first('default', { name: 'chat', port: 80 });
  const feedBefore = first('default', { name: 'feed', port: 'ws' });

  const second = buildServiceResolver([chat, feed], [chatSlice, slice('feed', '10.0.0.3')], first);
  assert.equal(second('default', { name: 'chat', port: 80 }), chatBefore);
  const feedAfter = second('default', { name: 'feed', port: 'ws' });
  assert.notEqual(feedAfter, feedBefore);
  assert.ok(feedAfter.ok);
  assert.deepEqual(feedAfter.endpoints.map((e) => e.id), ['10.0.0.3:8080']);

  // A new Service object (its ports may differ) is resolved again, even with the same slices.
  const third = buildServiceResolver([service('chat', 81), feed], [chatSlice, slice('feed', '10.0.0.3')], second);
  const chatPort = third('default', { name: 'chat', port: 80 });
  assert.equal(!chatPort.ok && chatPort.reason, 'PortNotFound');
});

test('answers are frozen: one list is shared by every route of the Service', () => {
  const resolve = buildServiceResolver([service('chat')], [slice('chat', '10.0.0.1')]);
  const a = resolve('default', { name: 'chat', port: 80 });
  assert.ok(a.ok);
  assert.equal(resolve('default', { name: 'chat', port: 80 }), a);
  assert.ok(Object.isFrozen(a.endpoints));
});
