// Pure translation: routes + endpoint lookups in, an immutable RoutingTable and each route's
// status out. No I/O, no clocks: the same input always yields the same table and statuses.
//
// One pipeline, several sources (as Contour's DAG builder runs one processor per source kind):
// the WebSocketRoute processor (websocketroute-processor.ts) and the HTTPRoute processor
// (httproute-processor.ts, for the Gateway API translator's entries) each turn their source into
// CompiledRoutes; this file settles what is between them and builds the one table:
//   - conflicts between a WebSocketRoute and an HTTPRoute entry on the same socket (the same
//     signature, precedence.ts): the older wins (creationTimestamp, then key); the loser leaves
//     the table and is reported — a WebSocketRoute in its status (Accepted=False, Conflict), an
//     HTTPRoute in `gatewayConflicts` for the controller to write;
//   - precedence: lookup only sees the routes of the request's socket (route-index.ts), so only
//     the order within a socket matters. WebSocketRoutes keep their order (rank, then key);
//     HTTPRoute entries keep the translator's (the Gateway API's rules) among themselves. Where
//     both kinds share a socket (a Gateway port equal to the main port) the two lists are merged
//     by the same rank (precedence.ts: path specificity, then the number of conditions), so the
//     more specific route wins whatever its kind; on equal rank the older, then the lower key.
//   - the Gateway sockets with their certificates (gateway-listeners.ts).

import { processHTTPRoutes, type GatewayEntryResult } from './httproute-processor.js';
import { compileListeners } from './gateway-listeners.js';
import { MAIN_LISTENER } from './gateway-types.js';
import { compareRank } from './precedence.js';
import { compareStrings } from '../api/string-order.js';
import { GatewayCache, type CompileCache, type ValidEntry } from './compile-cache.js';
import { RoutingTable } from './table.js';
import type { CompiledRoute, CompileInput, RouteStatusResult } from './types.js';
import { processWebSocketRoutes, rejected } from './websocketroute-processor.js';
import type { HostOwnership, WebSocketRoute } from '../api/types.js';

export type { CompileInput } from './types.js';

export interface CompileOutput {
  table: RoutingTable;
  /** Keyed by "namespace/name", one per input route. */
  statuses: Map<string, RouteStatusResult>;
  /** HTTPRoute routeKey (`HTTPRoute/<ns>/<name>`) -> why some of its entries lost to a WebSocketRoute. */
  gatewayConflicts: Map<string, string>;
  /** What a next compile may reuse (reuse.ts); not part of the result. */
  readonly cache: CompileCache;
}

/**
 * Compiles routes into a table and statuses. With `previous` (the last output), work whose
 * inputs did not change is reused instead of redone, and the result is the same as without it.
 * The table's lookup index is shared with the previous table when no route moved or changed
 * what lookup looks at.
 */
export function compile(input: CompileInput, previous?: CompileOutput): CompileOutput {
  const wsr = processWebSocketRoutes(input, previous?.cache);
  const statuses = wsr.statuses;
  const gatewayConflicts = new Map<string, string>();
  const gw = input.gateway;
  if (!gw) {
    return {
      table: new RoutingTable(input.version ?? 0, wsr.accepted.map((c) => c.route), previous?.table),
      statuses,
      gatewayConflicts,
      cache: wsr.cache,
    };
  }

  const prevGateway = previous?.cache.gateway;
  const http = processHTTPRoutes(gw, input.resolveService, input.resolveSecret, prevGateway?.entries);
  const listeners = compileListeners(gw.sockets, input.resolveSecret, prevGateway?.listeners);

  const { wsrLosers, entryLosers } = crossConflicts(wsr.accepted, http.compiled);
  for (const [key, message] of wsrLosers) {
    const route = wsr.accepted.find((c) => c.route.key === key)!.route;
    statuses.set(key, rejected(key, route.generation, 'Conflict', message));
  }
  for (const [entry, message] of entryLosers) {
    const known = gatewayConflicts.get(entry.entry.routeKey);
    if (known === undefined) gatewayConflicts.set(entry.entry.routeKey, message);
    else if (!known.split('; ').includes(message)) gatewayConflicts.set(entry.entry.routeKey, `${known}; ${message}`);
  }
  const wsrs = wsrLosers.size ? wsr.accepted.filter((c) => !wsrLosers.has(c.route.key)) : wsr.accepted;
  const entries = entryLosers.size ? http.compiled.filter((e) => !entryLosers.has(e)) : http.compiled;

  const routes = [...mergeMain(wsrs, entries.filter((e) => e.socket === MAIN_LISTENER)), ...entries.filter((e) => e.socket !== MAIN_LISTENER).map((e) => e.route)];
  wsr.cache.gateway = new GatewayCache(http.cache, listeners);
  return {
    table: new RoutingTable(input.version ?? 0, routes, previous?.table, [...listeners.values()].map((l) => l.listener)),
    statuses,
    gatewayConflicts,
    cache: wsr.cache,
  };
}

/**
 * The main socket's routes: both precedence lists merged by rank, each keeping its own order
 * (see the file comment). On equal rank the older route, then the lower key, goes first.
 */
function mergeMain(wsrs: readonly ValidEntry[], entries: readonly GatewayEntryResult[]): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  let i = 0;
  let j = 0;
  while (i < wsrs.length || j < entries.length) {
    const a = wsrs[i];
    const b = entries[j];
    const takeWsr =
      b === undefined ||
      (a !== undefined && (compareRank(a.rank, b.rank) || compareStrings(a.created, b.created) || compareStrings(a.route.key, b.route.key)) <= 0);
    out.push(takeWsr ? a!.route : b.route);
    if (takeWsr) i++;
    else j++;
  }
  return out;
}

/**
 * WebSocketRoutes and HTTPRoute entries that claim the same requests on the same socket (the
 * same signature): the older (then the lower key) keeps them. Only conflicts between the two
 * kinds: WebSocketRoutes among themselves were settled by their processor, HTTPRoute entries
 * among themselves by the Gateway API's precedence (the translator's order).
 */
function crossConflicts(
  wsrs: readonly ValidEntry[],
  entries: readonly GatewayEntryResult[],
): { wsrLosers: Map<string, string>; entryLosers: Map<GatewayEntryResult, string> } {
  const wsrLosers = new Map<string, string>();
  const entryLosers = new Map<GatewayEntryResult, string>();
  if (wsrs.length === 0 || entries.length === 0) return { wsrLosers, entryLosers };
  // Only signatures both kinds occupy can conflict.
  const wsrSigs = new Set<string>();
  for (const c of wsrs) for (const s of c.signatures) wsrSigs.add(s.sig);
  const contested = entries.filter((e) => e.signatures.some((s) => wsrSigs.has(s.sig)));
  if (contested.length === 0) return { wsrLosers, entryLosers };
  const entrySigs = new Set<string>();
  for (const e of contested) for (const s of e.signatures) entrySigs.add(s.sig);

  type Claim = { created: string; key: string; wsr?: ValidEntry; entry?: GatewayEntryResult; sigs: ReadonlyArray<{ host: string; sig: string }> };
  const claims: Claim[] = [
    ...wsrs.filter((c) => c.signatures.some((s) => entrySigs.has(s.sig))).map((c) => ({ created: c.created, key: c.route.key, wsr: c, sigs: c.signatures })),
    ...contested.map((e) => ({ created: e.created, key: e.route.key, entry: e, sigs: e.signatures })),
  ].sort((a, b) => compareStrings(a.created, b.created) || compareStrings(a.key, b.key));
  const owners = new Map<string, Claim>();
  for (const claim of claims) {
    const clash = claim.sigs.find((s) => {
      const owner = owners.get(s.sig);
      return owner !== undefined && (owner.wsr === undefined) !== (claim.wsr === undefined);
    });
    if (clash) {
      const owner = owners.get(clash.sig)!;
      const route = (claim.wsr ?? claim.entry)!.route;
      const where = `same host "${clash.host}", path "${route.path.source}" and match conditions`;
      if (claim.wsr) {
        const e = owner.entry!.entry;
        wsrLosers.set(claim.key, `conflicts with HTTPRoute ${e.source.namespace}/${e.source.name} (${e.ruleKey}, listener ${e.listener.gatewayNamespace}/${e.listener.gatewayName}/${e.listener.listenerName}): ${where}`);
      } else {
        entryLosers.set(claim.entry!, `conflicts with WebSocketRoute ${owner.key}: ${where}`);
      }
      continue;
    }
    for (const s of claim.sigs) if (!owners.has(s.sig)) owners.set(s.sig, claim);
  }
  return { wsrLosers, entryLosers };
}
