// Slow and hostile clients against one standalone wsgate, while a good client from another
// loopback address (127.0.0.2) keeps one connection echoing and opens a fresh one every 250 ms:
//   - slowloris: request heads trickled a byte at a time are cut off by the handshake timeout;
//   - clients that never read while the backend tries to push 1 GiB: backpressure holds the
//     backend back and wsgate's memory stays bounded;
//   - a flood of upgrades from one address: 429 with Retry-After once over the route's
//     upgradesPerSecondPerClient;
// and, with its own wsgate on a private veth link: half-open TCP connections (the client's link
// taken down, so no FIN or RST ever arrives) are closed by the route's idle timeout.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { upgradeRequest } from '../../test/helpers/raw-http.js';
import { cliPath } from '../../test/helpers/wsgate-child.js';
import { createLink, netnsAvailable, type Link } from './lib/netns-link.js';
import { repoRoot, startEchoProc, startGate, startScript, tempDir, waitForFds, type EchoProc, type GateProc } from './lib/procs.js';
import { ep, writeRoutes } from './lib/routes.js';
import { Fleet, percentile, report, type SeqClient } from './lib/seq-client.js';

const MiB = 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 1000;

/** Whether this wsgate has a flag (another engineer may be adding it). */
function hasFlag(flag: string): boolean {
  return execFileSync(process.execPath, [cliPath, 'standalone', '--help'], { encoding: 'utf8' }).includes(flag);
}

/** Whether `wsgate validate` accepts limits.upgradesPerSecondPerClient. */
function rateLimitSupported(dir: string): boolean {
  const file = path.join(dir, 'probe.yaml');
  writeRoutes(file, [{ name: 'probe', spec: { match: { path: '/p' }, limits: { upgradesPerSecondPerClient: 10 }, backend: { endpoints: [{ host: '127.0.0.1', port: 1 }] } } }]);
  try {
    execFileSync(process.execPath, [cliPath, 'validate', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(file);
  }
}

/** A WebSocket client that completes the handshake and then never reads another byte. */
function neverReadingClient(port: number, pathname: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`no 101: ${head.slice(0, 40)}`));
      else resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(upgradeRequest(pathname));
  });
}

describe('slow and hostile clients; the service stays up for everyone else', () => {
  let dir: string;
  let gw: GateProc;
  let echo: EchoProc;
  let flood: Awaited<ReturnType<typeof startScript>>;
  let floodPort = 0;
  let limited = false;
  const fleet = new Fleet();
  let canary: SeqClient;
  let stopCanaryTraffic = () => {};
  let probing = true;
  let probeLoop: Promise<void> = Promise.resolve();
  const probe = { ok: 0, failed: 0, failures: [] as string[], handshakeMs: [] as number[], maxByPhase: {} as Record<string, number> };
  /** What the hostile side is doing, for the good client's figures. */
  let phase = 'quiet';
  let warmedUp = () => {};
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));

  before(async () => {
    dir = tempDir('wsgate-rel-hostile-');
    limited = rateLimitSupported(dir);
    echo = await startEchoProc('hostile-echo');
    flood = await startScript(path.join(repoRoot, 'dist/e2e/reliability/lib/flood-backend.js'), [String(1024 * MiB), '8'], /flood backend on \S+:(\d+)/);
    floodPort = Number(flood.match[1]);
    const file = path.join(dir, 'routes.yaml');
    writeRoutes(file, [
      { name: 'r', spec: { match: { path: '/r' }, ...(limited ? { limits: { upgradesPerSecondPerClient: 10 } } : {}), backend: { endpoints: [ep(echo)] } } },
      { name: 'flood', spec: { match: { path: '/flood' }, backend: { endpoints: [{ host: '127.0.0.1', port: floodPort }] } } },
    ]);
    const handshakeFlag = hasFlag('--handshake-timeout') ? ['--handshake-timeout', `${HANDSHAKE_TIMEOUT_MS}ms`] : [];
    gw = await startGate(['standalone', '--config', file, ...handshakeFlag], { dir });
    // The good client: one long-lived connection echoing every 100 ms, and a fresh connection
    // (one echo, then a clean close) every 250 ms, all from 127.0.0.2.
    canary = fleet.add({ url: `${gw.url}/r`, localAddress: '127.0.0.2', maxAttempts: 1 });
    assert.ok(await canary.connect(), 'the good client connects');
    stopCanaryTraffic = fleet.startTraffic(100, 50, [canary]);
    probeLoop = (async () => {
      while (probing) {
        const p = fleet.add({ url: `${gw.url}/r`, localAddress: '127.0.0.2', maxAttempts: 1 });
        const t0 = performance.now();
        if (await p.connect()) {
          const ms = performance.now() - t0;
          probe.handshakeMs.push(ms);
          probe.maxByPhase[phase] = Math.max(probe.maxByPhase[phase] ?? 0, Math.round(ms));
          p.send();
          try {
            await fleet.waitFor('probe echo', () => p.unanswered === 0, 5000);
            probe.ok++;
            warmedUp();
          } catch {
            probe.failed++;
          }
          await p.stop();
        } else {
          probe.failed++;
          if (probe.failures.length < 3) probe.failures.push(...p.failures);
        }
        fleet.clients.splice(fleet.clients.indexOf(p), 1);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    // The hostile phases start once the good client's first fresh connection went through.
    await warm;
  });

  after(async () => {
    probing = false;
    await probeLoop;
    stopCanaryTraffic();
    await fleet.stopAll();
    await gw?.stop('SIGKILL');
    await echo?.kill();
    await flood?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('slowloris: heads trickled a byte at a time are cut off by the handshake timeout', async () => {
    const flag = hasFlag('--handshake-timeout');
    // Without the flag Node's headersTimeout (60 s, checked every 30 s) is what cuts them.
    const expectMs = flag ? HANDSHAKE_TIMEOUT_MS : 90000;
    phase = 'slowloris';
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, () =>
        new Promise<{ ms: number; status: string; bytes: number }>((resolve) => {
          const t0 = performance.now();
          const socket = net.connect({ host: '127.0.0.1', port: gw.proxyPort });
          let answer = '';
          let bytes = 0;
          let trickle: NodeJS.Timeout | undefined;
          socket.on('connect', () => {
            socket.write('GET /r HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
            trickle = setInterval(() => {
              socket.write('a');
              bytes++;
            }, 100);
          });
          socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
          socket.on('error', () => {});
          const guard = setTimeout(() => socket.destroy(), expectMs + 10000);
          socket.on('close', () => {
            clearInterval(trickle);
            clearTimeout(guard);
            resolve({ ms: performance.now() - t0, status: /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'none', bytes });
          });
        }),
      ),
    );
    const statuses: Record<string, number> = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const ms = results.map((r) => r.ms);
    report('hostile slowloris', {
      connections: n,
      handshakeTimeout: flag ? `${HANDSHAKE_TIMEOUT_MS}ms (--handshake-timeout)` : 'Node headersTimeout',
      answers: statuses,
      cutMsP50: percentile(ms, 50).toFixed(0),
      cutMsMax: Math.max(...ms).toFixed(0),
      bytesTrickledMax: Math.max(...results.map((r) => r.bytes)),
    });
    assert.ok(Math.max(...ms) < expectMs + 3000, `every slow head was cut off (slowest after ${Math.max(...ms).toFixed(0)} ms)`);
    if (flag) assert.deepEqual(statuses, { '408': n }, 'each got 408 Request Timeout');
    assert.equal(gw.child.exitCode, null, 'wsgate is still running');
  });

  test('clients that never read while the backend pushes 1 GiB: backpressure bounds wsgate memory', async () => {
    const n = 8;
    phase = 'never-reading';
    const rssBefore = gw.rss();
    const sockets = await Promise.all(Array.from({ length: n }, () => neverReadingClient(gw.proxyPort, '/flood')));
    const stats = async () => JSON.parse((await (await fetch(`http://127.0.0.1:${floodPort}/stats`)).text())) as { pushed: number; connections: number };
    // Wait until the backend is stuck: nothing more pushed for a second (bounded).
    let last = -1;
    let still = 0;
    let rssPeak = gw.rss();
    const deadline = performance.now() + 30000;
    while (still < 4 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const { pushed } = await stats();
      rssPeak = Math.max(rssPeak, gw.rss());
      still = pushed === last ? still + 1 : 0;
      last = pushed;
    }
    // Held there a little longer: nothing may grow while stuck.
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 250));
      rssPeak = Math.max(rssPeak, gw.rss());
    }
    const { pushed, connections } = await stats();
    const grew = rssPeak - rssBefore;
    const active = (await gw.metrics()).sum('wsgate_connections_active', { route: 'flood' });
    for (const s of sockets) s.destroy();
    report('hostile never-reading clients', {
      clients: n,
      backendTried: '1024MiB',
      backendPushedMiB: (pushed / MiB).toFixed(1),
      perClientMiB: (pushed / MiB / n).toFixed(1),
      wsgateRssBeforeMiB: (rssBefore / MiB).toFixed(1),
      wsgateRssPeakMiB: (rssPeak / MiB).toFixed(1),
      grewMiB: (grew / MiB).toFixed(1),
      activeOnRoute: active,
      backendConnections: connections,
    });
    assert.equal(connections, n);
    assert.ok(pushed < 512 * MiB, `the backend was held back (pushed ${(pushed / MiB).toFixed(0)} MiB of 1024)`);
    assert.ok(grew < 64 * MiB, `wsgate grew ${(grew / MiB).toFixed(1)} MiB`);
    await new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const check = async () => {
        if ((await gw.metrics()).sum('wsgate_connections_active', { route: 'flood' }) === 0) return resolve();
        if (performance.now() - t0 > 15000) return reject(new Error('the flood connections did not close'));
        setTimeout(() => void check().catch(reject), 100);
      };
      void check().catch(reject);
    });
  });

  test('a flood of upgrades from one address: limited for it, not for others', async () => {
    const seconds = 5;
    phase = 'upgrade-flood';
    const flooder = await startScript(
      path.join(repoRoot, 'dist/e2e/reliability/lib/upgrade-flood.js'),
      [String(gw.proxyPort), '/r', String(seconds), '20'],
      /^(\{.*\})$/m,
      { timeoutMs: (seconds + 20) * 1000 },
    );
    await flooder.exited;
    const { statuses, withRetryAfter, errors } = JSON.parse(flooder.match[1]!) as { statuses: Record<string, number>; withRetryAfter: number; errors: number };
    const total = Object.values(statuses).reduce((a, b) => a + b, 0) + errors;
    report('hostile upgrade flood', {
      from: '127.0.0.1',
      seconds,
      attempts: total,
      perSecond: (total / seconds).toFixed(0),
      answers: statuses,
      '429withRetryAfter': withRetryAfter,
      errors,
      limit: limited ? 'upgradesPerSecondPerClient: 10' : 'none (field not supported)',
    });
    assert.equal(errors, 0, 'every flood attempt got an HTTP answer');
    if (limited) {
      // A burst of 10, then 10 per second.
      assert.ok((statuses['101'] ?? 0) <= 10 + 10 * (seconds + 1), `${statuses['101']} upgrades let through`);
      assert.ok((statuses['429'] ?? 0) > 0 && withRetryAfter === statuses['429'], '429 with Retry-After for the flooder');
    }
  });

  test('the good client from 127.0.0.2 was never disturbed', async () => {
    phase = 'quiet';
    await fleet.settle(10000, [canary]);
    const s = fleet.summary([canary]);
    report('hostile good client', {
      from: '127.0.0.2',
      longLived: `checked=${s.checked} lost=${s.lost} reordered=${s.reordered} closes=${JSON.stringify(s.closes)}`,
      freshConnections: probe.ok,
      failed: probe.failed,
      handshakeMsP50: percentile(probe.handshakeMs, 50).toFixed(1),
      handshakeMsMaxByPhase: probe.maxByPhase,
    });
    assert.deepEqual(s.closes, {});
    assert.equal(s.lost + s.reordered + s.unanswered, 0);
    assert.ok(s.checked > 50);
    assert.equal(probe.failed, 0, `fresh connections failed: ${probe.failures.join('; ')}`);
    assert.ok(probe.ok > 20);
    assert.equal(gw.child.exitCode, null, 'wsgate is still running');
  });
});

describe('half-open TCP: a client whose link goes down is closed by the idle timeout', { skip: !netnsAvailable() && 'needs root and ip netns' }, () => {
  let link: Link | undefined;
  let gw: GateProc | undefined;
  let echo: EchoProc | undefined;
  let client: Awaited<ReturnType<typeof startScript>> | undefined;
  let dir = '';

  after(async () => {
    await client?.kill();
    await gw?.stop('SIGKILL');
    await echo?.kill();
    await link?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('20 connections from a namespace whose link is taken down: gone after timeouts.idle', async () => {
    dir = tempDir('wsgate-rel-halfopen-');
    link = await createLink();
    echo = await startEchoProc('halfopen-echo');
    const file = path.join(dir, 'routes.yaml');
    const idleMs = 2000;
    writeRoutes(file, [{ name: 'ho', spec: { match: { path: '/ho' }, timeouts: { idle: `${idleMs}ms` }, backend: { endpoints: [ep(echo)] } } }]);
    // wsgate listens on the host side of the private link only.
    gw = await startGate(['standalone', '--config', file], { dir, listen: `${link.hostAddress}:0` });
    const fdsBefore = gw.fds();
    const n = 20;
    client = await startScript(path.join(repoRoot, 'dist/e2e/reliability/lib/netns-client.js'), [`ws://${link.hostAddress}:${gw.proxyPort}/ho`, String(n)], /open (\d+)/, { netns: link.netns });
    const active = async () => (await gw!.metrics()).sum('wsgate_connections_active', { route: 'ho' });
    assert.equal(await active(), n);
    // Busy for longer than the idle timeout: the timeout does not cut live connections.
    await new Promise((r) => setTimeout(r, idleMs + 500));
    assert.equal(await active(), n, 'busy connections outlive the idle timeout');
    const held = await active();

    // The fault: the link goes down, then the client process dies. Nothing reaches wsgate.
    const t0 = performance.now();
    await link.down();
    await client.kill('SIGKILL');
    let droppedMs = -1;
    while (performance.now() - t0 < idleMs + 15000) {
      if ((await active()) === 0) {
        droppedMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const m = await gw.metrics();
    const fdsAfter = await waitForFds(gw.pid, fdsBefore, 5000);
    report('hostile half-open', {
      connections: held,
      fault: 'link down + SIGKILL of the client (no FIN/RST)',
      idleTimeoutMs: idleMs,
      gaugeZeroAfterMs: droppedMs.toFixed(0),
      idleTimeoutCloses: m.sum('wsgate_lifecycle_closes_total', { route: 'ho', reason: 'idle_timeout' }),
      closesByCode: m.by('wsgate_closes_total', 'code', { route: 'ho' }),
      fdsBefore,
      fdsAfter,
    });
    assert.ok(droppedMs >= 0, 'the active-connection gauge dropped to 0');
    assert.ok(droppedMs >= idleMs - 250, 'not before the idle timeout');
    assert.equal(m.sum('wsgate_lifecycle_closes_total', { route: 'ho', reason: 'idle_timeout' }), n);
    assert.equal(fdsAfter, fdsBefore, 'their sockets are closed');
  });
});
