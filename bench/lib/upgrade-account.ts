// The per-microsecond account of one upgrade (issue 27): every sampled microsecond of a
// `--cpu-prof` profile of bench/profile-upgrades.ts put in exactly one component. The samples
// give each component's share of the main thread's busy time (wall time: on a shared machine a
// sample also covers time the thread waited for a core, so the shares, not the sampled µs, are
// what count); bench/upgrade-account.ts spreads the main thread's /proc CPU by them, and the CPU
// of the process's other threads (libuv's thread pool, V8's background GC and compiler) is a row
// of its own. Pure: a profile and figures in, rows out.
//
// A sample belongs to the innermost frame of its stack that names a component: a socket write
// inside wsgate's 101 answer is Node's socket write (the relay pays it too), the JavaScript
// around it that builds the head is wsgate's. A sample with no such frame is Node's rest.

import type { CpuProfile, CpuProfileNode, Window } from '../cpuprofile-summary.js';

/** What bench/profile-upgrades.ts writes beside a profile (upgrades-fixed-<target>.json). */
export interface ProfileFigures {
  target: string;
  upgrades: number;
  /** The measured window in the profile's clock, µs. */
  startUs: number;
  endUs: number;
  /** /proc CPU (user + system, every thread) per upgrade in that window, under the profiler. */
  cpuUsPerUpgrade: number;
  /** The same for the main thread alone (the one the profiler samples). */
  mainThreadCpuUsPerUpgrade: number;
}

/** Who pays a component: Node's own per-connection work (the relay does it too) or wsgate's. */
export type Owner = 'node' | 'wsgate';

export interface Component {
  name: string;
  owner: Owner;
}

type Frame = CpuProfileNode['callFrame'];

// Node's own work, by function (node core or native frames).
const NODE_BY_FUNCTION: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(writeGeneric|writevGeneric|handleWriteReq|writeBuffer|writev|write(Latin1|Utf8|Ucs2|Ascii)?String)$/, 'socket writes (syscalls)'],
  [/^(internalConnect|afterConnect|lookupAndConnect)$/, 'backend connect (syscall, callback)'],
  [/^(onconnection|connectionListenerInternal|connectionListener)$/, 'accept (client connection, HTTP server setup)'],
  [/^(close|_destroy|destroy|closeSocketHandle|onStreamDestroy|emitCloseNT|onSocketEnd|shutdown|onWriteComplete|afterShutdown)$|^Socket\._destroy$|^Socket\.end$/, 'close and destroy (both sockets)'],
  [/^(parserOnHeadersComplete|parserOnIncoming|onParserExecuteCommon|onParserExecute|execute|_addHeaderLine|_addHeaderLines)$/, 'HTTP parse of the upgrade request'],
  [/^(onStreamRead|readableAddChunk.*|addChunk|Readable\.push|Readable\.read|emitReadable_|flow|resume_|onread)$/, 'socket reads and stream machinery'],
  [/^\(garbage collector\)$/, 'GC (main thread)'],
  [/^\(program\)$/, 'V8/libuv outside JavaScript ((program))'],
];

// wsgate's own work, by file under dist/src/ (first match) or by dependency.
const WSGATE_BY_FILE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(routing\/|proxy\/stages\/lookup\.js|proxy\/stages\/normalise\.js)/, 'route lookup, request target'],
  [/^(security\/jwt|node_modules\/jose\/)/, 'admission: JWT'],
  [/^security\/api-keys/, 'admission: API key'],
  [/^security\/origin/, 'admission: Origin'],
  [/^(limits\/|security\/rate-limit|security\/client-group|admission\/client-limits)/, 'admission: per-client limits'],
  [/^(admission\/|proxy\/stages\/(admit|guards|overload)\.js|proxy\/overload-gate|security\/client-address|security\/forwarded)/, 'admission: checks and client address'],
  [/^(balancer\/affinity|metrics\/affinity-key)/, 'cookie affinity'],
  [/^(balancer\/|proxy\/choose|proxy\/stages\/choose)/, 'choose endpoint (balancer)'],
  [/^(security\/request-headers|proxy\/stages\/rewrite|proxy\/gateway-http)/, 'request head (header rules, X-Forwarded-*, trace)'],
  [/^(security\/trace|security\/request-id)/, 'request head (header rules, X-Forwarded-*, trace)'],
  [/^(proxy\/connect|proxy\/backend-reuse|proxy\/agents)/, 'backend connect (wsgate side)'],
  [/^(proxy\/backend-handshake|proxy\/websocket-accept|proxy\/first-bytes|proxy\/handshake-timeout)/, 'backend handshake (101 check, answer)'],
  [/^(proxy\/client-handshake)/, 'client handshake check'],
  [/^(proxy\/respond|proxy\/stages\/respond|proxy\/socket-responder|pipeline\/responder)/, 'respond headers'],
  [/^(metrics\/|proxy\/observer|proxy\/stages\/observe|node_modules\/prom-client\/|node_modules\/bintrees\/)/, 'metrics'],
  [/^(log\/|logger\.js|node_modules\/(pino|sonic-boom|pino-std-serializers|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify|thread-stream)\/)/, 'access log'],
  [/^(proxy\/frame-tracker|proxy\/frame-gate|proxy\/message-gates|proxy\/message-policy|proxy\/framing-pass)/, 'frame tracker'],
  [/^(proxy\/deadline-sweep|proxy\/lifecycle|proxy\/release-on-close|proxy\/connections)/, 'timers, sweeps, connection registry'],
  [/^(proxy\/live-connection)/, 'live connection (relay set-up, close)'],
  [/^(proxy\/http1-entry|proxy\/upgrade-exchange|proxy\/stages\/|pipeline\/)/, 'stage runner and exchange'],
];

const LOG_WRITES: Component = { name: 'access log: writes of the batched lines (fs.write)', owner: 'wsgate' };

/**
 * The component a frame names, or undefined (keep walking towards the root). `caller`: the
 * frame that called it; a native write called from node:fs is a file write (the log), not a
 * socket's.
 */
export function componentOf(frame: Frame, caller?: Frame): Component | undefined {
  const { url, functionName } = frame;
  if (!url && caller?.url === 'node:fs' && /^write/.test(functionName)) return LOG_WRITES;
  const rel = relativePath(url);
  if (rel !== undefined) {
    for (const [re, name] of WSGATE_BY_FILE) if (re.test(rel)) return { name, owner: 'wsgate' };
    if (rel.startsWith('node_modules/')) return { name: `other dependency (${rel.split('/')[1]})`, owner: 'wsgate' };
    return { name: `wsgate, other (${rel.replace(/\.js$/, '')})`, owner: 'wsgate' };
  }
  if (url.startsWith('node:') || !url) {
    for (const [re, name] of NODE_BY_FUNCTION) if (re.test(functionName)) return { name, owner: 'node' };
  }
  return undefined;
}

/** The path under dist/src/ or node_modules/ for wsgate's code and its dependencies, else undefined. */
function relativePath(url: string): string | undefined {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + 1);
  const src = url.indexOf('/dist/src/');
  if (src !== -1) return url.slice(src + '/dist/src/'.length);
  // The bare relay's own script: its JavaScript is Node's floor.
  return undefined;
}

const NODE_REST: Component = { name: 'Node, rest (event loop, streams, timers, other core)', owner: 'node' };

export interface AccountRow extends Component {
  /** Sampled main-thread time per upgrade, µs. */
  sampledUs: number;
}

/** Sampled busy time per upgrade by component (idle left out), µs; largest first within each owner. */
export function accountRows(profile: CpuProfile, window: Window, upgrades: number): AccountRow[] {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, Component | null>();
  const classify = (id: number): Component | null => {
    const cached = memo.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') return null;
    const up = parent.get(id);
    const own = componentOf(node.callFrame, up === undefined ? undefined : byId.get(up)?.callFrame);
    const result = own ?? (up === undefined ? NODE_REST : classify(up) ?? NODE_REST);
    memo.set(id, result);
    return result;
  };
  const us = new Map<string, AccountRow>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < window.startUs || t > window.endUs) continue;
    const c = classify(profile.samples[i]!);
    if (!c) continue;
    const row = us.get(c.name) ?? { ...c, sampledUs: 0 };
    row.sampledUs += dt / upgrades;
    us.set(c.name, row);
  }
  return [...us.values()].sort((a, b) => (a.owner === b.owner ? b.sampledUs - a.sampledUs : a.owner === 'node' ? -1 : 1));
}
