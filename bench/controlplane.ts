// Control-plane benchmark (in-process, no API server): how long the pure compile takes for
// 1,000 and 10,000 routes over 100,000 endpoints resolved from Services and EndpointSlices, and
// how long one EndpointSlice change takes to reach the table — measured as the work the
// controller does on that change (build the service resolver from the informer caches and the
// previous resolver, compile against the previous output, swap the table and update the table
// metrics), without the informer's network path and without the controller's debounce
// (--debounce, 50 ms by default), which come on top — and route lookup time on the table.
// `endpointSliceChangeFullRecompileMs` is the same change compiled from scratch, as every change
// was before compiles reused unchanged routes.
//
// Usage: node --expose-gc dist/bench/controlplane.js [--reps N] [--routes 1000,10000] [--endpoints 100000]
// Prints one JSON object.

import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { WebSocketRoute } from '../src/api/types.js';
import { buildServiceResolver, SERVICE_NAME_LABEL } from '../src/controller/resolve-service.js';
import { WsgateProcess } from '../src/process.js';
import { compile } from '../src/routing/compile.js';
import { median, round } from './lib/stats.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const reps = Number(arg('--reps', '3'));
const routeCounts = arg('--routes', '1000,10000').split(',').map(Number);
const totalEndpoints = Number(arg('--endpoints', '100000'));
const SLICE_SIZE = 100; // the EndpointSlice controller's default maxEndpointsPerSlice
const WARMUP = 5;

/** Loopback addresses as plain data (nothing connects to them). */
function address(i: number): string {
  const j = i + 1;
  return `127.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`;
}

interface Cluster {
  routes: WebSocketRoute[];
  services: V1Service[];
  slices: V1EndpointSlice[];
}

function makeCluster(nRoutes: number, nEndpoints: number): Cluster {
  const perRoute = Math.ceil(nEndpoints / nRoutes);
  const routes: WebSocketRoute[] = [];
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  let ep = 0;
  for (let i = 0; i < nRoutes; i++) {
    const name = `svc-${i}`;
    routes.push({
      apiVersion: 'wsgate.io/v1alpha1',
      kind: 'WebSocketRoute',
      metadata: { name: `route-${i}`, namespace: 'bench', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: {
        hosts: [`h${i % 100}.example.com`],
        match: { path: `/r${i}/{catchAll}` },
        backend: { service: { name, port: 'ws' }, path: '/{catchAll}' },
        loadBalancer: { policy: 'LeastConnections' },
      },
    });
    services.push({
      metadata: { name, namespace: 'bench' },
      spec: { ports: [{ name: 'ws', port: 80, targetPort: 8080 }] },
    });
    for (let s = 0; s * SLICE_SIZE < perRoute; s++) {
      const count = Math.min(SLICE_SIZE, perRoute - s * SLICE_SIZE);
      const endpoints = [];
      for (let k = 0; k < count; k++, ep++) {
        endpoints.push({ addresses: [address(ep)], conditions: { ready: true, serving: true, terminating: false } });
      }
      slices.push({
        addressType: 'IPv4',
        metadata: { name: `${name}-${s}`, namespace: 'bench', labels: { [SERVICE_NAME_LABEL]: name } },
        ports: [{ name: 'ws', port: 8080, protocol: 'TCP' }],
        endpoints,
      });
    }
  }
  return { routes, services, slices };
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const results = [];
const wsgate = new WsgateProcess({ logger: pino({ level: 'silent' }) });
for (const n of routeCounts) {
  const cluster = makeCluster(n, totalEndpoints);
  const endpointCount = cluster.slices.reduce((s, sl) => s + (sl.endpoints?.length ?? 0), 0);
  const compileMs: number[] = [];
  const resolverMs: number[] = [];
  let accepted = 0;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let table;
  for (let r = 0; r < reps; r++) {
    const resolver = time(() => buildServiceResolver(cluster.services, cluster.slices));
    const out = time(() => compile({ routes: cluster.routes, resolveService: resolver.value, version: r + 1 }));
    resolverMs.push(resolver.ms);
    compileMs.push(out.ms);
    accepted = out.value.table.routes.length;
    table = out.value.table;
  }
  gc();
  const tableHeapBytes = process.memoryUsage().heapUsed - heapBefore;

  // One EndpointSlice change: an endpoint of one service goes not-ready; the informer cache holds
  // a new slice object (the others stay the same objects); the controller builds the resolver
  // from the caches and its previous resolver, and compiles against the previous output.
  // wsgate starts from the table of the cluster before the change, as a controller would.
  let resolverA = buildServiceResolver(cluster.services, cluster.slices);
  wsgate.applyRoutes(cluster.routes, resolverA);
  let resolverC = buildServiceResolver(cluster.services, cluster.slices);
  let lastC = compile({ routes: cluster.routes, resolveService: resolverC });
  const changeCompileMs: number[] = [];
  const changeApplyMs: number[] = [];
  const fullRecompileMs: number[] = [];
  const rebuiltRoutes: number[] = [];
  const proxySwapMs: number[] = [];
  let reached = true;
  // The first WARMUP changes are not measured: a controller that has run for a while has these
  // code paths optimized by the JIT; the first few calls of a fresh process do not.
  for (let r = -WARMUP; r < reps; r++) {
    const measured = r >= 0;
    const idx = ((r + WARMUP) * 7919) % cluster.slices.length;
    const old = cluster.slices[idx]!;
    const ready = old.endpoints?.[0]?.conditions?.ready === false; // flips it, so every rep is a change
    const changed: V1EndpointSlice = {
      ...old,
      endpoints: (old.endpoints ?? []).map((e, k) => (k === 0 ? { ...e, conditions: { ...e.conditions, ready } } : e)),
    };
    cluster.slices[idx] = changed;
    const svc = old.metadata!.labels![SERVICE_NAME_LABEL]!;
    const addr = changed.endpoints![0]!.addresses[0]!;
    const c = time(() => {
      resolverC = buildServiceResolver(cluster.services, cluster.slices, resolverC);
      return compile({ routes: cluster.routes, resolveService: resolverC }, lastC);
    });
    const prevRoutes = new Set(lastC.table.routes);
    if (measured) rebuiltRoutes.push(c.value.table.routes.filter((x) => !prevRoutes.has(x)).length);
    lastC = c.value;
    if (measured) changeCompileMs.push(c.ms);
    // The full controller path: resolver + compile + table swap + table metrics (WsgateProcess.applyRoutes).
    const a = time(() => {
      resolverA = buildServiceResolver(cluster.services, cluster.slices, resolverA);
      return wsgate.applyRoutes(cluster.routes, resolverA);
    });
    if (measured) changeApplyMs.push(a.ms);
    // The proxy's own part of that swap (src/proxy setTable: drain check, endpoint-id sets for
    // health and agents), timed again on the same table: it walks every endpoint of every route.
    if (measured) proxySwapMs.push(time(() => wsgate.proxy.setTable(wsgate.proxy.getTable())).ms);
    const route = wsgate.proxy.getTable().routes.find((x) => x.backend.endpoints.some((e) => e.host === addr));
    const seen = route?.backend.endpoints.find((e) => e.host === addr);
    if (!route || route.spec.backend.service?.name !== svc || seen?.ready !== ready) reached = false;
  }

  // What every change cost before compiles reused anything: a fresh resolver, a full compile.
  // Measured after the changes above, so its garbage does not land in their measurements.
  for (let r = 0; r < reps; r++) {
    fullRecompileMs.push(time(() => compile({ routes: cluster.routes, resolveService: buildServiceResolver(cluster.services, cluster.slices) })).ms);
  }

  // Route lookup on the compiled table (what each upgrade pays), averaged.
  let lookupNs = Number.NaN;
  if (table) {
    const t = table;
    const N = 200_000;
    const reqs = Array.from({ length: 1000 }, (_, k) => {
      const i = (k * 7919) % n;
      return { host: `h${i % 100}.example.com`, path: `/r${i}/room/42`, subprotocols: [], header: () => undefined };
    });
    let hits = 0;
    const l = time(() => {
      for (let k = 0; k < N; k++) if (t.lookup(reqs[k % reqs.length]!)) hits++;
    });
    if (hits !== N) throw new Error(`lookup missed ${N - hits} of ${N}`);
    lookupNs = (l.ms * 1e6) / N;
  }

  results.push({
    routes: n,
    acceptedRoutes: accepted,
    endpoints: endpointCount,
    endpointSlices: cluster.slices.length,
    compileMs: round(median(compileMs)),
    resolverBuildMs: round(median(resolverMs)),
    compileMsSamples: compileMs.map((x) => round(x)),
    endpointSliceChangeFullRecompileMs: round(median(fullRecompileMs)),
    endpointSliceChangeCompileMs: round(median(changeCompileMs)),
    endpointSliceChangeRebuiltRoutes: rebuiltRoutes,
    endpointSliceChangeApplyMs: round(median(changeApplyMs)),
    endpointSliceChangeApplyMsSamples: changeApplyMs.map((x) => round(x)),
    endpointSliceChangeProxySwapMs: round(median(proxySwapMs)),
    changeReachedTable: reached,
    lookupNsPerRequest: round(lookupNs),
    lookupUsPerRequest: round(lookupNs / 1000, 3),
    tableHeapMiB: round(tableHeapBytes / 2 ** 20, 3),
  });
}
process.stdout.write(`${JSON.stringify({ reps, results })}\n`);
