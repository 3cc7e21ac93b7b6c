// Pure: Services and EndpointSlices (as the informers hold them) -> a ServiceResolver for the
// compiler. No I/O; unit-tested with plain objects.

import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { makeEndpoint, type BackendResolution, type Endpoint, type ServiceResolver } from '../routing/types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * What a resolver answered per Service, with the objects it answered from. Informer caches
 * replace an object on every change and keep it otherwise, so while a Service and its slices
 * are the same objects, the answer is the same and is handed out again, the very same arrays:
 * the compiler then sees at a glance which routes' endpoints did not change.
 */
interface Answers {
  readonly service: V1Service;
  readonly slices: readonly V1EndpointSlice[];
  /** By requested port, a number or a name. */
  readonly byPort: Map<number | string, BackendResolution>;
}

/** namespace -> name -> T: no "namespace/name" string is built per lookup (every route asks). */
type ByName<T> = Map<string, Map<string, T>>;

function getIn<T>(map: ByName<T> | undefined, namespace: string, name: string): T | undefined {
  return map?.get(namespace)?.get(name);
}

function setIn<T>(map: ByName<T>, namespace: string, name: string, value: T): void {
  let inner = map.get(namespace);
  if (!inner) map.set(namespace, (inner = new Map()));
  inner.set(name, value);
}

const answersOf = new WeakMap<ServiceResolver, ByName<Answers>>();
const NO_SLICES: readonly V1EndpointSlice[] = Object.freeze([]);

/**
 * @param previous the resolver built for the last compile: its answers for unchanged Services
 *   are reused, so one EndpointSlice change re-reads only that Service's slices.
 */
export function buildServiceResolver(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  previous?: ServiceResolver,
): ServiceResolver {
  const byName: ByName<V1Service> = new Map();
  for (const s of services) setIn(byName, String(s.metadata?.namespace), String(s.metadata?.name), s);
  const slicesByService: ByName<V1EndpointSlice[]> = new Map();
  for (const slice of slices) {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const namespace = String(slice.metadata?.namespace);
    const list = getIn(slicesByService, namespace, svc);
    if (list) list.push(slice);
    else setIn(slicesByService, namespace, svc, [slice]);
  }
  const before = previous ? answersOf.get(previous) : undefined;
  const answers: ByName<Answers> = new Map();

  const resolver: ServiceResolver = (namespace, ref): BackendResolution => {
    const service = getIn(byName, namespace, ref.name);
    if (!service) return { ok: false, reason: 'ServiceNotFound', message: `Service ${namespace}/${ref.name} not found` };
    let known = getIn(answers, namespace, ref.name);
    if (!known) {
      const ofService = getIn(slicesByService, namespace, ref.name) ?? NO_SLICES;
      const last = getIn(before, namespace, ref.name);
      known = last && last.service === service && sameObjects(last.slices, ofService) ? last : { service, slices: ofService, byPort: new Map() };
      setIn(answers, namespace, ref.name, known);
    }
    let answer = known.byPort.get(ref.port);
    if (!answer) {
      answer = resolve(`${namespace}/${ref.name}`, service, known.slices, ref.port);
      // Shared with the previous resolver's entry when reused: same objects, same answer.
      known.byPort.set(ref.port, answer);
    }
    return answer;
  };
  answersOf.set(resolver, answers);
  return resolver;
}

function resolve(key: string, service: V1Service, slices: readonly V1EndpointSlice[], wanted: number | string): BackendResolution {
  if (service.spec?.type === 'ExternalName') {
    return { ok: false, reason: 'BackendNotSupported', message: `Service ${key} is ExternalName; it has no endpoints to balance` };
  }
  const port = findServicePort(service.spec?.ports ?? [], wanted);
  if (!port) {
    return { ok: false, reason: 'PortNotFound', message: `Service ${key} has no port ${JSON.stringify(wanted)}` };
  }
  // Frozen: one answer is shared by every route of the Service and by later compiles.
  return { ok: true, endpoints: Object.freeze(endpointsFor(slices, port.name ?? '')) as Endpoint[] };
}

function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function findServicePort(ports: readonly V1ServicePort[], wanted: number | string): V1ServicePort | undefined {
  return typeof wanted === 'number' ? ports.find((p) => p.port === wanted) : ports.find((p) => p.name === wanted);
}

/**
 * Endpoints of the slices for one service port. The slice port with the service port's name
 * carries the target port for that slice (they can differ per slice during a rollout).
 * An address listed by several slices (a slice being replaced) is kept once, in its most
 * available state: ready beats not ready, not terminating beats terminating.
 */
export function endpointsFor(slices: readonly V1EndpointSlice[], portName: string): Endpoint[] {
  const merged = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue; // FQDN: not an address
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const address = ep.addresses?.[0];
      if (!address) continue;
      // Per the EndpointSlice API, a nil condition means "unknown": ready defaults to true.
      const terminating = ep.conditions?.terminating === true;
      const ready = ep.conditions?.ready !== false;
      const next = makeEndpoint(address, port, ready, terminating);
      const prev = merged.get(next.id);
      if (!prev || rank(next) > rank(prev)) merged.set(next.id, next);
    }
  }
  return [...merged.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function rank(e: Endpoint): number {
  return (e.ready ? 2 : 0) + (e.terminating ? 0 : 1);
}
