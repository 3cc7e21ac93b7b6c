// HTTP/2 through a real `wsgate standalone` process with the tools people use: Debian's curl
// (built with nghttp2) gets `HTTP/2 200` over TLS on a route with http.methods and with
// --http2-prior-knowledge on the plain listener with --h2c; h2load (Debian's nghttp2-client)
// drives many streams on few connections, over TLS and over h2c, and every request reaches the
// backend with its own target and every answer is a 2xx. `bash test/http2/setup.sh` installs
// them; a missing tool skips locally and fails under CI=true.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeCa, type TestCa } from '../helpers/certs.js';
import { startHttpBackend, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const run = promisify(execFile);

function has(command: string, check: (out: string) => boolean = () => true): boolean {
  try {
    return check(execFileSync(command, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return false;
  }
}
const curlHttp2 = has('curl', (out) => /\bHTTP2\b/.test(out));
const h2load = has('h2load');
const missing = [curlHttp2 ? '' : 'curl with HTTP2', h2load ? '' : 'h2load'].filter(Boolean).join(' and ');
const skip = missing && process.env.CI !== 'true' ? `${missing} missing (bash test/http2/setup.sh installs them)` : false;

const HOST = 'tools.test';

/** Counts of an h2load run from its summary lines. */
function h2loadSummary(out: string): { done: number; succeeded: number; failed: number; errored: number; status2xx: number } {
  const req = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const codes = /status codes: (\d+) 2xx/.exec(out);
  assert.ok(req && codes, out);
  return { done: Number(req[2]), succeeded: Number(req[3]), failed: Number(req[4]), errored: Number(req[5]), status2xx: Number(codes[1]) };
}

describe('curl and h2load over HTTP/2', { skip }, () => {
  let ca: TestCa;
  let caFile: string;
  let dir: string;
  let backend: HttpBackend;
  let gw: WsgateChild;

  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing} missing: run bash test/http2/setup.sh`);
    ca = makeCa();
    // h2load sends no SNI to an address: the default certificate serves it, for the IP too.
    const leaf = ca.issue(HOST, [HOST, '127.0.0.1']);
    dir = tempDir();
    caFile = path.join(dir, 'ca.crt');
    fs.writeFileSync(caFile, ca.cert);
    fs.writeFileSync(path.join(dir, 'tls.crt'), leaf.cert);
    fs.writeFileSync(path.join(dir, 'tls.key'), leaf.key);
    backend = await startHttpBackend('tools');
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(file, routesYaml([{ name: 'app', spec: { match: { path: '/app/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], path: '/{rest}' }, http: { methods: ['GET', 'HEAD'] } } }]));
    gw = await startWsgate(['standalone', '--config', file, '--tls-listen', '127.0.0.1:0', '--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key'), '--h2c']);
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('curl --http2 over TLS: HTTP/2 200 on a route with http.methods; a method it does not list is 405 over HTTP/2 too', async () => {
    const base = ['-sS', '--http2', '--cacert', caFile, '--resolve', `${HOST}:${gw.tlsPort}:127.0.0.1`, '-o', '/dev/null', '-w', '%{http_version} %{response_code}'];
    const ok = await run('curl', [...base, `https://${HOST}:${gw.tlsPort}/app/hello?curl-tls`]);
    assert.equal(ok.stdout, '2 200');
    const head = await run('curl', ['-sS', '-i', '--http2', '--cacert', caFile, '--resolve', `${HOST}:${gw.tlsPort}:127.0.0.1`, `https://${HOST}:${gw.tlsPort}/app/hello`]);
    assert.match(head.stdout, /^HTTP\/2 200 ?\r?\n/);
    const post = await run('curl', [...base, '-X', 'POST', `https://${HOST}:${gw.tlsPort}/app/hello`]);
    assert.equal(post.stdout, '2 405');
    assert.equal(backend.requests.filter((r) => r.url === '/hello?curl-tls').length, 1);
  });

  test('curl --http2-prior-knowledge on the plain listener with --h2c: HTTP/2 200', async () => {
    const r = await run('curl', ['-sS', '--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{response_code}', `http://127.0.0.1:${gw.proxyPort}/app/hello?curl-h2c`]);
    assert.equal(r.stdout, '2 200');
    assert.equal(backend.requests.filter((r) => r.url === '/hello?curl-h2c').length, 1);
  });

  for (const transport of ['tls', 'h2c'] as const) {
    test(`h2load over ${transport}: 4,000 requests on 4 connections, 50 streams each at once; every one reaches the backend with its own target and is answered 2xx`, async () => {
      const uris = Array.from({ length: 100 }, (_, i) => (transport === 'tls' ? `https://127.0.0.1:${gw.tlsPort}` : `http://127.0.0.1:${gw.proxyPort}`) + `/app/hello?${transport}=${i}`);
      const list = path.join(dir, `uris-${transport}.txt`);
      fs.writeFileSync(list, uris.join('\n') + '\n');
      const seen = backend.requests.length;
      const { stdout } = await run('h2load', ['-n', '4000', '-c', '4', '-m', '50', '-i', list], { timeout: 120_000 });
      assert.deepEqual(h2loadSummary(stdout), { done: 4000, succeeded: 4000, failed: 0, errored: 0, status2xx: 4000 });
      assert.match(stdout, /Application protocol: h2/);
      const mine = backend.requests.slice(seen);
      assert.equal(mine.length, 4000);
      // h2load goes round the list: each target 40 times.
      const perTarget = new Map<string, number>();
      for (const r of mine) perTarget.set(r.url, (perTarget.get(r.url) ?? 0) + 1);
      assert.equal(perTarget.size, 100);
      for (const [url, n] of perTarget) assert.equal(n, 40, url);
    });
  }
});
