import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointLoad } from '../../src/balancer/load.js';
import { pickEndpoint } from '../../src/balancer/pick.js';
import { compile } from '../../src/routing/compile.js';
import type { Policy } from '../../src/api/types.js';
import { route } from '../fixtures.js';

function compiled(policy: Policy) {
  const r = route('r', {
    loadBalancer: { policy },
    backend: { endpoints: [1, 2, 3].map((i) => ({ host: '127.0.0.1', port: 9000 + i })) },
  });
  return compile({ routes: [r] }).table.routes[0]!;
}

test('RoundRobin cycles through endpoints in order', () => {
  const r = compiled('RoundRobin');
  const load = new EndpointLoad();
  const picks = [0, 1, 2, 3, 4, 5].map((cursor) => pickEndpoint(r, { load, exclude: new Set(), cursor, random: Math.random })!.port);
  assert.deepEqual(picks, [9001, 9002, 9003, 9001, 9002, 9003]);
});

test('LeastConnections picks the least loaded and spreads ties', () => {
  const r = compiled('LeastConnections');
  const load = new EndpointLoad();
  load.acquire('127.0.0.1:9001');
  load.acquire('127.0.0.1:9001');
  load.acquire('127.0.0.1:9002');
  assert.equal(pickEndpoint(r, { load, exclude: new Set(), cursor: 0, random: Math.random })!.port, 9003);
  // 30 connections accepted one after another end up 10/10/10 (counting the ones above).
  const fresh = new EndpointLoad();
  for (let cursor = 0; cursor < 30; cursor++) {
    fresh.acquire(pickEndpoint(r, { load: fresh, exclude: new Set(), cursor, random: Math.random })!.id);
  }
  assert.deepEqual(fresh.snapshot(), { '127.0.0.1:9001': 10, '127.0.0.1:9002': 10, '127.0.0.1:9003': 10 });
});

test('excluded endpoints are skipped; none left gives undefined', () => {
  const r = compiled('LeastConnections');
  const load = new EndpointLoad();
  const exclude = new Set(['127.0.0.1:9001', '127.0.0.1:9002']);
  assert.equal(pickEndpoint(r, { load, exclude, cursor: 0, random: Math.random })!.port, 9003);
  exclude.add('127.0.0.1:9003');
  assert.equal(pickEndpoint(r, { load, exclude, cursor: 0, random: Math.random }), undefined);
});

test('PowerOfTwoChoices takes the less loaded of two distinct random endpoints', () => {
  const r = compiled('PowerOfTwoChoices');
  const load = new EndpointLoad();
  for (let i = 0; i < 5; i++) load.acquire('127.0.0.1:9001');
  // random() = 0 -> first candidate 9001, second (0 + 1 + 0) % 3 -> 9002.
  assert.equal(pickEndpoint(r, { load, exclude: new Set(), cursor: 0, random: () => 0 })!.port, 9002);
});

test('EndpointLoad is shared: release below zero never goes negative', () => {
  const load = new EndpointLoad();
  load.acquire('a');
  load.release('a');
  load.release('a');
  assert.equal(load.get('a'), 0);
  assert.deepEqual(load.snapshot(), {});
});
