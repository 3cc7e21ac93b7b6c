// Headless Chromium (Debian's, driven by playwright-core) opens a page through a real wsgate
// process: the page, Socket.IO with its default transports (long polling, then the upgrade)
// and SignalR (negotiate, then WebSockets) all cross wsgate to two real framework backends,
// held on one backend per browser by the affinity cookie.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Cookie } from 'playwright-core';
import { startFrameworkBackend, type FrameworkBackend } from '../helpers/framework-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';
import { assertPageAssets, servePage, type PageResults } from './page.js';

const CHROMIUM = '/usr/bin/chromium';
const PAGES = 4;
const COOKIE = 'wsgate-affinity';
const haveChromium = fs.existsSync(CHROMIUM);
// Missing Chromium skips locally; in CI the before hook below fails instead.
const skip = !haveChromium && process.env.CI !== 'true' ? `${CHROMIUM} is missing (bash test/browser/setup.sh installs it)` : false;

interface Visit {
  status: number | undefined;
  results: PageResults;
  cookies: Cookie[];
  /** Console errors and failed requests, for failure messages. */
  log: string[];
}

describe('a real browser through wsgate', { skip }, () => {
  let backends: FrameworkBackend[] = [];
  let gw: WsgateChild | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const visits: Visit[] = [];
  let origin = '';

  before(async () => {
    if (!haveChromium) throw new Error(`CI=true and ${CHROMIUM} is missing: run bash test/browser/setup.sh`);
    assertPageAssets();
    backends = await Promise.all(['b1', 'b2'].map((name) => startFrameworkBackend({ name, staticFiles: servePage })));
    const endpoints = backends.map((b) => ({ host: '127.0.0.1', port: b.port }));
    const file = path.join(tempDir('wsgate-browser-'), 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'app', spec: { match: { path: '/app/{rest}' }, backend: { endpoints }, http: { methods: ['GET'] } } },
        {
          name: 'socketio',
          spec: {
            match: { path: '/socket.io/' },
            backend: { endpoints, path: '/socket.io/' },
            http: { methods: ['GET', 'POST'] },
            sessionAffinity: { cookie: {} },
          },
        },
        {
          name: 'hub',
          spec: {
            match: { path: '/hub/{rest}' },
            backend: { endpoints, path: '/hub/{rest}' },
            http: { methods: ['GET', 'POST', 'DELETE', 'OPTIONS'] },
            sessionAffinity: { cookie: {} },
          },
        },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file]);
    origin = `http://127.0.0.1:${gw.proxyPort}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // One after the other, each page left connected: the next browser's first request then
    // meets a busier backend, so the balancer spreads the browsers over both.
    for (let i = 0; i < PAGES; i++) {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const log: string[] = [];
      page.on('console', (m) => m.type() === 'error' && log.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => log.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
      page.on('response', (r) => r.status() >= 400 && log.push(`response: ${r.status()} ${r.request().method()} ${r.url()}`));
      const response = await page.goto(`${origin}/app/`);
      await page
        .waitForFunction(() => (window as unknown as { results?: PageResults }).results?.done === true, null, { timeout: 30000 })
        .catch((err: Error) => {
          throw new Error(`page ${i} did not finish: ${err.message}\n${log.join('\n')}`);
        });
      const results = await page.evaluate(() => (window as unknown as { results: PageResults }).results);
      visits.push({ status: response?.status(), results, cookies: await context.cookies(), log });
    }
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await gw?.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  const why = (v: Visit) => JSON.stringify({ results: v.results, log: v.log }, null, 2);

  test('the page and its scripts load through wsgate and both frameworks run without errors', async () => {
    for (const v of visits) {
      assert.equal(v.status, 200);
      assert.deepEqual(v.results.errors, [], why(v));
    }
    const pageGets = backends.flatMap((b) => b.requests).filter((r) => r.method === 'GET' && r.url.startsWith('/app/'));
    assert.equal(pageGets.length, 3 * PAGES); // the page and its two bundles
    // wsgate counted them on the app route: they did not reach the backends some other way.
    const metrics = await (await fetch(`http://127.0.0.1:${gw!.adminPort}/metrics`)).text();
    assert.match(metrics, new RegExp(`wsgate_http_requests_total\\{namespace="default",route="app",method="GET",code="200",protocol="http/1\\.1"\\} ${3 * PAGES}\\b`));
  });

  test('Socket.IO starts on long polling and upgrades to websocket', () => {
    for (const v of visits) {
      const s = v.results.socketio;
      assert.equal(s.firstTransport, 'polling', why(v));
      assert.equal(s.upgraded, true, why(v));
      assert.equal(s.transports.at(-1), 'websocket', why(v));
      assert.ok(v.results.websockets.some((u) => u.includes('/socket.io/') && u.includes('transport=websocket')), why(v));
    }
  });

  test('SignalR connects over WebSockets after negotiate', () => {
    for (const v of visits) {
      assert.equal(v.results.signalr.connected, true, why(v));
      assert.ok(v.results.websockets.some((u) => new URL(u).pathname.replace(/\/$/, '') === '/hub'), why(v));
    }
    const negotiates = backends.flatMap((b) => b.requests).filter((r) => r.method === 'POST' && r.url.startsWith('/hub/negotiate'));
    assert.equal(negotiates.length, PAGES);
  });

  test('every whoami of one page, Socket.IO and SignalR, names one backend; both backends are used', (t) => {
    const used: string[] = [];
    for (const v of visits) {
      const { socketio, signalr } = v.results;
      assert.equal(socketio.whoami.length, 5, why(v));
      assert.equal(signalr.whoami.length, 5, why(v));
      const names = new Set([...socketio.whoami, ...signalr.whoami]);
      assert.equal(names.size, 1, why(v));
      const [name] = names;
      assert.equal(signalr.echo, `${name}:hello`);
      used.push(name!);
    }
    t.diagnostic(`backend per page: ${used.join(', ')}`);
    assert.deepEqual(new Set(used), new Set(backends.map((b) => b.name)));
  });

  test('each browser context holds the affinity cookie', () => {
    for (const v of visits) {
      const cookie = v.cookies.find((c) => c.name === COOKIE);
      assert.ok(cookie, `cookies: ${JSON.stringify(v.cookies)}`);
      assert.equal(cookie.domain, '127.0.0.1');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.expires, -1); // no maxAge: a session cookie
    }
    // Same backend, same value: the cookie names the endpoint, not the browser.
    const byBackend = new Map<string, Set<string>>();
    for (const v of visits) {
      const name = v.results.socketio.whoami[0]!;
      const values = byBackend.get(name) ?? new Set<string>();
      values.add(v.cookies.find((c) => c.name === COOKIE)!.value);
      byBackend.set(name, values);
    }
    for (const values of byBackend.values()) assert.equal(values.size, 1);
    assert.equal(new Set([...byBackend.values()].flatMap((s) => [...s])).size, byBackend.size);
  });

  test("the backends see the browser's own Origin on every upgrade", (t) => {
    const upgrades = backends.flatMap((b) => b.requests).filter((r) => r.headers.upgrade?.toLowerCase() === 'websocket');
    // One Socket.IO and one SignalR WebSocket per page.
    assert.equal(upgrades.length, 2 * PAGES, JSON.stringify(upgrades.map((u) => u.url)));
    for (const u of upgrades) assert.equal(u.headers.origin, origin, u.url);
    t.diagnostic(`upgrades per backend: ${backends.map((b) => `${b.name}=${b.requests.filter((r) => r.headers.upgrade).length}`).join(', ')}`);
  });
});
