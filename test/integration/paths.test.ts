// Path and Host normalisation through real `wsgate standalone` processes, for upgrades and
// plain requests alike: the route a request matches and the target and Host its backend
// receives come from one normalised form, so "/%61dmin", "//admin" or "secure.example.com."
// cannot reach a protected path or host through a public route. One process runs with the
// default --path-* settings, one (with two worker threads) with every setting switched to keep.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeSecret } from '../helpers/certs.js';
import { plainRequest, startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { rawUpgradeHello } from '../helpers/raw-ws.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { runCli, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const KEY = 'paths-key-0123';
const KINDS = ['upgrade', 'plain'] as const;
type Kind = (typeof KINDS)[number];

/** What came back: the status, and for a forwarded request which route took it and what the backend received. */
interface Outcome {
  status: number;
  route?: string;
  url?: string;
  host?: string;
  forwardedHost?: string;
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function outcome(status: number, url: string, headers: http.IncomingHttpHeaders): Outcome {
  return { status, route: first(headers['x-route']), url, host: headers.host, forwardedHost: first(headers['x-forwarded-host']) };
}

/** Sends `target` (exact bytes) as an upgrade or a plain GET with the given Host and API key. */
async function send(port: number, kind: Kind, target: string, opts: { host?: string; key?: boolean } = {}): Promise<Outcome> {
  const headers: Record<string, string> = { Host: opts.host ?? 'localhost', ...(opts.key ? { 'X-Api-Key': KEY } : {}) };
  if (kind === 'upgrade') {
    const r = await rawUpgradeHello(port, upgradeRequest(target, headers));
    return r.hello ? outcome(r.status, r.hello.path, r.hello.headers) : { status: r.status };
  }
  const r = await plainRequest(port, target, { headers });
  if (r.status !== 200) return { status: r.status };
  const body = JSON.parse(r.body.toString('utf8')) as HelloBody;
  return outcome(r.status, body.url, body.headers);
}

const okStatus = (kind: Kind) => (kind === 'upgrade' ? 101 : 200);

describe('path and Host normalisation', () => {
  let backend: HttpBackend;
  let strict: WsgateChild;
  let lenient: WsgateChild;

  before(async () => {
    backend = await startHttpBackend('b');
    const dir = tempDir();
    const secrets = path.join(dir, 'secrets');
    writeSecret(secrets, 'default', 'keys', { k: KEY });
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    const auth = { auth: { apiKeys: { secretRef: { name: 'keys' } } } };
    const route = (name: string, spec: Record<string, unknown>, backendPath?: string) => ({
      name,
      spec: { backend: { endpoints, ...(backendPath ? { path: backendPath } : {}) }, http: { methods: ['GET'] }, requestHeaders: { set: { 'X-Route': name } }, ...spec },
    });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        route('secure', { hosts: ['secure.example.com'], match: { path: '/{rest}' }, security: auth }),
        route('admin', { match: { path: '/admin/{rest}' }, security: auth }),
        route('rewrite', { match: { path: '/rw/{rest}' } }, '/v1/{rest}'),
        route('public', { match: { path: '/{rest}' } }),
      ]),
    );
    const common = ['standalone', '--config', file, '--secrets-dir', secrets];
    [strict, lenient] = await Promise.all([
      startWsgate(common),
      // In worker threads: the settings travel to every data plane, whichever takes a connection.
      startWsgate([...common, '--workers', '2', '--path-escaped-slashes', 'keep', '--path-semicolons', 'keep', '--no-path-merge-slashes']),
    ]);
  });

  after(async () => {
    await Promise.all([strict?.stop(), lenient?.stop()]);
    await backend?.close();
  });

  test('a --path-* value other than reject or keep stops wsgate at start, naming the choices', async () => {
    for (const flag of ['--path-escaped-slashes', '--path-semicolons']) {
      const r = await runCli(['standalone', '--config', 'unused.yaml', flag, 'decode']);
      assert.notEqual(r.code, 0, flag);
      assert.match(r.stderr, new RegExp(`${flag} <action>' argument 'decode' is invalid. Allowed choices are reject, keep`), flag);
    }
  });

  for (const kind of KINDS) {
    test(`${kind}: "#" in the target is refused with 400, nothing reaches a backend`, async () => {
      const before = backend.requests.length + backend.upgrades.length;
      for (const target of ['/admin#/x', '/public#frag', '/x?a=1#frag']) {
        assert.equal((await send(strict.proxyPort, kind, target)).status, 400, target);
        assert.equal((await send(lenient.proxyPort, kind, target)).status, 400, `${target} (keep settings)`);
      }
      assert.equal(backend.requests.length + backend.upgrades.length, before);
    });

    test(`${kind}: "/%61dmin/secret" and "//admin/secret" take the admin route (auth applies) and the backend sees "/admin/secret"`, async () => {
      for (const target of ['/%61dmin/secret', '/%61%64min/secret', '//admin/secret', '///admin//secret', '/admin/%73ecret']) {
        assert.equal((await send(strict.proxyPort, kind, target)).status, 401, `${target} without a key`);
        const r = await send(strict.proxyPort, kind, target, { key: true });
        assert.deepEqual([r.status, r.route, r.url], [okStatus(kind), 'admin', '/admin/secret'], target);
      }
      // The query is passed on byte for byte; the path's other encodings get upper-case hex.
      const q = await send(strict.proxyPort, kind, '/%61dmin/a%2a%c3%a9?x=%2f&y=%61', { key: true });
      assert.deepEqual([q.route, q.url], ['admin', '/admin/a%2A%C3%A9?x=%2f&y=%61']);
    });

    test(`${kind}: the route's rewrite is applied to the normalised path`, async () => {
      const r = await send(strict.proxyPort, kind, '/r%77//%61b/c?q=%2F');
      assert.deepEqual([r.status, r.route, r.url], [okStatus(kind), 'rewrite', '/v1/ab/c?q=%2F']);
    });

    test(`${kind}: "/admin%2Fsecret" is refused by default and kept, as one segment, with --path-escaped-slashes keep`, async () => {
      for (const target of ['/admin%2Fsecret', '/admin%2fsecret', '/admin%5Csecret']) assert.equal((await send(strict.proxyPort, kind, target)).status, 400, target);
      const r = await send(lenient.proxyPort, kind, '/admin%2fsecret');
      // One segment "admin%2Fsecret": the public route, and the backend gets the encoding as sent.
      assert.deepEqual([r.status, r.route, r.url], [okStatus(kind), 'public', '/admin%2Fsecret']);
      assert.equal((await send(lenient.proxyPort, kind, '/admin/..%2Fx')).status, 400, 'a dot segment between kept %2F');
    });

    test(`${kind}: ";" is refused by default and kept with --path-semicolons keep`, async () => {
      assert.equal((await send(strict.proxyPort, kind, '/admin;x/secret')).status, 400);
      assert.equal((await send(strict.proxyPort, kind, '/admin%3Bx/secret')).status, 400);
      const r = await send(lenient.proxyPort, kind, '/admin;x/secret');
      assert.deepEqual([r.status, r.route, r.url], [okStatus(kind), 'public', '/admin;x/secret']);
    });

    test(`${kind}: "//" is kept with --no-path-merge-slashes`, async () => {
      const r = await send(lenient.proxyPort, kind, '//admin/secret');
      assert.deepEqual([r.status, r.route, r.url], [okStatus(kind), 'public', '//admin/secret']);
      assert.equal((await send(lenient.proxyPort, kind, '/%61dmin/secret')).status, 401, 'unreserved characters are still decoded');
    });

    test(`${kind}: dot segments, malformed and control encodings are refused with 400`, async () => {
      for (const target of ['/public/../admin/secret', '/public/%2e%2E/admin', '/public/.%2e/admin', '/%zz', '/a%4', '/admin%00/x']) {
        assert.equal((await send(strict.proxyPort, kind, target)).status, 400, target);
      }
    });

    test(`${kind}: "Host: secure.example.com." takes the host's route (auth applies) and the backend sees the Host without the dot`, async () => {
      for (const host of ['secure.example.com.', 'Secure.Example.Com.', 'secure.example.com.:8080']) {
        assert.equal((await send(strict.proxyPort, kind, '/x', { host })).status, 401, `${host} without a key`);
        const r = await send(strict.proxyPort, kind, '/x', { host, key: true });
        const expected = host.endsWith(':8080') ? 'secure.example.com:8080' : 'secure.example.com';
        assert.deepEqual([r.status, r.route, r.host, r.forwardedHost], [okStatus(kind), 'secure', expected, expected], host);
      }
      assert.equal((await send(strict.proxyPort, kind, '/x', { host: 'secure.example.com..' })).status, 400);
      // Another host still falls through to the route without hosts.
      assert.equal((await send(strict.proxyPort, kind, '/x', { host: 'other.example.com.' })).route, 'public');
    });

    test(`${kind}: a Host a URL parser would read as another authority (userinfo, path, list, bad port) is refused with 400`, async () => {
      const before = backend.requests.length + backend.upgrades.length;
      // Each would take the public route here and be secure.example.com to a backend that
      // builds a URL from "http://" + Host (or splits a list), skipping the secure route's auth.
      for (const host of ['a@secure.example.com', '[::1]@secure.example.com', 'evil.example/secure.example.com', 'secure.example.com,evil.example', 'secure.example.com:80@evil.example', 'secure.example.com:abc']) {
        assert.equal((await send(strict.proxyPort, kind, '/x', { host })).status, 400, host);
        assert.equal((await send(lenient.proxyPort, kind, '/x', { host })).status, 400, `${host} (keep settings)`);
      }
      assert.equal(backend.requests.length + backend.upgrades.length, before);
    });
  }
});
