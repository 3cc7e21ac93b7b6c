// The bench's route features (bench/lib/features.ts): the route spec, Secret files and client
// headers of the `wsgate-features` and `wsgate-feature-*` targets, what each costs in the report,
// and — against a real wsgate started as `make bench` starts it — that the route really enforces
// them and the bench's clients really pass them (or the features row measures nothing).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { jwtVerify } from 'jose';
import { WebSocket, WebSocketServer } from 'ws';
import {
  ALL_ROUTE_FEATURES,
  BENCH_ORIGIN,
  FEATURES,
  featureClientHeaders,
  featureCosts,
  featureSecrets,
  featureSpecLines,
  hs256Jwt,
} from '../../bench/lib/features.js';
import { renderMarkdown } from '../../bench/report.js';
import { featureOf, FEATURE_TARGETS, startTarget, type Target } from '../../bench/targets.js';
import { benchResult } from './report-fixture.js';
import { repoRoot } from '../helpers/wsgate-child.js';

test('features: one spec block a feature; JWT and API keys share one auth block', () => {
  assert.deepEqual(featureSpecLines([]), []);
  const origin = featureSpecLines(['origin']).join('\n');
  assert.match(origin, /allowedOrigins: \['https:\/\/app\.bench\.example'\]/);
  assert.match(origin, /allowMissingOrigin: false/);
  assert.doesNotMatch(origin, /auth:/);
  const both = featureSpecLines(['apikey', 'jwt']).join('\n');
  assert.equal(both.match(/^ {4}auth:$/gm)?.length, 1);
  assert.match(both, /jwt: \{ secretRef: \{ name: bench-jwt \}, audiences: \[wsgate-bench\], algorithms: \[HS256\] \}/);
  assert.match(both, /apiKeys: \{ secretRef: \{ name: bench-api-keys \} \}/);
  assert.match(featureSpecLines(['affinity']).join('\n'), /sessionAffinity: \{ cookie: \{ name: bench-affinity/);
  assert.match(featureSpecLines(['limits']).join('\n'), /maxConnectionsPerClient: 1000000/);
  assert.match(featureSpecLines(['headers']).join('\n'), /remove: \[x-bench-debug\]/);
});

test('features: the Secrets and client headers match the features, the JWT verifies with the secret', async () => {
  assert.deepEqual(Object.keys(featureSecrets(['apikey', 'jwt', 'origin'])).sort(), ['default/bench-api-keys/key', 'default/bench-jwt/secret']);
  assert.deepEqual(featureSecrets(['origin', 'headers']), {});
  const now = 1_800_000_000;
  const h = featureClientHeaders(['origin', 'apikey', 'jwt', 'headers'], now);
  assert.equal(h.origin, BENCH_ORIGIN);
  assert.equal(h['x-api-key'], featureSecrets(['apikey'])['default/bench-api-keys/key']);
  assert.equal(h['x-bench-debug'], '1');
  const token = h.authorization!.replace(/^Bearer /, '');
  const secret = new TextEncoder().encode(featureSecrets(['jwt'])['default/bench-jwt/secret']);
  const { payload, protectedHeader } = await jwtVerify(token, secret, { audience: 'wsgate-bench', currentDate: new Date(now * 1000) });
  assert.equal(protectedHeader.alg, 'HS256');
  assert.equal(payload.exp, now + 24 * 3600);
  // A token signed with another secret does not verify.
  await assert.rejects(jwtVerify(hs256Jwt({ aud: 'wsgate-bench' }, 'x'.repeat(40)), secret));
  assert.deepEqual(featureClientHeaders(['limits', 'affinity'], now), {});
});

test('feature costs: per feature and all, against plain wsgate and the bare relay; rows only where run', () => {
  const cpu: Record<string, number> = { wsgate: 400, 'node-relay': 200, 'wsgate-feature-jwt': 480, 'wsgate-feature-origin': 395, 'wsgate-features': 560 };
  const costs = featureCosts((t) => cpu[t] ?? Number.NaN);
  assert.deepEqual(Object.keys(costs), ['jwt', 'origin', 'all']);
  assert.deepEqual(costs.jwt, { proxyCpuUsPerUpgrade: 480, addedUsPerUpgrade: 80, vsNodeRelay: 2.4 });
  assert.deepEqual(costs.origin, { proxyCpuUsPerUpgrade: 395, addedUsPerUpgrade: -5, vsNodeRelay: 1.975 });
  assert.deepEqual(costs.all, { proxyCpuUsPerUpgrade: 560, addedUsPerUpgrade: 160, vsNodeRelay: 2.8 });
  const alone = featureCosts((t) => (t === 'wsgate-features' ? 500 : Number.NaN));
  assert.ok(Number.isNaN(alone.all!.addedUsPerUpgrade) && Number.isNaN(alone.all!.vsNodeRelay));
  assert.deepEqual(FEATURE_TARGETS.map(featureOf), [...FEATURES]);
  assert.equal(featureOf('wsgate'), undefined);
});

test('report: the features table, one row a feature and all of them, and the row against the relay', () => {
  const cpu: Record<string, number> = { wsgate: 400, 'node-relay': 200, 'wsgate-feature-apikey': 420, 'wsgate-features': 560 };
  const md = renderMarkdown(
    benchResult({
      upgrades: { wsgate: { proxyCpuUsPerUpgrade: 400 } },
      featureCosts: featureCosts((t) => cpu[t] ?? Number.NaN),
      ratios: { wsgateVsNodeRelay: { proxyCpuPerUpgrade: 2 }, nodeRelayVsNginx: {}, wsgateFeaturesVsNodeRelay: { proxyCpuPerUpgrade: 2.8 } },
    }),
  );
  assert.match(md, /^\| wsgate, no feature \| 400 \| \| 2\.00 \|$/m);
  assert.match(md, /^\| \+ API-key auth \(x-api-key\) \| 420 \| \+20 \| 2\.10 \|$/m);
  assert.match(md, /^\| \*\*every route feature on\*\* .* \| 560 \| \+160 \| 2\.80 \|$/m);
  assert.match(md, /^\| proxy CPU per upgrade, every route feature on \(wsgate-features; lower is better\) \| 2\.80 \| \|$/m);
  assert.doesNotMatch(md, /JWT auth \(HS256/, 'no row for a feature that did not run');
});

const seen: Array<IncomingMessage['headers']> = [];
let backend: WebSocketServer;
let gate: Target | undefined;

before(async () => {
  backend = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  backend.on('connection', (ws, req) => {
    seen.push(req.headers);
    ws.send('hello');
  });
  await once(backend, 'listening');
});

after(async () => {
  await gate?.stop();
  backend.close();
});

/**
 * Opens one client with these headers: the status of a refused upgrade, or 101 and its
 * Set-Cookie once the backend's greeting arrived (so the backend has recorded the request).
 */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; setCookie?: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let setCookie: string[] | undefined;
    ws.once('upgrade', (res: IncomingMessage) => (setCookie = res.headers['set-cookie']));
    ws.once('message', () => {
      resolve({ status: 101, ...(setCookie ? { setCookie } : {}) });
      ws.close(1000);
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

test('wsgate-features: the route refuses clients without the headers and passes the bench clients through every feature', async () => {
  gate = await startTarget('wsgate-features', { ports: [(backend.address() as AddressInfo).port], pid: 0, stop: async () => {} });
  assert.deepEqual(ALL_ROUTE_FEATURES, ['jwt', 'origin', 'headers', 'affinity', 'limits']);
  const url = gate.urls[0]!;
  const headers = { ...gate.clientHeaders };
  assert.ok(headers.authorization && headers.origin);
  // Without a token: 401; with the token but another Origin: 403.
  assert.equal((await upgrade(url, { origin: BENCH_ORIGIN })).status, 401);
  assert.equal((await upgrade(url, { ...headers, origin: 'https://evil.example' })).status, 403);
  assert.equal(seen.length, 0, 'a refused upgrade reaches no backend');
  const ok = await upgrade(url, headers);
  assert.equal(ok.status, 101);
  assert.ok(ok.setCookie?.some((c) => c.startsWith('bench-affinity=')), 'affinity cookie on the 101');
  const h = seen.at(-1);
  assert.ok(h, 'the accepted upgrade reached the backend');
  assert.equal(h['x-bench-tenant'], 'bench');
  assert.equal(h['x-bench-via'], 'wsgate');
  assert.equal(h['x-bench-debug'], undefined, 'the remove rule removed the client header');
});

test('profile-upgrades --target wsgate-features: its clients pass every feature (no upgrade fails)', async () => {
  // The A/B tool of issue 27's features row: a run whose upgrades were refused would measure refusals.
  const script = path.join(repoRoot, 'dist/bench/profile-upgrades.js');
  const child = spawn(process.execPath, [script, '--no-profile', '--target', 'wsgate-features', '--upgrades', '60', '--warmup', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, out);
  assert.match(out, /60 upgrades \(8 loops, after 10 unmeasured, every route feature, log level info\).* wsgate-features CPU \d+ µs per upgrade .*, 0 failed;/);
});
