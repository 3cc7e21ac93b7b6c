// A small seeded cluster for incremental-compile tests: routes, Services with EndpointSlices and
// Secrets, held the way informer caches hold them (a change replaces an object, an unchanged
// object stays the same), and random edits of every kind a controller sees.

import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { WebSocketRoute } from '../../src/api/types.js';
import type { SecretResolver } from '../../src/routing/types.js';
import { pick } from '../helpers/prng.js';
import { route } from '../fixtures.js';
import { randomRoute } from './random-routes.js';

const SERVICES = ['svc0', 'svc1', 'svc2', 'svc3'];
const SECRETS = ['keys0', 'keys1'];

export class RandomCluster {
  readonly routes = new Map<string, WebSocketRoute>();
  readonly services = new Map<string, V1Service>();
  readonly slices = new Map<string, V1EndpointSlice>();
  readonly secrets = new Map<string, Record<string, string>>();
  private named = 0;

  constructor(private readonly rand: () => number, routeCount: number) {
    for (const name of SERVICES) {
      this.services.set(name, service(name));
      this.slices.set(`${name}-a`, this.randomSlice(name, `${name}-a`));
    }
    for (const name of SECRETS) this.secrets.set(name, { k: `key-${name}` });
    for (let i = 0; i < routeCount; i++) this.addRoute();
  }

  serviceList(): V1Service[] {
    return [...this.services.values()];
  }

  sliceList(): V1EndpointSlice[] {
    return [...this.slices.values()];
  }

  routeList(): WebSocketRoute[] {
    return [...this.routes.values()];
  }

  /** A fresh resolver over the Secrets with fresh Buffers: equal data is not the same object. */
  secretResolver(): SecretResolver {
    const snapshot = new Map(this.secrets);
    return (ns, name) => {
      const data = ns === 'default' ? snapshot.get(name) : undefined;
      if (!data) return { ok: false, reason: 'SecretNotFound', message: `Secret ${ns}/${name} not found` };
      return { ok: true, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) };
    };
  }

  /** One random edit; returns what it was, for assertion messages. */
  edit(): string {
    const rand = this.rand;
    const names = [...this.routes.keys()];
    const target = names.length ? pick(rand, names) : undefined;
    const r = rand();
    if (r < 0.12 || !target) return `add ${this.addRoute()}`;
    if (r < 0.2) {
      this.routes.delete(target);
      return `remove ${target}`;
    }
    if (r < 0.32) {
      this.routes.set(target, this.randomRouteNamed(target));
      return `replace ${target}`;
    }
    if (r < 0.38) {
      this.routes.set(target, structuredClone(this.routes.get(target)!));
      return `same content, new object ${target}`;
    }
    if (r < 0.44) {
      const old = this.routes.get(target)!;
      this.routes.set(target, { ...old, metadata: { ...old.metadata, creationTimestamp: `2025-0${1 + Math.floor(rand() * 9)}-01T00:00:00Z` } });
      return `recreate ${target}`;
    }
    if (r < 0.48) {
      this.routes.set(target, route(target, { match: { path: 'no-slash' } }));
      return `invalid ${target}`;
    }
    if (r < 0.75) {
      const svc = pick(rand, SERVICES);
      const name = `${svc}-${pick(rand, ['a', 'b'])}`;
      if (rand() < 0.2) this.slices.delete(name);
      else this.slices.set(name, this.randomSlice(svc, name));
      return `slice ${name}`;
    }
    if (r < 0.82) {
      const svc = pick(rand, SERVICES);
      if (this.services.has(svc)) this.services.delete(svc);
      else this.services.set(svc, service(svc));
      return `service ${svc}`;
    }
    if (r < 0.92) {
      const name = pick(rand, SECRETS);
      if (rand() < 0.3) this.secrets.delete(name);
      else this.secrets.set(name, { k: `key-${Math.floor(rand() * 3)}` });
      return `secret ${name}`;
    }
    return 'nothing';
  }

  private addRoute(): string {
    const name = `r${this.named++}`;
    this.routes.set(name, this.randomRouteNamed(name));
    return name;
  }

  private randomRouteNamed(name: string): WebSocketRoute {
    const rand = this.rand;
    const base = randomRoute(rand, name, `2026-01-01T00:00:${String(Math.floor(rand() * 60)).padStart(2, '0')}Z`);
    const spec = { ...base.spec };
    if (rand() < 0.7) spec.backend = { service: { name: pick(rand, SERVICES), port: pick(rand, ['ws', 80, 81] as const) } };
    if (rand() < 0.25) spec.security = { auth: { apiKeys: { secretRef: { name: pick(rand, SECRETS) } } } };
    return { ...base, spec };
  }

  private randomSlice(svc: string, name: string): V1EndpointSlice {
    const rand = this.rand;
    const count = Math.floor(rand() * 4);
    return {
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
      addressType: 'IPv4',
      ports: [{ name: 'ws', port: 8080 }],
      endpoints: Array.from({ length: count }, () => ({
        addresses: [`10.0.0.${1 + Math.floor(rand() * 6)}`],
        conditions: { ready: rand() < 0.7, terminating: rand() < 0.15 },
      })),
    };
  }
}

function service(name: string): V1Service {
  return { metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'ws', port: 80 }] } };
}
