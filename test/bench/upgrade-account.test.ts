// The per-microsecond account of an upgrade (bench/lib/upgrade-account.ts): every sample in the
// window lands in exactly one component, the innermost frame that names one (Node's socket
// write inside wsgate's code is Node's; a file write under node:fs is the log's), and the rows
// add up to the window's busy time per upgrade.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CpuProfile, CpuProfileNode } from '../../bench/cpuprofile-summary.js';
import { accountRows, componentOf } from '../../bench/lib/upgrade-account.js';

const SRC = 'file:///repo/dist/src/';
const NM = 'file:///repo/node_modules/';

/** A profile from stacks (root first) with their sample durations in µs, in order. */
function profile(samples: ReadonlyArray<readonly [ReadonlyArray<readonly [string, string]>, number]>): CpuProfile {
  const nodes: CpuProfileNode[] = [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [] }];
  const ids: number[] = [];
  for (const [stack] of samples) {
    let at = nodes[0]!;
    for (const [functionName, url] of stack) {
      let next = (at.children ?? []).map((c) => nodes[c - 1]!).find((n) => n.callFrame.functionName === functionName && n.callFrame.url === url);
      if (!next) {
        next = { id: nodes.length + 1, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 }, children: [] };
        nodes.push(next);
        at.children!.push(next.id);
      }
      at = next;
    }
    ids.push(at.id);
  }
  return { nodes, startTime: 0, endTime: 0, samples: ids, timeDeltas: samples.map(([, dt]) => dt) };
}

const parse: ReadonlyArray<readonly [string, string]> = [['onParserExecute', 'node:_http_server'], ['execute', '']];
const entry = [...parse, ['onUpgrade', `${SRC}proxy/http1-entry.js`]] as const;

describe('upgrade account', () => {
  it('puts each sample in the innermost component of its stack, and the rows add up', () => {
    const p = profile([
      [[...entry, ['BackendHandshake', `${SRC}proxy/backend-handshake.js`], ['writeGeneric', 'node:internal/stream_base_commons'], ['writeBuffer', '']], 40],
      [[...entry, ['BackendHandshake', `${SRC}proxy/backend-handshake.js`], ['concat', 'node:buffer']], 10],
      [[...entry, ['run', `${SRC}admission/guard.js`], ['verifyToken', `${SRC}security/jwt.js`], ['verifySignature', `${NM}jose/dist/webapi/lib/jws_verify.js`], ['jobPromise', 'node:internal/crypto/util']], 30],
      [[...parse], 20],
      [[['actualWrite', `${NM}sonic-boom/index.js`], ['write', 'node:fs'], ['writeString', '']], 6],
      [[['(garbage collector)', '']], 8],
      [[['(idle)', '']], 500],
      [[['processTicksAndRejections', 'node:internal/process/task_queues']], 4],
      // After the window: left out.
      [[...entry, ['writeGeneric', 'node:internal/stream_base_commons']], 1000],
    ]);
    const rows = accountRows(p, { startUs: 0, endUs: 618 }, 2);
    const us = Object.fromEntries(rows.map((r) => [r.name, r.sampledUs]));
    assert.deepEqual(us, {
      'socket writes (syscalls)': 20,
      'HTTP parse of the upgrade request': 10,
      'GC (main thread)': 4,
      'Node, rest (event loop, streams, timers, other core)': 2,
      'admission: JWT': 15,
      'backend handshake (101 check, answer)': 5,
      'access log: writes of the batched lines (fs.write)': 3,
    });
    assert.equal(rows.reduce((s, r) => s + r.sampledUs, 0), (40 + 10 + 30 + 20 + 6 + 8 + 4) / 2, 'busy time per upgrade, idle and the rest of the profile left out');
    assert.deepEqual(rows.map((r) => r.owner), ['node', 'node', 'node', 'node', 'wsgate', 'wsgate', 'wsgate'], "Node's rows first");
  });

  it('names wsgate files and dependencies, and leaves unnamed Node frames to their callers', () => {
    const at = (url: string, functionName = 'f') => componentOf({ functionName, url, lineNumber: 0, columnNumber: 0 })?.name;
    assert.equal(at(`${SRC}routing/table.js`), 'route lookup, request target');
    assert.equal(at(`${SRC}balancer/affinity.js`), 'cookie affinity');
    assert.equal(at(`${SRC}balancer/pick.js`), 'choose endpoint (balancer)');
    assert.equal(at(`${NM}prom-client/lib/counter.js`), 'metrics');
    assert.equal(at(`${NM}pino/lib/tools.js`), 'access log');
    assert.equal(at(`${NM}left-pad/index.js`), 'other dependency (left-pad)');
    assert.equal(at(`${SRC}proxy/new-thing.js`), 'wsgate, other (proxy/new-thing)');
    assert.equal(at('node:events', 'emit'), undefined);
    assert.equal(at('node:net', 'internalConnect'), 'backend connect (syscall, callback)');
    assert.equal(at('file:///repo/dist/bench/node-relay.js'), undefined, "the relay's own script is Node's floor");
  });
});
