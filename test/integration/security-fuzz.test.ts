// Fuzzing the upgrade path of a running wsgate: thousands of random and mutated handshakes
// (seeded, so a failure reproduces: WSGATE_FUZZ_SEED=<seed> reruns the same inputs). Every
// answer must be a well-formed HTTP response or a clean close, the process must stay up, and
// a good client must still connect afterwards.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { prng } from '../helpers/prng.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const CASES = 3000;
const PARALLEL = 16;

const PATHS = ['/gateway/x', '/gateway/', '/auth/x', '/origin', '/', '/gateway/../etc', '/gateway/%2e%2e/x', '/gateway\\x', '*', 'http://evil/', '/gateway/' + 'a'.repeat(3000), '/%00', '/gateway/x?q=' + '%'.repeat(10)];
const METHODS = ['GET', 'POST', 'PUT', 'OPTIONS', 'CONNECT', 'get', 'G ET', '', 'GET GET', 'PRI'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', 'HTTP/9', '', 'http/1.1'];
const HEADERS: Array<[string, string]> = [
  ['Host', 'localhost'],
  ['Host', 'other.example'],
  ['Upgrade', 'websocket'],
  ['Upgrade', 'h2c'],
  ['Connection', 'Upgrade'],
  ['Connection', 'keep-alive, Upgrade, X-A'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['Sec-WebSocket-Key', 'short'],
  ['Sec-WebSocket-Version', '13'],
  ['Sec-WebSocket-Version', '8'],
  ['Sec-WebSocket-Protocol', 'chat, bearer.x.y.z'],
  ['Origin', 'https://app.example.com'],
  ['Origin', 'https://evil.example.com'],
  ['Authorization', 'Bearer a.b.c'],
  ['Authorization', 'Bearer ' + 'x'.repeat(9000)],
  ['X-API-Key', 'fuzz-key-000'],
  ['Content-Length', '5'],
  ['Transfer-Encoding', 'chunked'],
  ['X-Forwarded-For', '1.2.3.4, garbage, ::1'],
  ['traceparent', '00-zz-00-01'],
  ['X-Request-Id', 'é\u0001'],
  ['Keep-Alive', 'timeout=1'],
  ['X-Long', 'v'.repeat(20000)],
];

function generate(rand: () => number): { bytes: Buffer; end: boolean } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const mode = rand();
  let text: string;
  if (mode < 0.1) {
    // Pure noise.
    const n = Math.floor(rand() * 600);
    return { bytes: Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256))), end: rand() < 0.5 };
  }
  const lines = [`${rand() < 0.8 ? 'GET' : pick(METHODS)} ${rand() < 0.7 ? '/gateway/x' : pick(PATHS)} ${rand() < 0.85 ? 'HTTP/1.1' : pick(VERSIONS)}`];
  const base: Array<[string, string]> = [
    ['Host', 'localhost'],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['Sec-WebSocket-Version', '13'],
  ].filter(() => rand() < 0.9) as Array<[string, string]>;
  const extra = Array.from({ length: Math.floor(rand() * 4) }, () => pick(HEADERS));
  for (const [k, v] of [...base, ...extra]) lines.push(`${k}: ${v}`);
  text = lines.join('\r\n') + '\r\n\r\n';
  if (mode > 0.45) {
    // Byte-level mutations of a plausible request.
    const buf = Buffer.from(text, 'latin1');
    const mutations = 1 + Math.floor(rand() * 6);
    let out = buf;
    for (let i = 0; i < mutations; i++) {
      const at = Math.floor(rand() * out.length);
      const kind = rand();
      if (kind < 0.3) out[at] = Math.floor(rand() * 256);
      else if (kind < 0.5) out = Buffer.concat([out.subarray(0, at), Buffer.from(pick(['\r\n', '\n', '\r', ':', ' ', '\0', '\r\n\r\n', '%', '\t'])), out.subarray(at)]);
      else if (kind < 0.7) out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + Math.floor(rand() * 20)))]);
      else if (kind < 0.85) out = out.subarray(0, at); // truncated
      else out = Buffer.concat([out.subarray(0, at), out.subarray(at, at + 40), out.subarray(at)]); // duplicated run
    }
    return { bytes: out, end: rand() < 0.6 };
  }
  return { bytes: Buffer.from(text, 'latin1'), end: rand() < 0.3 };
}

type Outcome = { ok: true } | { ok: false; why: string; data: string };

function runCase(port: number, input: { bytes: Buffer; end: boolean }): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const judge = (how: string) => {
      if (data.length === 0) return finish({ ok: true }); // a clean close without an answer
      const text = data.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.1 [1-5]\d\d [^\r\n]*\r\n/.test(text);
      if (!status) return finish({ ok: false, why: `not an HTTP response (${how})`, data: text.slice(0, 200) });
      if (headEnd === -1) return finish({ ok: false, why: `incomplete response head (${how})`, data: text.slice(0, 200) });
      const bad = text.slice(text.indexOf('\r\n') + 2, headEnd).split('\r\n').find((l) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+: ?[^\r\n]*$/.test(l));
      if (bad !== undefined) return finish({ ok: false, why: `malformed response header ${JSON.stringify(bad)}`, data: text.slice(0, 200) });
      finish({ ok: true });
    };
    const timer = setTimeout(() => finish({ ok: false, why: 'no answer and no close within 5 s', data: data.toString('latin1').slice(0, 200) }), 5000);
    socket.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      // A complete head is enough: a 101 stays open as a WebSocket.
      if (data.includes('\r\n\r\n')) judge('head');
    });
    socket.on('close', () => judge('close'));
    socket.on('error', () => judge('reset'));
    socket.write(input.bytes, () => {
      if (input.end) socket.end();
    });
  });
}

describe('security: fuzzing the upgrade path', () => {
  let backend: EchoServer;
  let gw: WsgateChild;
  const seed = Number(process.env.WSGATE_FUZZ_SEED ?? Date.now() % 2 ** 31);

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    const file = path.join(tempDir(), 'routes.yaml');
    const keysDir = tempDir();
    fs.mkdirSync(path.join(keysDir, 'default', 'keys'), { recursive: true });
    fs.writeFileSync(path.join(keysDir, 'default', 'keys', 'k'), 'fuzz-key-000');
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'gateway', spec: { match: { path: '/gateway/{catchAll}' }, backend: { endpoints, path: '/{catchAll}' }, requestHeaders: { set: { 'X-Gateway': 'wsgate' } } } },
        { name: 'auth', spec: { match: { path: '/auth/{rest}' }, backend: { endpoints }, security: { auth: { apiKeys: { secretRef: { name: 'keys' } }, jwt: { secretRef: { name: 'keys' }, tokenFrom: { subprotocolPrefix: 'bearer.' } } } } } },
        { name: 'origin', spec: { match: { path: '/origin' }, backend: { endpoints }, security: { allowedOrigins: ['https://app.example.com'] }, limits: { upgradesPerSecondPerClient: 1000 } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', keysDir, '--handshake-timeout', '300ms', '--log-level', 'warn']);
  });

  after(async () => {
    await gw?.stop('SIGKILL');
    await backend?.close();
  });

  test(`${CASES} random and mutated handshakes: valid HTTP or a clean close, and wsgate survives`, async (t) => {
    t.diagnostic(`fuzz seed ${seed} (rerun with WSGATE_FUZZ_SEED=${seed})`);
    process.stdout.write(`# fuzz seed ${seed}\n`);
    const rand = prng(seed);
    const inputs = Array.from({ length: CASES }, () => generate(rand));
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < inputs.length) {
        const i = next++;
        const o = await runCase(gw.proxyPort, inputs[i]!);
        if (!o.ok && failures.length < 10) failures.push(`case ${i}: ${o.why}: ${JSON.stringify(o.data)} for ${JSON.stringify(inputs[i]!.bytes.toString('latin1').slice(0, 300))}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    assert.deepEqual(failures, [], `seed ${seed}`);
    assert.equal(gw.child.exitCode, null, 'wsgate exited');
    const health = await fetch(`http://127.0.0.1:${gw.adminPort}/healthz`);
    assert.equal(health.status, 200);
    const c = await connect(`${gw.url}/gateway/after-fuzz`);
    assert.equal(c.hello.path, '/after-fuzz');
    assert.equal(await c.echo('still fine'), 'still fine');
    await c.close();
  });
});
