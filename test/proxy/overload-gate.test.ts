// The data plane's overload gate over the process counters: connection slots, refusals by state,
// the body rule while refusing.

import assert from 'node:assert/strict';
import type http from 'node:http';
import { test } from 'node:test';
import { OverloadState, ProcessCounters } from '../../src/overload/process-counters.js';
import { OverloadGate, type OverloadAction } from '../../src/proxy/overload-gate.js';

function gate(maxConnections: number) {
  const counters = new ProcessCounters();
  const actions: OverloadAction[] = [];
  const g = new OverloadGate({ counters, maxConnections, maxPlainBodyBytes: 1000, retryAfterSeconds: 7 }, (a) => actions.push(a));
  return { counters, actions, g };
}

const req = (headers: http.IncomingHttpHeaders) => ({ headers }) as http.IncomingMessage;

test('gate: a slot per upgrade up to the cap, 503 + Retry-After past it; a release (once) frees the slot', () => {
  const { counters, actions, g } = gate(2);
  const a = g.upgrade();
  const b = g.upgrade();
  assert.equal(typeof a, 'function');
  assert.equal(typeof b, 'function');
  assert.deepEqual(g.upgrade(), { result: 'max_connections', status: 503, message: 'proxy at its connection limit (2); try again later', headers: { 'Retry-After': '7' } });
  (a as () => void)();
  (a as () => void)();
  assert.equal(counters.connections, 1, 'released once');
  assert.equal(typeof g.upgrade(), 'function');
  assert.deepEqual(actions, [], 'the cap is not an overload manager action');
});

test('gate: refusing turns upgrades and large or unknown-length bodies away, counted; small bodies pass', () => {
  const { counters, actions, g } = gate(0);
  assert.equal(g.plainBody(req({ 'content-length': '5000' })), null, 'normal state: any body');
  counters.overloadState = OverloadState.Refusing;
  const refused = g.upgrade();
  assert.equal(typeof refused === 'object' && refused.result, 'overloaded');
  assert.equal(counters.connections, 0, 'a refused upgrade takes no slot');
  assert.equal(g.plainBody(req({ 'content-length': '1000' })), null);
  assert.equal(g.plainBody(req({})), null, 'no body');
  assert.equal(g.plainBody(req({ 'content-length': '1001' }))?.status, 503);
  assert.equal(g.plainBody(req({ 'transfer-encoding': 'chunked' }))?.headers['Retry-After'], '7');
  assert.deepEqual(actions, ['refuse_upgrade', 'refuse_body', 'refuse_body']);
});
