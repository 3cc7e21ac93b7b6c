// Seeded random route sets and requests over small vocabularies, so that random routes overlap
// (same hosts, literals, shapes, conditions) and random requests hit them, miss them and fall
// through between them.

import type { WebSocketRoute } from '../../src/api/types.js';
import type { RouteRequest } from '../../src/routing/table.js';
import { pick } from '../helpers/prng.js';
import { route } from '../fixtures.js';

const ROUTE_HOSTS = [[], [], ['a.example.com'], ['b.example.com'], ['*.example.com'], ['*.eu.example.com'], ['a.example.com', '*.eu.example.com']];
const LITERALS = ['a', 'b', 'c'];
const REQUEST_HOSTS = ['a.example.com', 'b.example.com', 'x.example.com', 'x.eu.example.com', 'a.eu.example.com', 'eu.example.com', 'example.com', 'other.org'];
const REQUEST_SEGMENTS = ['a', 'b', 'c', 'd', ''];

/** A template of up to three segments: literals, single-segment params, maybe a catch-all. */
function randomTemplate(rand: () => number): string {
  const n = Math.floor(rand() * 4);
  const segs: string[] = [];
  for (let i = 0; i < n; i++) segs.push(rand() < 0.6 ? pick(rand, LITERALS) : `{p${i}}`);
  if (rand() < 0.4) segs.push('{rest}');
  return '/' + segs.join('/');
}

export function randomRoute(rand: () => number, name: string, created = '2026-01-01T00:00:00Z'): WebSocketRoute {
  const headers = rand() < 0.25 ? [{ name: 'x-t', value: pick(rand, ['1', '2']) }] : undefined;
  const subprotocols = rand() < 0.2 ? [pick(rand, ['p1', 'p2'])] : undefined;
  return route(
    name,
    {
      hosts: pick(rand, ROUTE_HOSTS),
      match: { path: randomTemplate(rand), ...(headers ? { headers } : {}), ...(subprotocols ? { subprotocols } : {}) },
    },
    { creationTimestamp: created },
  );
}

export function randomRoutes(rand: () => number, count: number): WebSocketRoute[] {
  return Array.from({ length: count }, (_, i) => randomRoute(rand, `r${i}`, `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`));
}

export function randomRequest(rand: () => number): RouteRequest {
  const n = Math.floor(rand() * 5);
  const parts = Array.from({ length: n }, () => pick(rand, REQUEST_SEGMENTS));
  const headers: Record<string, string> = rand() < 0.5 ? { 'x-t': pick(rand, ['1', '2']) } : {};
  return {
    host: pick(rand, REQUEST_HOSTS),
    path: '/' + parts.join('/'),
    subprotocols: rand() < 0.5 ? [pick(rand, ['p1', 'p2', 'chat'])] : [],
    header: (name) => headers[name],
  };
}
