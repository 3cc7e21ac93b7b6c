// Pure: Services and EndpointSlices (as the informers hold them) -> a ServiceResolver for the
// compiler. No I/O; unit-tested with plain objects.

import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { makeEndpoint, type BackendResolution, type Endpoint, type ServiceResolver } from '../routing/types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function buildServiceResolver(services: readonly V1Service[], slices: readonly V1EndpointSlice[]): ServiceResolver {
  const byName = new Map<string, V1Service>();
  for (const s of services) byName.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
  const slicesByService = new Map<string, V1EndpointSlice[]>();
  for (const slice of slices) {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${slice.metadata?.namespace}/${svc}`;
    const list = slicesByService.get(key);
    if (list) list.push(slice);
    else slicesByService.set(key, [slice]);
  }

  return (namespace, ref): BackendResolution => {
    const key = `${namespace}/${ref.name}`;
    const service = byName.get(key);
    if (!service) return { ok: false, reason: 'ServiceNotFound', message: `Service ${key} not found` };
    if (service.spec?.type === 'ExternalName') {
      return { ok: false, reason: 'BackendNotSupported', message: `Service ${key} is ExternalName; it has no endpoints to balance` };
    }
    const port = findServicePort(service.spec?.ports ?? [], ref.port);
    if (!port) {
      return { ok: false, reason: 'PortNotFound', message: `Service ${key} has no port ${JSON.stringify(ref.port)}` };
    }
    return { ok: true, endpoints: endpointsFor(slicesByService.get(key) ?? [], port.name ?? '') };
  };
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
