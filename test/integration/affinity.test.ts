// Cookie session affinity through real `wsgate standalone` processes: the cookie's attributes,
// stickiness of plain requests and upgrades, forged and stale cookies, endpoint removal, replicas
// sharing a key, ConsistentHash on the forwarded client address, and no rebalancing on affinity
// routes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { APP_COOKIE, startAffinityBackend, type AffinityBackend, type Served } from '../helpers/affinity-backend.js';
import { eventually } from '../helpers/eventually.js';
import { routesYaml, type RouteDoc } from '../helpers/routes-yaml.js';
import { reloadRoutes as reload, writeRoutes } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const ep = (b: AffinityBackend) => ({ host: '127.0.0.1', port: b.port });
const GET_ONLY = { methods: ['GET'] };

// ---- clients ---------------------------------------------------------------------------------

interface Reply {
  status: number;
  backend: string;
  setCookie: string[];
}

/** One plain request on its own connection (no keep-alive: every request is balanced afresh). */
function get(gw: WsgateChild, urlPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: gw.proxyPort, path: urlPath, headers, agent: false, timeout: 10000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let backend = '';
        try {
          backend = (JSON.parse(body) as Served).backend;
        } catch {
          // Not a backend answer (an error from wsgate): the status tells the test.
        }
        resolve({ status: res.statusCode ?? 0, backend, setCookie: res.headers['set-cookie'] ?? [] });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to GET ${urlPath} within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

interface Socket {
  ws: WebSocket;
  backend: string;
  /** Set-Cookie of the 101. */
  setCookie: string[];
  closed: Promise<number>;
  echo(text: string): Promise<string>;
  close(): Promise<number>;
}

/** An upgrade that resolves once the backend's greeting arrived; rejects with the status otherwise. */
function openSocket(gw: WsgateChild, urlPath: string, headers: Record<string, string> = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url}${urlPath}`, { headers, handshakeTimeout: 10000 });
    const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)));
    let setCookie: string[] = [];
    ws.once('upgrade', (res) => (setCookie = res.headers['set-cookie'] ?? []));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade of ${urlPath} answered HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('message', (greeting) => {
      resolve({
        ws,
        backend: (JSON.parse(String(greeting)) as Served).backend,
        setCookie,
        closed,
        echo: (text) =>
          new Promise((res) => {
            ws.once('message', (data) => res(String(data)));
            ws.send(text);
          }),
        close: () => {
          if (ws.readyState === WebSocket.OPEN) ws.close(1000);
          else if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
          return closed;
        },
      });
    });
  });
}

// ---- cookies ---------------------------------------------------------------------------------

interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags (HttpOnly, Secure) map to ''. */
  attrs: Map<string, string>;
}

function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const a of rest) {
    const i = a.indexOf('=');
    if (i === -1) attrs.set(a.trim().toLowerCase(), '');
    else attrs.set(a.slice(0, i).trim().toLowerCase(), a.slice(i + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs };
}

/** The one Set-Cookie named `name` (fails on none or several). */
function cookieNamed(setCookie: string[], name: string): SetCookie {
  const found = setCookie.map(parseSetCookie).filter((c) => c.name === name);
  assert.equal(found.length, 1, `exactly one Set-Cookie named ${name} in ${JSON.stringify(setCookie)}`);
  return found[0]!;
}

/** The value must not reveal the endpoint, neither as sent nor base64(url)-decoded. */
function assertOpaque(value: string, backends: AffinityBackend[]): void {
  assert.ok(value.length > 0, 'a non-empty value');
  const decoded = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
  for (const text of [value, decodeURIComponent(value), decoded]) {
    assert.ok(!text.includes('127.0.0.1'), `cookie value ${value} reveals the endpoint host`);
    for (const b of backends) assert.ok(!text.includes(String(b.port)), `cookie value ${value} reveals endpoint port ${b.port}`);
  }
}

/** A valid-looking forgery: one character in the middle changed within its own class. */
function tamper(value: string): string {
  const i = Math.floor(value.length / 2);
  const c = value[i]!;
  const shift = (from: string, size: number) => String.fromCharCode(from.charCodeAt(0) + ((c.charCodeAt(0) - from.charCodeAt(0) + 1) % size));
  const r = /\d/.test(c) ? shift('0', 10) : /[a-z]/.test(c) ? shift('a', 26) : /[A-Z]/.test(c) ? shift('A', 26) : c === 'x' ? 'y' : 'x';
  return value.slice(0, i) + r + value.slice(i + 1);
}

// ---- observability ---------------------------------------------------------------------------

async function scrape(gw: WsgateChild): Promise<string> {
  return (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
}

/** Sum of a metric's samples whose labels include `labels` (0 when there are none yet). */
function sample(text: string, metric: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const have = Object.fromEntries([...line.slice(metric.length + 1, close).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(line.slice(close + 1).trim());
  }
  return sum;
}

async function affinityCounts(gw: WsgateChild, route: string): Promise<{ hit: number; miss: number; stale: number }> {
  const text = await scrape(gw);
  const n = (result: string) => sample(text, 'wsgate_affinity_total', { namespace: 'default', route, result });
  return { hit: n('hit'), miss: n('miss'), stale: n('stale') };
}

/** Log lines at pino level error (50) or fatal (60) after byte offset `from`. */
function errorLines(gw: WsgateChild, from: number): string[] {
  return gw
    .stderr()
    .slice(from)
    .split('\n')
    .filter((l) => {
      try {
        return (JSON.parse(l) as { level?: number }).level! >= 50;
      } catch {
        return false;
      }
    });
}

/** A regex matching one log line that contains every fragment, in any order. */
function logLine(...fragments: string[]): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${fragments.map((f) => `(?=[^\\n]*${esc(f)})`).join('')}[^\\n]*$`, 'm');
}

const affinityRoute = (name: string, backends: AffinityBackend[], extra: Record<string, unknown> = {}): RouteDoc => ({
  name,
  spec: {
    match: { path: `/${name}/{rest}` },
    backend: { endpoints: backends.map(ep) },
    http: GET_ONLY,
    loadBalancer: { policy: 'RoundRobin' },
    sessionAffinity: { cookie: { name: 'sticky' } },
    ...extra,
  },
});

// ---- tests -----------------------------------------------------------------------------------

describe('affinity cookie attributes', () => {
  let backends: AffinityBackend[];
  let gw: WsgateChild;

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startAffinityBackend(n)));
    const file = path.join(tempDir(), 'routes.yaml');
    const route = (name: string, cookie: Record<string, unknown>): RouteDoc => ({
      name,
      spec: { match: { path: `/${name}/{rest}` }, backend: { endpoints: backends.map(ep) }, http: GET_ONLY, sessionAffinity: { cookie } },
    });
    writeRoutes(file, [
      route('named', { name: 'sticky', secure: 'auto' }),
      route('defaults', {}),
      route('maxage', { name: 'sticky', maxAge: '1h' }),
      route('samesite-none', { name: 'sticky', sameSite: 'None' }),
      route('secure-true', { name: 'sticky', secure: 'true' }),
    ]);
    // 127.0.0.0/8 is a trusted proxy here: its X-Forwarded-Proto says whether the client used TLS.
    gw = await startWsgate(['standalone', '--config', file, '--trusted-proxies', '127.0.0.0/8']);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  test('secure auto: Secure when a trusted proxy says the client came over https, not when it says http', async () => {
    const overTls = cookieNamed((await get(gw, '/named/x', { 'X-Forwarded-Proto': 'https' })).setCookie, 'sticky');
    assert.ok(overTls.attrs.has('secure'), 'Secure behind a TLS-terminating trusted proxy');
    const plain = cookieNamed((await get(gw, '/named/x', { 'X-Forwarded-Proto': 'http' })).setCookie, 'sticky');
    assert.ok(!plain.attrs.has('secure'), 'no Secure for a plain-HTTP client');
  });

  test('/debug/routes shows each route\'s affinity settings with their defaults', async () => {
    const debug = (await (await fetch(`http://127.0.0.1:${gw.adminPort}/debug/routes`)).json()) as {
      routes: Array<{ key: string; sessionAffinity?: { cookie: Record<string, unknown> }; http?: { methods: string[] } }>;
    };
    const byKey = new Map(debug.routes.map((r) => [r.key, r]));
    assert.deepEqual(byKey.get('default/defaults')?.sessionAffinity, { cookie: { name: 'wsgate-affinity', path: '/', sameSite: 'Lax', secure: 'auto' } });
    assert.deepEqual(byKey.get('default/maxage')?.sessionAffinity, { cookie: { name: 'sticky', path: '/', sameSite: 'Lax', secure: 'auto', maxAgeSeconds: 3600 } });
    assert.deepEqual(byKey.get('default/named')?.http, { methods: ['GET'] });
  });

  test('first plain GET: Path=/, HttpOnly, SameSite=Lax, no Secure on http with secure auto, a session cookie, opaque', async () => {
    const r = await get(gw, '/named/x');
    assert.equal(r.status, 200);
    const c = cookieNamed(r.setCookie, 'sticky');
    assert.equal(c.attrs.get('path'), '/');
    assert.ok(c.attrs.has('httponly'), 'HttpOnly');
    assert.equal(c.attrs.get('samesite'), 'Lax');
    assert.ok(!c.attrs.has('secure'), 'no Secure on plain HTTP with secure: auto');
    assert.ok(!c.attrs.has('max-age') && !c.attrs.has('expires'), 'a session cookie by default');
    assertOpaque(c.value, backends);
    // The application's own cookie is kept next to wsgate's.
    assert.equal(cookieNamed(r.setCookie, APP_COOKIE).value, r.backend);
  });

  test('without a name the cookie is wsgate-affinity', async () => {
    const r = await get(gw, '/defaults/x');
    assert.equal(r.status, 200);
    assertOpaque(cookieNamed(r.setCookie, 'wsgate-affinity').value, backends);
  });

  test('maxAge 1h -> Max-Age=3600', async () => {
    const c = cookieNamed((await get(gw, '/maxage/x')).setCookie, 'sticky');
    assert.equal(c.attrs.get('max-age'), '3600');
  });

  test('sameSite None -> Secure even on plain HTTP', async () => {
    const c = cookieNamed((await get(gw, '/samesite-none/x')).setCookie, 'sticky');
    assert.equal(c.attrs.get('samesite'), 'None');
    assert.ok(c.attrs.has('secure'), 'Secure');
  });

  test('secure "true" -> Secure', async () => {
    const c = cookieNamed((await get(gw, '/secure-true/x')).setCookie, 'sticky');
    assert.ok(c.attrs.has('secure'), 'Secure');
    assert.equal(c.attrs.get('samesite'), 'Lax');
  });

  test('the 101 of a first upgrade (no cookie) carries the cookie, next to the backend\'s own', async () => {
    const s = await openSocket(gw, '/named/ws');
    try {
      const c = cookieNamed(s.setCookie, 'sticky');
      assert.equal(c.attrs.get('path'), '/');
      assert.ok(c.attrs.has('httponly'), 'HttpOnly');
      assert.equal(c.attrs.get('samesite'), 'Lax');
      assertOpaque(c.value, backends);
      assert.equal(cookieNamed(s.setCookie, APP_COOKIE).value, s.backend);
      // The cookie from the 101 pins plain requests to the upgrade's backend.
      const r = await get(gw, '/named/x', { Cookie: `sticky=${c.value}` });
      assert.equal(r.backend, s.backend);
    } finally {
      await s.close();
    }
  });
});

describe('stickiness', () => {
  let backends: AffinityBackend[];
  let gw: WsgateChild;

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startAffinityBackend(n)));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [affinityRoute('clients', backends), affinityRoute('forged', backends)]);
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  test('20 clients: 5 plain requests and 2 upgrades each with the cookie, all on the first request\'s backend', async () => {
    const firstChoice = new Map<number, string>();
    for (let i = 0; i < 20; i++) {
      // Half the clients start with a plain request, half with an upgrade: both issue the cookie.
      let first: { backend: string; setCookie: string[] };
      if (i % 2 === 0) {
        first = await get(gw, `/clients/c${i}`);
      } else {
        const s = await openSocket(gw, `/clients/c${i}`);
        await s.close();
        first = s;
      }
      const cookie = `sticky=${cookieNamed(first.setCookie, 'sticky').value}`;
      firstChoice.set(i, first.backend);
      for (let n = 0; n < 5; n++) {
        const r = await get(gw, `/clients/c${i}/${n}`, { Cookie: cookie });
        assert.equal(r.status, 200);
        assert.equal(r.backend, first.backend, `client ${i}, plain request ${n}`);
      }
      for (let n = 0; n < 2; n++) {
        const s = await openSocket(gw, `/clients/c${i}/ws${n}`, { Cookie: cookie });
        assert.equal(s.backend, first.backend, `client ${i}, upgrade ${n}`);
        await s.close();
      }
    }
    const used = new Set(firstChoice.values());
    console.log(`first requests per backend: ${JSON.stringify(Object.fromEntries(backends.map((b) => [b.name, [...firstChoice.values()].filter((v) => v === b.name).length])))}`);
    assert.ok(used.size > 1, 'RoundRobin spreads new clients over both backends');
    assert.deepEqual(await affinityCounts(gw, 'clients'), { hit: 20 * 7, miss: 20, stale: 0 });
  });

  test('a forged cookie is ignored: 200, a fresh cookie, result="stale", nothing logged as an error', async () => {
    const logFrom = gw.stderr().length;
    const first = await get(gw, '/forged/x');
    const valid = cookieNamed(first.setCookie, 'sticky').value;
    assert.deepEqual(await affinityCounts(gw, 'forged'), { hit: 0, miss: 1, stale: 0 });

    const ok = await get(gw, '/forged/x', { Cookie: `sticky=${valid}` });
    assert.equal(ok.backend, first.backend);
    // The cookie among others, as browsers send it.
    const among = await get(gw, '/forged/x', { Cookie: `other=1; sticky=${valid}; ${APP_COOKIE}=zz` });
    assert.equal(among.backend, first.backend);
    assert.deepEqual(await affinityCounts(gw, 'forged'), { hit: 2, miss: 1, stale: 0 });

    const forgeries = [crypto.randomBytes(24).toString('base64url'), tamper(valid)];
    assert.notEqual(forgeries[1], valid);
    for (const forged of forgeries) {
      const r = await get(gw, '/forged/x', { Cookie: `sticky=${forged}` });
      assert.equal(r.status, 200, `forged ${forged}`);
      const fresh = cookieNamed(r.setCookie, 'sticky');
      assert.notEqual(fresh.value, forged);
      assertOpaque(fresh.value, backends);
      // The replacement is a real cookie: it pins from now on.
      const again = await get(gw, '/forged/x', { Cookie: `sticky=${fresh.value}` });
      assert.equal(again.backend, r.backend);
    }
    // A forged cookie on an upgrade: the upgrade succeeds with a fresh cookie.
    const s = await openSocket(gw, '/forged/ws', { Cookie: `sticky=${tamper(valid)}` });
    assert.notEqual(cookieNamed(s.setCookie, 'sticky').value, tamper(valid));
    await s.close();

    assert.deepEqual(await affinityCounts(gw, 'forged'), { hit: 4, miss: 1, stale: 3 });
    assert.deepEqual(errorLines(gw, logFrom), []);
  });
});

describe('the endpoint named by a cookie leaves the table', () => {
  let backends: AffinityBackend[];
  let gw: WsgateChild;
  let file: string;
  const sockets: Socket[] = [];

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startAffinityBackend(n)));
    file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [affinityRoute('moving', backends, { drain: { timeout: '300ms' } })]);
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await gw?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  test('the next request with that cookie goes to the remaining endpoint with a new cookie; only its sockets drain', async () => {
    const first = await get(gw, '/moving/x');
    const gone = first.backend;
    const goneCookie = cookieNamed(first.setCookie, 'sticky').value;
    // A client pinned to the other backend (RoundRobin gets there within a couple of tries).
    let stayCookie = '';
    for (let i = 0; i < 10 && !stayCookie; i++) {
      const r = await get(gw, '/moving/x');
      if (r.backend !== gone) stayCookie = cookieNamed(r.setCookie, 'sticky').value;
    }
    assert.ok(stayCookie, 'a cookie for the other backend');
    const stay = backends.find((b) => b.name !== gone)!;

    for (let i = 0; i < 3; i++) sockets.push(await openSocket(gw, `/moving/ws${i}`, { Cookie: `sticky=${goneCookie}` }));
    for (let i = 0; i < 3; i++) sockets.push(await openSocket(gw, `/moving/ws${i}`, { Cookie: `sticky=${stayCookie}` }));
    assert.deepEqual(sockets.map((s) => s.backend), [gone, gone, gone, stay.name, stay.name, stay.name]);
    const closeCodes: number[] = [];
    const onStay = sockets.slice(3);
    for (const s of onStay) void s.closed.then((code) => closeCodes.push(code));

    const before = await affinityCounts(gw, 'moving');
    await reload(gw, file, [affinityRoute('moving', [stay], { drain: { timeout: '300ms' } })]);

    const r = await get(gw, '/moving/x', { Cookie: `sticky=${goneCookie}` });
    assert.equal(r.status, 200);
    assert.equal(r.backend, stay.name);
    const replaced = cookieNamed(r.setCookie, 'sticky').value;
    assert.notEqual(replaced, goneCookie);
    assert.equal((await get(gw, '/moving/x', { Cookie: `sticky=${replaced}` })).backend, stay.name);
    const up = await openSocket(gw, '/moving/ws-after', { Cookie: `sticky=${goneCookie}` });
    assert.equal(up.backend, stay.name);
    assert.notEqual(cookieNamed(up.setCookie, 'sticky').value, goneCookie);
    sockets.push(up);
    const afterCounts = await affinityCounts(gw, 'moving');
    assert.equal(afterCounts.stale - before.stale, 2, 'the cookie of a removed endpoint is stale (plain request and upgrade)');
    assert.equal(afterCounts.hit - before.hit, 1);

    // The sockets on the removed endpoint drain (1001 after drain.timeout); the others are untouched.
    assert.deepEqual(await Promise.all(sockets.slice(0, 3).map((s) => s.closed)), [1001, 1001, 1001]);
    for (const [i, s] of onStay.entries()) assert.equal(await s.echo(`still-${i}`), `still-${i}`);
    assert.deepEqual(closeCodes, []);
    assert.equal(stay.clients.size, 4);
  });
});

describe('replicas sharing --affinity-key-file', () => {
  let backends: AffinityBackend[];
  const gws: WsgateChild[] = [];
  let a: WsgateChild;
  let b: WsgateChild;
  let other: WsgateChild;

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startAffinityBackend(n)));
    const dir = tempDir();
    const file = path.join(dir, 'routes.yaml');
    writeRoutes(file, [affinityRoute('shared', backends)]);
    // As `openssl rand -hex 32 > key` writes it, trailing newline included.
    const keyFile = path.join(dir, 'affinity.key');
    const otherKeyFile = path.join(dir, 'other.key');
    fs.writeFileSync(keyFile, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    fs.writeFileSync(otherKeyFile, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    [a, b, other] = await Promise.all([
      startWsgate(['standalone', '--config', file, '--affinity-key-file', keyFile]),
      startWsgate(['standalone', '--config', file, '--affinity-key-file', keyFile]),
      startWsgate(['standalone', '--config', file, '--affinity-key-file', otherKeyFile]),
    ]);
    gws.push(a, b, other);
  });

  after(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await Promise.all((backends ?? []).map((x) => x.close()));
  });

  test('a cookie issued by replica A is honoured by replica B; a replica with another key treats it as stale', async () => {
    const first = await get(a, '/shared/x');
    const cookie = cookieNamed(first.setCookie, 'sticky').value;
    // RoundRobin would alternate on B: five in a row on one backend is the cookie.
    for (let i = 0; i < 5; i++) assert.equal((await get(b, '/shared/x', { Cookie: `sticky=${cookie}` })).backend, first.backend);
    const s = await openSocket(b, '/shared/ws', { Cookie: `sticky=${cookie}` });
    assert.equal(s.backend, first.backend);
    await s.close();
    assert.deepEqual(await affinityCounts(b, 'shared'), { hit: 6, miss: 0, stale: 0 });

    // B, left to balance, issues the very same value for that backend.
    let issuedByB = '';
    for (let i = 0; i < 10 && !issuedByB; i++) {
      const r = await get(b, '/shared/x');
      if (r.backend === first.backend) issuedByB = cookieNamed(r.setCookie, 'sticky').value;
    }
    assert.equal(issuedByB, cookie);

    const r = await get(other, '/shared/x', { Cookie: `sticky=${cookie}` });
    assert.equal(r.status, 200);
    assert.notEqual(cookieNamed(r.setCookie, 'sticky').value, cookie);
    assert.deepEqual(await affinityCounts(other, 'shared'), { hit: 0, miss: 0, stale: 1 });
    for (const gw of [a, b, other]) assert.ok(!gw.stderr().includes('random key'), 'with a key file there is no random-key warning');
  });
});

describe('no --affinity-key-file: a random key made by each process', () => {
  let backends: AffinityBackend[];
  const gws: WsgateChild[] = [];
  const WARNING = 'session-affinity cookies are signed with a random key made at start';

  before(async () => {
    backends = await Promise.all(['a', 'b'].map((n) => startAffinityBackend(n)));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [affinityRoute('own', backends)]);
    gws.push(...(await Promise.all([startWsgate(['standalone', '--config', file]), startWsgate(['standalone', '--config', file])])));
  });

  after(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await Promise.all((backends ?? []).map((x) => x.close()));
  });

  test('a cookie is honoured by the process that issued it and stale on another; each issues its own value for one backend', async () => {
    const [one, two] = gws as [WsgateChild, WsgateChild];
    const first = await get(one, '/own/x');
    const cookie = cookieNamed(first.setCookie, 'sticky').value;
    for (let i = 0; i < 3; i++) assert.equal((await get(one, '/own/x', { Cookie: `sticky=${cookie}` })).backend, first.backend);
    assert.deepEqual(await affinityCounts(one, 'own'), { hit: 3, miss: 1, stale: 0 });

    const elsewhere = await get(two, '/own/x', { Cookie: `sticky=${cookie}` });
    assert.equal(elsewhere.status, 200);
    assert.notEqual(cookieNamed(elsewhere.setCookie, 'sticky').value, cookie, 'a fresh cookie from the other key');
    assert.deepEqual(await affinityCounts(two, 'own'), { hit: 0, miss: 0, stale: 1 });
    // Even for the same backend the other process's value differs: nothing about it is fixed.
    let issuedByTwo = '';
    for (let i = 0; i < 10 && !issuedByTwo; i++) {
      const r = await get(two, '/own/x');
      if (r.backend === first.backend) issuedByTwo = cookieNamed(r.setCookie, 'sticky').value;
    }
    assert.ok(issuedByTwo !== '' && issuedByTwo !== cookie, `${issuedByTwo} vs ${cookie}`);
  });

  test('each process warns once that replicas must share a key', async () => {
    for (const gw of gws) {
      // Logged with the first table that has an affinity route, before the listening line.
      const lines = await eventually('the warning', () => {
        const found = gw.stderr().split('\n').filter((l) => l.includes(WARNING));
        return found.length > 0 ? found : undefined;
      });
      assert.equal(lines.length, 1, gw.stderr().slice(-2000));
      assert.match(lines[0]!, /"level":40/);
      assert.match(lines[0]!, /--affinity-key-file/);
    }
  });
});

describe('ConsistentHash on sourceIP behind trusted proxies', () => {
  let backends: AffinityBackend[];
  let gw: WsgateChild;

  before(async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startAffinityBackend(n)));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      {
        name: 'src',
        spec: {
          match: { path: '/src/{rest}' },
          backend: { endpoints: backends.map(ep) },
          http: GET_ONLY,
          loadBalancer: { policy: 'ConsistentHash', hashOn: { sourceIP: true } },
        },
      },
    ]);
    gw = await startWsgate(['standalone', '--config', file, '--trusted-proxies', '127.0.0.0/8']);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  test('different X-Forwarded-For clients spread over the endpoints; the same one always hits the same endpoint', async () => {
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 2; round++) {
      for (let n = 1; n <= 12; n++) {
        const client = `203.0.113.${n}`;
        const set = seen.get(client) ?? new Set<string>();
        const r = await get(gw, `/src/p${round}`, { 'X-Forwarded-For': client });
        assert.equal(r.status, 200);
        set.add(r.backend);
        const s = await openSocket(gw, `/src/ws${round}`, { 'X-Forwarded-For': client });
        set.add(s.backend);
        await s.close();
        seen.set(client, set);
      }
    }
    for (const [client, set] of seen) assert.equal(set.size, 1, `${client} went to ${[...set].join(', ')}`);
    const used = new Set([...seen.values()].map((s) => [...s][0]));
    console.log(`12 forwarded clients over ${used.size} of 3 backends`);
    assert.ok(used.size > 1, 'the forwarded client address is the key, not the proxy peer 127.0.0.1');
  });

  test('access-log lines name the forwarded client, not 127.0.0.1', async () => {
    const client = '203.0.113.77';
    const plainLogged = gw.waitForLog(logLine('"msg":"http request"', '"requestId":"xff-plain"'));
    await get(gw, '/src/log', { 'X-Forwarded-For': client, 'X-Request-Id': 'xff-plain' });
    assert.equal((JSON.parse(await plainLogged) as { client: string }).client, client);

    const closedLogged = gw.waitForLog(logLine('"msg":"connection closed"', '"requestId":"xff-ws"'));
    const s = await openSocket(gw, '/src/log', { 'X-Forwarded-For': client, 'X-Request-Id': 'xff-ws' });
    await s.close();
    assert.equal((JSON.parse(await closedLogged) as { client: string }).client, client);
  });
});

describe('rebalancing skips affinity routes', () => {
  let backends: AffinityBackend[];
  let gw: WsgateChild;
  let file: string;
  const sockets: Socket[] = [];

  // `aff` with session affinity, `ctl` the same without: the control proves the setup rebalances.
  const routes = (n: number): RouteDoc[] => {
    const rebalance = { tolerance: 0, maxClosesPerSecond: 100 };
    return [
      { name: 'aff', spec: { match: { path: '/aff/{rest}' }, backend: { endpoints: backends.slice(0, n).map(ep) }, http: GET_ONLY, rebalance, sessionAffinity: { cookie: { name: 'sticky' } } } },
      { name: 'ctl', spec: { match: { path: '/ctl/{rest}' }, backend: { endpoints: backends.slice(2, 2 + n).map(ep) }, http: GET_ONLY, rebalance } },
    ];
  };

  before(async () => {
    backends = await Promise.all(['aff1', 'aff2', 'ctl1', 'ctl2'].map((n) => startAffinityBackend(n)));
    file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, routes(1));
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await gw?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  test('10 connections on one endpoint, a second added: none closed with affinity, some 1012 without', async () => {
    const aff: Socket[] = [];
    const ctl: Socket[] = [];
    for (let i = 0; i < 10; i++) aff.push(await openSocket(gw, `/aff/${i}`));
    for (let i = 0; i < 10; i++) ctl.push(await openSocket(gw, `/ctl/${i}`));
    sockets.push(...aff, ...ctl);
    assert.ok(aff.every((s) => s.backend === 'aff1') && ctl.every((s) => s.backend === 'ctl1'));
    const affClosed: number[] = [];
    const ctlClosed: number[] = [];
    for (const s of aff) void s.closed.then((code) => affClosed.push(code));
    for (const s of ctl) void s.closed.then((code) => ctlClosed.push(code));

    await reload(gw, file, routes(2));
    // Deliberate hold: the pass runs once a second; three passes had their chance.
    await sleep(3000);
    await eventually('the control route rebalanced', () => ctlClosed.length > 0);
    console.log(`after the scale-up: affinity route ${affClosed.length} closed, control route ${ctlClosed.length} closed (${ctlClosed.join(',')})`);
    assert.deepEqual(affClosed, [], 'no connection of the affinity route was closed');
    for (const [i, s] of aff.entries()) assert.equal(await s.echo(`a${i}`), `a${i}`);
    assert.ok(ctlClosed.every((code) => code === 1012), `control closes are 1012: ${ctlClosed.join(',')}`);
    const text = await scrape(gw);
    assert.equal(sample(text, 'wsgate_lifecycle_closes_total', { route: 'aff', reason: 'rebalance' }), 0);
    assert.equal(sample(text, 'wsgate_lifecycle_closes_total', { route: 'ctl', reason: 'rebalance' }), ctlClosed.length);
  });
});
