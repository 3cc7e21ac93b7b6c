// Header rules on the upgrade request as the backend sees them: requestHeaders, hop-by-hop
// stripping, X-Forwarded-* (overwritten, or appended behind a trusted proxy), X-Request-Id
// (kept or generated, and in the access log) and W3C traceparent (kept or started).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { rawUpgradeHello } from '../helpers/raw-ws.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

describe('security: request headers', () => {
  let backend: EchoServer;
  let gw: WsgateChild;
  let trusted: WsgateChild;

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    const file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'hdr', spec: { match: { path: '/hdr' }, backend: { endpoints }, requestHeaders: { set: { 'X-Gateway': 'wsgate' }, add: { 'X-Tag': 'from-gateway' }, remove: ['X-Debug', 'Cookie'] } } },
        { name: 'plain', spec: { match: { path: '/plain' }, backend: { endpoints } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file]);
    trusted = await startWsgate(['standalone', '--config', file, '--trusted-proxies', '127.0.0.0/8']);
  });

  after(async () => {
    await Promise.all([gw?.stop(), trusted?.stop()]);
    await backend?.close();
  });

  test('requestHeaders: set overrides, add appends, remove drops; other headers pass', async () => {
    const c = await connect(`${gw.url}/hdr`, { headers: { 'X-Gateway': 'client', 'X-Tag': 'from-client', 'X-Debug': '1', Cookie: 'session=1', 'X-Other': 'kept' } });
    const h = c.hello.headers;
    assert.equal(h['x-gateway'], 'wsgate');
    assert.equal(h['x-tag'], 'from-client, from-gateway');
    assert.equal(h['x-debug'], undefined);
    assert.equal(h.cookie, undefined);
    assert.equal(h['x-other'], 'kept');
    await c.close();
    const p = await connect(`${gw.url}/plain`, { headers: { Cookie: 'session=1' } });
    assert.equal(p.hello.headers.cookie, 'session=1');
    await p.close();
  });

  test('hop-by-hop headers, and those Connection names, do not reach the backend', async () => {
    // Raw bytes: a client library would rewrite Connection.
    const r = await rawUpgradeHello(
      gw.proxyPort,
      upgradeRequest('/plain', { Connection: 'keep-alive, Upgrade, X-Hop', 'X-Hop': 'secret', 'Keep-Alive': 'timeout=5', TE: 'trailers', 'Proxy-Connection': 'keep-alive', 'Proxy-Authorization': 'Basic eDp5', 'X-Kept': '1' }),
    );
    assert.equal(r.status, 101);
    const h = r.hello!.headers;
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-connection', 'proxy-authorization']) assert.equal(h[name], undefined, name);
    assert.equal(h.connection, 'Upgrade');
    assert.equal(h['x-kept'], '1');
  });

  test('X-Forwarded-*: overwritten from an untrusted peer, extended behind a trusted proxy', async () => {
    const spoof = { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'public.example.com' };
    const direct = await connect(`${gw.url}/plain`, { headers: spoof });
    assert.equal(direct.hello.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(direct.hello.headers['x-forwarded-proto'], 'http');
    assert.equal(direct.hello.headers['x-forwarded-host'], `127.0.0.1:${gw.proxyPort}`);
    await direct.close();
    const behind = await connect(`${trusted.url}/plain`, { headers: spoof });
    assert.equal(behind.hello.headers['x-forwarded-for'], '6.6.6.6, 127.0.0.1');
    assert.equal(behind.hello.headers['x-forwarded-proto'], 'https');
    assert.equal(behind.hello.headers['x-forwarded-host'], 'public.example.com');
    await behind.close();
  });

  test('Forwarded, X-Real-IP: wsgate\'s own from an untrusted peer, extended behind a trusted proxy; X-Original-URL and X-Rewrite-URL never pass', async () => {
    const spoof = { Forwarded: 'for=6.6.6.6;proto=https', 'X-Real-IP': '6.6.6.6', 'X-Forwarded-For': '6.6.6.6', 'X-Original-URL': '/admin', 'X-Rewrite-URL': '/admin' };
    const direct = await connect(`${gw.url}/plain`, { headers: spoof });
    const dh = direct.hello.headers;
    assert.equal(dh.forwarded, `for=127.0.0.1;host="127.0.0.1:${gw.proxyPort}";proto=http`);
    assert.equal(dh['x-real-ip'], '127.0.0.1');
    assert.equal(dh['x-original-url'], undefined);
    assert.equal(dh['x-rewrite-url'], undefined);
    await direct.close();
    const behind = await connect(`${trusted.url}/plain`, { headers: spoof });
    const bh = behind.hello.headers;
    assert.equal(bh.forwarded, `for=6.6.6.6;proto=https, for=127.0.0.1;host="127.0.0.1:${trusted.proxyPort}";proto=http`);
    assert.equal(bh['x-real-ip'], '6.6.6.6');
    assert.equal(bh['x-original-url'], undefined);
    assert.equal(bh['x-rewrite-url'], undefined);
    await behind.close();
  });

  test('on an upgrade, Connection cannot remove what wsgate sets or the framing headers', async () => {
    const r = await rawUpgradeHello(
      gw.proxyPort,
      upgradeRequest('/plain', { Connection: 'Upgrade, X-Request-Id, X-Forwarded-For, Forwarded, X-Real-IP, traceparent, Host, X-Hop', 'X-Request-Id': 'rid-upgrade-1', 'X-Hop': 'gone' }),
    );
    assert.equal(r.status, 101);
    const h = r.hello!.headers;
    assert.equal(h['x-request-id'], 'rid-upgrade-1');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h.forwarded, `for=127.0.0.1;host=localhost;proto=http`);
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.match(String(h.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(h.host, 'localhost');
    assert.equal(h['x-hop'], undefined);
  });

  test('X-Request-Id: a sane one is kept and logged, a bad or missing one is generated', async () => {
    const logged = gw.waitForLog(/"requestId":"req-abc-123"[^\n]*"connection closed"|"connection closed"[^\n]*"requestId":"req-abc-123"/);
    const c = await connect(`${gw.url}/plain`, { headers: { 'X-Request-Id': 'req-abc-123' } });
    assert.equal(c.hello.headers['x-request-id'], 'req-abc-123');
    await c.close();
    await logged;
    for (const sent of [undefined, 'has spaces in it']) {
      const d = await connect(`${gw.url}/plain`, { headers: sent ? { 'X-Request-Id': sent } : {} });
      assert.match(String(d.hello.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await d.close();
    }
  });

  test('traceparent: a valid one passes unchanged with its tracestate; an invalid one is replaced and tracestate dropped', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const c = await connect(`${gw.url}/plain`, { headers: { traceparent: tp, tracestate: 'vendor=1' } });
    assert.equal(c.hello.headers.traceparent, tp);
    assert.equal(c.hello.headers.tracestate, 'vendor=1');
    await c.close();
    const d = await connect(`${gw.url}/plain`, { headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01', tracestate: 'vendor=1' } });
    assert.match(String(d.hello.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.notEqual(d.hello.headers.traceparent, tp);
    assert.equal(d.hello.headers.tracestate, undefined);
    await d.close();
    const e = await connect(`${gw.url}/plain`);
    assert.match(String(e.hello.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await e.close();
  });
});
