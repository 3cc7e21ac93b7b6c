// Real browsers over HTTP/2 from wsgate itself (issue 25, "Real browsers"): headless Chromium
// (playwright-core) and Firefox ESR (WebDriver BiDi) load the framework page from a real wsgate
// process's TLS listener, fetch its bundles, run Socket.IO (long polling, then the upgrade) and
// SignalR (negotiate, then WebSockets) against two real framework backends. wsgate's metrics
// say which protocol each request and each WebSocket used. A second wsgate with --no-http2
// shows the same page and WebSockets working over HTTP/1.1.
//
// Measured with Debian's Chromium 148 and Firefox ESR 153: both load the page over h2 and open
// both WebSockets as RFC 8441 extended CONNECT streams on that connection (wsgate advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL); the tests assert exactly that, so a browser that falls back
// to a separate HTTP/1.1 connection for its WebSockets fails them.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { makeCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { FIREFOX, startFirefox, type Firefox } from '../helpers/firefox-bidi.js';
import { startFrameworkBackend, type FrameworkBackend } from '../helpers/framework-backend.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics-scrape.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';
import { assertPageAssets, pageRoutes, servePage, type PageResults } from './page.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = [CHROMIUM, FIREFOX].filter((f) => !fs.existsSync(f));
// A missing browser skips locally; in CI the before hook below fails instead.
const skip = missing.length > 0 && process.env.CI !== 'true' ? `${missing.join(', ')} missing (bash test/browser/setup.sh installs them)` : false;
/** The page's own steps are bounded (10 s each); this bounds the wait for all of them. */
const PAGE_TIMEOUT_MS = 45_000;

type Protocol = 'h2' | 'http/1.1';

/** What one page visit added to wsgate's counters, per route and protocol. */
interface Counted {
  pageGets: number;
  socketioRequests: number;
  negotiates: number;
  socketioUpgrades: number;
  hubUpgrades: number;
}

async function counted(gw: WsgateChild, protocol: Protocol): Promise<Counted> {
  const text = await scrapeMetrics(gw);
  const requests = (route: string, method: string) => seriesValue(text, 'wsgate_http_requests_total', `route="${route}",method="${method}",code="200",protocol="${protocol}"`);
  const upgrades = (route: string) => seriesValue(text, 'wsgate_upgrades_total', `route="${route}",result="ok",protocol="${protocol}"`);
  return {
    pageGets: requests('app', 'GET'),
    socketioRequests: requests('socketio', 'GET') + requests('socketio', 'POST'),
    negotiates: requests('hub', 'POST'),
    socketioUpgrades: upgrades('socketio'),
    hubUpgrades: upgrades('hub'),
  };
}

const minus = (a: Counted, b: Counted): Counted => ({
  pageGets: a.pageGets - b.pageGets,
  socketioRequests: a.socketioRequests - b.socketioRequests,
  negotiates: a.negotiates - b.negotiates,
  socketioUpgrades: a.socketioUpgrades - b.socketioUpgrades,
  hubUpgrades: a.hubUpgrades - b.hubUpgrades,
});

/** Both frameworks ran to the end without errors and their WebSockets carried the answers. */
function assertPageRan(r: PageResults): void {
  const why = JSON.stringify(r, null, 2);
  assert.equal(r.done, true, why);
  assert.deepEqual(r.errors, [], why);
  assert.equal(r.socketio.upgraded, true, why);
  assert.equal(r.socketio.transports.at(-1), 'websocket', why);
  assert.equal(r.socketio.whoami.length, 5, why);
  assert.equal(r.signalr.connected, true, why);
  assert.equal(r.signalr.echo, `${r.signalr.whoami[0]}:hello`, why);
  assert.ok(r.websockets.some((u) => u.startsWith('wss://') && u.includes('/socket.io/') && u.includes('transport=websocket')), why);
  assert.ok(r.websockets.some((u) => u.startsWith('wss://') && new URL(u).pathname.replace(/\/$/, '') === '/hub'), why);
}

/** The counters one visit must move over `protocol` (and none over the other). */
async function assertCounted(gw: WsgateChild, before: { h2: Counted; h1: Counted }, pageProtocol: Protocol, wsProtocol: Protocol): Promise<void> {
  const h2 = minus(await counted(gw, 'h2'), before.h2);
  const h1 = minus(await counted(gw, 'http/1.1'), before.h1);
  const of = (p: Protocol) => (p === 'h2' ? h2 : h1);
  const why = JSON.stringify({ h2, 'http/1.1': h1 });
  assert.equal(of(pageProtocol).pageGets, 3, `the page and its two bundles over ${pageProtocol}: ${why}`);
  assert.ok(of(pageProtocol).socketioRequests >= 2, `Socket.IO's polling over ${pageProtocol}: ${why}`);
  assert.equal(of(pageProtocol).negotiates, 1, `SignalR's negotiate over ${pageProtocol}: ${why}`);
  assert.equal(of(wsProtocol).socketioUpgrades, 1, `Socket.IO's WebSocket over ${wsProtocol}: ${why}`);
  assert.equal(of(wsProtocol).hubUpgrades, 1, `SignalR's WebSocket over ${wsProtocol}: ${why}`);
  const other = of(wsProtocol === 'h2' ? 'http/1.1' : 'h2');
  assert.equal(other.socketioUpgrades + other.hubUpgrades, 0, `no WebSocket over the other protocol: ${why}`);
  if (pageProtocol === 'http/1.1') assert.equal(h2.pageGets + h2.socketioRequests + h2.negotiates, 0, `nothing over h2: ${why}`);
}

type LogLine = Record<string, unknown>;

/** wsgate's complete JSON log lines written since stderr had `from` characters (a line still being written is left for later). */
function logSince(gw: WsgateChild, from: number): LogLine[] {
  const text = gw.stderr();
  return text
    .slice(from, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** The access log agrees with the metrics: the page's request and, once the page is gone, both WebSockets' close lines name the protocol. */
async function assertAccessLog(gw: WsgateChild, from: number, protocol: Protocol): Promise<void> {
  const closed = await eventually('the access-log lines of both WebSockets', () => {
    const lines = logSince(gw, from).filter((l) => l.msg === 'connection closed');
    return lines.length >= 2 ? lines : undefined;
  });
  assert.deepEqual(closed.map((l) => [l.route, l.protocol]).sort(), [['default/hub', protocol], ['default/socketio', protocol]], JSON.stringify(closed));
  const page = logSince(gw, from).filter((l) => l.msg === 'http request' && l.path === '/app/');
  assert.deepEqual(page.map((l) => [l.status, l.protocol]), [[200, protocol]], JSON.stringify(page));
}

const snapshot = async (gw: WsgateChild) => ({ h2: await counted(gw, 'h2'), h1: await counted(gw, 'http/1.1') });

// Firefox has no waitForFunction: the page is polled from inside, bounded by PAGE_TIMEOUT_MS.
const FIREFOX_WAIT = `new Promise((resolve) => {
  const deadline = Date.now() + ${PAGE_TIMEOUT_MS};
  const timer = setInterval(() => {
    if ((window.results && window.results.done) || Date.now() > deadline) {
      clearInterval(timer);
      resolve(JSON.stringify(window.results || null));
    }
  }, 50);
})`;

describe('real browsers over HTTP/2 through wsgate', { skip }, () => {
  let backends: FrameworkBackend[] = [];
  /** The default TLS listener (h2 and http/1.1 by ALPN) and one started with --no-http2. */
  let h2gw: WsgateChild | undefined;
  let h1gw: WsgateChild | undefined;
  let spki = '';

  before(async () => {
    if (missing.length > 0) throw new Error(`CI=true and ${missing.join(', ')} missing: run bash test/browser/setup.sh`);
    assertPageAssets();
    const ca = makeCa();
    const leaf = ca.issue('127.0.0.1', ['127.0.0.1']);
    const dir = tempDir('wsgate-h2-browsers-');
    fs.writeFileSync(path.join(dir, 'tls.crt'), leaf.cert);
    fs.writeFileSync(path.join(dir, 'tls.key'), leaf.key);
    // Chromium trusts exactly this key (--ignore-certificate-errors-spki-list), nothing else.
    spki = crypto.createHash('sha256').update(new crypto.X509Certificate(leaf.cert).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    backends = await Promise.all(['b1', 'b2'].map((name) => startFrameworkBackend({ name, staticFiles: servePage })));
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(file, routesYaml(pageRoutes(backends.map((b) => ({ host: '127.0.0.1', port: b.port })))));
    const tls = ['standalone', '--config', file, '--tls-listen', '127.0.0.1:0', '--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key')];
    h2gw = await startWsgate(tls);
    h1gw = await startWsgate([...tls, '--no-http2']);
  });

  after(async () => {
    await h2gw?.stop();
    await h1gw?.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  /** The same two visits for each browser (`visit` leaves the page, closing its WebSockets): the h2 listener, then the --no-http2 one. */
  function protocolTests(visit: (gw: WsgateChild) => Promise<PageResults>): void {
    const cases: Array<[string, () => WsgateChild, Protocol]> = [
      ['loads the page over h2 from wsgate; Socket.IO and SignalR run, their WebSockets as RFC 8441 streams on it', () => h2gw!, 'h2'],
      ['with --no-http2 the page, Socket.IO and SignalR run over HTTP/1.1', () => h1gw!, 'http/1.1'],
    ];
    for (const [name, gwOf, protocol] of cases) {
      test(name, async () => {
        const gw = gwOf();
        const before = await snapshot(gw);
        const logFrom = gw.stderr().length;
        assertPageRan(await visit(gw));
        await assertCounted(gw, before, protocol, protocol);
        await assertAccessLog(gw, logFrom, protocol);
      });
    }
  }

  describe('Chromium', () => {
    let browser: Browser | undefined;
    before(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spki}`],
      });
    });
    after(async () => {
      await browser?.close();
    });

    async function visit(gw: WsgateChild): Promise<PageResults> {
      const context = await browser!.newContext();
      try {
        const page = await context.newPage();
        const log: string[] = [];
        page.on('console', (m) => m.type() === 'error' && log.push(`console: ${m.text()}`));
        page.on('requestfailed', (r) => log.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
        const response = await page.goto(`https://127.0.0.1:${gw.tlsPort}/app/`);
        assert.equal(response?.status(), 200, log.join('\n'));
        await page.waitForFunction(() => (window as unknown as { results?: PageResults }).results?.done === true, null, { timeout: PAGE_TIMEOUT_MS }).catch((err: Error) => {
          throw new Error(`the page did not finish: ${err.message}\n${log.join('\n')}`);
        });
        return await page.evaluate(() => (window as unknown as { results: PageResults }).results);
      } finally {
        await context.close();
      }
    }

    protocolTests(visit);
  });

  describe('Firefox ESR', () => {
    let firefox: Firefox | undefined;
    before(async () => {
      // acceptInsecureCerts: Firefox takes the test CA's leaf without a trust store.
      firefox = await startFirefox();
    });
    after(async () => {
      await firefox?.close();
    });

    async function visit(gw: WsgateChild): Promise<PageResults> {
      await firefox!.navigate(`https://127.0.0.1:${gw.tlsPort}/app/`);
      const results = JSON.parse(await firefox!.evaluate(FIREFOX_WAIT)) as PageResults | null;
      assert.ok(results, 'the page set window.results');
      // Leave the page: its Socket.IO and SignalR connections close before the next visit.
      await firefox!.navigate('about:blank');
      return results;
    }

    protocolTests(visit);
  });
});
