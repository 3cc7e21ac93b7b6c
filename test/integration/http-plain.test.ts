// Plain (non-upgrade) HTTP requests through a real `wsgate standalone` process, beside the
// upgrade on the same routes: method gating (426/405), rewrite, bodies, 100-continue, keep-alive
// on both sides, forwarded/request-id/trace headers, header rules, origin, API keys with the
// CORS preflight exemption, rate limit, passive health, idempotent retry, metrics, access log.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeSecret } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { plainRequest, startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { refusedPort } from '../helpers/refused-port.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

/** Sum of the samples of `name` whose labels include `labels` (0 when there is none). */
function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[l[1]!] = l[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const hello = (body: Buffer) => JSON.parse(body.toString('utf8')) as HelloBody;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('plain HTTP beside the upgrade', () => {
  let b1: HttpBackend;
  let bad: HttpBackend;
  let good: HttpBackend;
  let good2: HttpBackend;
  let dead1: number;
  let dead2: number;
  let gw: WsgateChild;
  const admin = () => `http://127.0.0.1:${gw.adminPort}`;
  const metrics = async () => (await fetch(`${admin()}/metrics`)).text();
  const debugRoutes = async () => (await (await fetch(`${admin()}/debug/routes`)).json()) as {
    ejected: Record<string, unknown>;
    routes: Array<{ key: string; http?: { methods: string[] }; endpoints: Array<{ id: string; ejected: boolean }> }>;
  };

  before(async () => {
    [b1, bad, good, good2] = await Promise.all([startHttpBackend('b1'), startHttpBackend('bad'), startHttpBackend('good'), startHttpBackend('good2')]);
    dead1 = await refusedPort();
    dead2 = await refusedPort();
    const dir = tempDir();
    const secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'keys', { alpha: 'key-alpha-123' });
    const at = (...ports: number[]) => ports.map((port) => ({ host: '127.0.0.1', port }));
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'ws-only', spec: { match: { path: '/wsonly' }, backend: { endpoints: at(b1.port) } } },
        {
          name: 'api',
          spec: {
            match: { path: '/api/{rest}' },
            backend: { endpoints: at(b1.port), path: '/v1/{rest}' },
            http: { methods: ['GET', 'POST'] },
            requestHeaders: { set: { 'X-Gateway': 'wsgate' }, add: { 'X-Tag': 'a' }, remove: ['X-Secret'] },
          },
        },
        { name: 'origin', spec: { match: { path: '/origin' }, backend: { endpoints: at(b1.port) }, http: { methods: ['GET'] }, security: { allowedOrigins: ['https://app.example.com'] } } },
        {
          name: 'keys',
          spec: { match: { path: '/keys' }, backend: { endpoints: at(b1.port) }, http: { methods: ['GET', 'OPTIONS'] }, security: { auth: { apiKeys: { secretRef: { name: 'keys' } } } } },
        },
        { name: 'limited', spec: { match: { path: '/limited' }, backend: { endpoints: at(b1.port) }, http: { methods: ['GET'] }, limits: { upgradesPerSecondPerClient: 1 } } },
        { name: 'eject', spec: { match: { path: '/eject' }, loadBalancer: { policy: 'RoundRobin' }, backend: { endpoints: at(bad.port, good.port) }, http: { methods: ['GET'] } } },
        { name: 'retry', spec: { match: { path: '/retry' }, loadBalancer: { policy: 'RoundRobin' }, backend: { endpoints: at(dead1, good2.port) }, http: { methods: ['GET', 'POST'] } } },
        { name: 'dead', spec: { match: { path: '/dead' }, backend: { endpoints: at(dead2) }, http: { methods: ['POST'] } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir]);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([b1, bad, good, good2].map((b) => b?.close()));
  });

  test('without spec.http a plain GET gets 426 naming spec.http.methods; an unlisted method gets 405 with Allow', async () => {
    const r = await plainRequest(gw.proxyPort, '/wsonly');
    assert.equal(r.status, 426);
    assert.match(r.body.toString(), /spec\.http\.methods/);
    const d = await plainRequest(gw.proxyPort, '/api/x', { method: 'DELETE' });
    assert.equal(d.status, 405);
    assert.equal(d.headers.allow, 'GET, POST');
    assert.equal(b1.requests.length, 0, 'neither reached the backend');
  });

  test('GET and POST are proxied with the rewrite keeping a trailing slash, percent-encoded bytes and the query exactly', async () => {
    // Reserved characters stay encoded (hex upper-cased by the path normalisation; %2F itself is
    // refused by default, see paths.test.ts); the query is not touched.
    const g = await plainRequest(gw.proxyPort, '/api/a%3ab/c%20d/?q=1&x=%2f&y');
    assert.equal(g.status, 200);
    const gb = hello(g.body);
    assert.deepEqual([gb.backend, gb.method, gb.url], ['b1', 'GET', '/v1/a%3Ab/c%20d/?q=1&x=%2f&y']);
    const p = await plainRequest(gw.proxyPort, '/api/echo-body/?k=v%2F1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(p.status, 200);
    assert.equal(p.body.toString(), '{"a":1}');
    assert.equal(p.headers['content-type'], 'application/json');
    const rec = await b1.waitForRequest((r) => r.method === 'POST' && r.url.startsWith('/v1/echo-body'));
    assert.equal(rec.url, '/v1/echo-body/?k=v%2F1');
  });

  test('the upgrade still works on the same route', async () => {
    const c = await connect(`ws://127.0.0.1:${gw.proxyPort}/api/live/?room=1`);
    assert.equal(c.hello.backend, 'b1');
    assert.equal(c.hello.path, '/v1/live/?room=1');
    assert.equal(await c.echo('ping'), 'ping');
    await c.close();
  });

  test('request bodies with Content-Length and chunked arrive intact', async () => {
    const body = randomBytes(100 * 1024);
    const sized = await plainRequest(gw.proxyPort, '/api/echo-body?sized', { method: 'POST', headers: { 'content-length': body.length }, body });
    assert.equal(sized.status, 200);
    assert.ok(sized.body.equals(body), 'Content-Length body echoed byte-exact');
    const sizedRec = await b1.waitForRequest((r) => r.url === '/v1/echo-body?sized');
    assert.equal(sizedRec.headers['content-length'], String(body.length));

    // No Content-Length and several writes: Node sends Transfer-Encoding: chunked.
    const parts = [randomBytes(1000), randomBytes(70000), randomBytes(5)];
    const chunked = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.proxyPort, path: '/api/echo-body?chunked', method: 'POST', agent: false }, (res) => {
        const got: Buffer[] = [];
        res.on('data', (c: Buffer) => got.push(c));
        res.on('end', () => resolve(Buffer.concat(got)));
      });
      req.on('error', reject);
      for (const p of parts) req.write(p);
      req.end();
    });
    assert.ok(chunked.equals(Buffer.concat(parts)), 'chunked body echoed byte-exact');
    const chunkedRec = await b1.waitForRequest((r) => r.url === '/v1/echo-body?chunked');
    assert.equal(chunkedRec.headers['transfer-encoding'], 'chunked', 'streamed on, not buffered into a Content-Length');
  });

  test('Expect: 100-continue: the client gets 100 Continue, sends the body, gets the answer', async () => {
    const body = Buffer.alloc(5000, 7);
    const answer = await new Promise<{ status: number; json: { bytes: number } }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: gw.proxyPort, path: '/api/continue', method: 'POST', agent: false, headers: { Expect: '100-continue', 'Content-Length': body.length } },
        (res) => {
          const got: Buffer[] = [];
          res.on('data', (c: Buffer) => got.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(got).toString()) as { bytes: number } });
          });
        },
      );
      // Without a 100 Continue the client would wait forever: bound it.
      const timer = setTimeout(() => req.destroy(new Error('no 100 Continue within 5 s')), 5000);
      req.on('continue', () => req.end(body));
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.bytes, body.length);
  });

  test('keep-alive: sequential requests share one client connection, and wsgate pools its backend connections', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const n = 6;
      const reused: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const r = await plainRequest(gw.proxyPort, `/api/ka?i=${i}`, { agent });
        assert.equal(r.status, 200);
        assert.equal(hello(r.body).url, `/v1/ka?i=${i}`);
        reused.push(r.reusedSocket);
      }
      assert.deepEqual(reused, [false, ...Array<boolean>(n - 1).fill(true)], 'one client connection for all');
      const sockets = new Set(b1.requests.filter((r) => r.url.startsWith('/v1/ka?')).map((r) => r.socketId));
      assert.ok(sockets.size < n, `backend saw ${n} requests on ${sockets.size} connections`);
    } finally {
      agent.destroy();
    }
  });

  test('X-Forwarded-*, X-Request-Id (kept or generated) and traceparent reach the backend', async () => {
    const r = await plainRequest(gw.proxyPort, '/api/fwd', {
      headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example.com', 'X-Request-Id': 'req-plain-1', traceparent: TRACEPARENT },
    });
    const h = hello(r.body).headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], `127.0.0.1:${gw.proxyPort}`);
    assert.equal(h['x-request-id'], 'req-plain-1');
    assert.equal(h.traceparent, TRACEPARENT);
    const g = hello((await plainRequest(gw.proxyPort, '/api/fwd2', { headers: { 'X-Request-Id': 'has spaces in it' } })).body).headers;
    assert.match(String(g['x-request-id']), UUID);
    assert.match(String(g.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const none = hello((await plainRequest(gw.proxyPort, '/api/fwd3')).body).headers;
    assert.match(String(none['x-request-id']), UUID);
  });

  test('requestHeaders rules apply and hop-by-hop headers are stripped', async () => {
    const r = await plainRequest(gw.proxyPort, '/api/hdr', {
      headers: {
        'X-Gateway': 'client',
        'X-Tag': 'client',
        'X-Secret': 's3cret',
        'X-Other': 'kept',
        Connection: 'keep-alive, X-Hop',
        'X-Hop': 'secret',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        'Proxy-Connection': 'keep-alive',
        'Proxy-Authorization': 'Basic eDp5',
      },
    });
    const h = hello(r.body).headers;
    assert.equal(h['x-gateway'], 'wsgate');
    assert.equal(h['x-tag'], 'client, a');
    assert.equal(h['x-secret'], undefined);
    assert.equal(h['x-other'], 'kept');
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-connection', 'proxy-authorization']) assert.equal(h[name], undefined, name);
    assert.doesNotMatch(String(h.connection ?? ''), /x-hop/i);
  });

  test('security.allowedOrigins refuses a wrong Origin with 403', async () => {
    assert.equal((await plainRequest(gw.proxyPort, '/origin', { headers: { Origin: 'https://evil.example.com' } })).status, 403);
    assert.equal((await plainRequest(gw.proxyPort, '/origin', { headers: { Origin: 'https://app.example.com' } })).status, 200);
    assert.equal((await plainRequest(gw.proxyPort, '/origin')).status, 200, 'no Origin: allowMissingOrigin defaults to true');
  });

  test('API keys: 401 without, 200 with; a CORS preflight without credentials reaches the backend', async () => {
    const missing = await plainRequest(gw.proxyPort, '/keys');
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'ApiKey realm="wsgate"');
    assert.equal((await plainRequest(gw.proxyPort, '/keys', { headers: { 'X-API-Key': 'wrong' } })).status, 401);
    const ok = await plainRequest(gw.proxyPort, '/keys?with-key', { headers: { 'X-API-Key': 'key-alpha-123' } });
    assert.equal(ok.status, 200);
    assert.equal(hello(ok.body).url, '/keys?with-key');

    const preflight = await plainRequest(gw.proxyPort, '/keys?preflight', { method: 'OPTIONS', headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' } });
    assert.equal(preflight.status, 200);
    const rec = await b1.waitForRequest((r) => r.url === '/keys?preflight');
    assert.equal(rec.method, 'OPTIONS');
    assert.equal(rec.headers['access-control-request-method'], 'POST');
    // An OPTIONS that is not a preflight is not exempt.
    assert.equal((await plainRequest(gw.proxyPort, '/keys?not-preflight', { method: 'OPTIONS' })).status, 401);
  });

  test('the per-client rate limit answers plain requests 429 with Retry-After once the bucket is empty', async () => {
    // Burst of 1 at 1/s: back-to-back requests empty it within a few tries.
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof plainRequest>> | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const r = await plainRequest(gw.proxyPort, '/limited');
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    assert.ok(limited, `no 429 in ${statuses.join(',')}`);
    assert.equal(statuses[0], 200);
    assert.match(String(limited.headers['retry-after']), /^[1-9]\d*$/);
  });

  test('an endpoint answering 503 is ejected and traffic goes to the other endpoint', async () => {
    bad.forceStatus = 503;
    const badId = `127.0.0.1:${bad.port}`;
    const before = metricValue(await metrics(), 'wsgate_endpoint_ejections_total', { namespace: 'default', route: 'eject' });
    const seen: number[] = [];
    const isEjected = async () => {
      const d = await debugRoutes();
      const ep = d.routes.find((r) => r.key === 'default/eject')?.endpoints.find((e) => e.id === badId);
      return badId in d.ejected || ep?.ejected === true;
    };
    let ejected = false;
    for (let i = 0; i < 20 && !ejected; i++) {
      seen.push((await plainRequest(gw.proxyPort, '/eject')).status);
      ejected = await isEjected();
    }
    assert.ok(ejected, `not ejected after answers ${seen.join(',')}`);
    assert.ok(metricValue(await metrics(), 'wsgate_endpoint_ejections_total', { namespace: 'default', route: 'eject' }) > before);
    const badBefore = bad.requests.length;
    for (let i = 0; i < 5; i++) {
      const r = await plainRequest(gw.proxyPort, '/eject');
      assert.equal(r.status, 200);
      assert.equal(hello(r.body).backend, 'good');
    }
    assert.equal(bad.requests.length, badBefore, 'the ejected endpoint got no traffic');
    bad.forceStatus = undefined;
  });

  test('a GET is retried past a refusing endpoint; a POST with a body to an all-refusing route gets 502', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await plainRequest(gw.proxyPort, `/retry?i=${i}`);
      assert.equal(r.status, 200);
      assert.equal(hello(r.body).backend, 'good2');
    }
    // Round robin sent at least one of them to the refusing endpoint first.
    const ejections = metricValue(await metrics(), 'wsgate_endpoint_ejections_total', { namespace: 'default', route: 'retry' });
    assert.ok(ejections > 0 || gw.stderr().includes(`"endpoint":"127.0.0.1:${dead1}"`), 'the refusing endpoint was tried');
    const post = await plainRequest(gw.proxyPort, '/dead', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(10000) });
    assert.equal(post.status, 502);
  });

  test('metrics: wsgate_http_requests_total and the duration histogram count increase', async () => {
    const labels = { namespace: 'default', route: 'api', method: 'GET', code: '200' };
    const m0 = await metrics();
    const req0 = metricValue(m0, 'wsgate_http_requests_total', labels);
    const dur0 = metricValue(m0, 'wsgate_http_request_duration_seconds_count', { namespace: 'default', route: 'api' });
    for (let i = 0; i < 3; i++) assert.equal((await plainRequest(gw.proxyPort, `/api/metrics?i=${i}`)).status, 200);
    assert.equal((await plainRequest(gw.proxyPort, '/api/x', { method: 'DELETE' })).status, 405);
    const m1 = await metrics();
    assert.equal(metricValue(m1, 'wsgate_http_requests_total', labels), req0 + 3);
    assert.ok(metricValue(m1, 'wsgate_http_request_duration_seconds_count', { namespace: 'default', route: 'api' }) >= dur0 + 3);
    assert.ok(metricValue(m1, 'wsgate_http_requests_total', { namespace: 'default', route: 'api', method: 'DELETE', code: '405' }) >= 1, 'refusals are counted too');
    assert.equal(metricValue(m1, 'wsgate_http_requests_total', { ...labels, protocol: 'http/1.1' }), req0 + 3, 'labelled with the protocol');
  });

  test('one access-log line "http request" per request, with route, endpoint, method, status and request id', async () => {
    const ids = ['log-get-1', 'log-post-2', 'log-get-3'];
    await plainRequest(gw.proxyPort, '/api/log1', { headers: { 'X-Request-Id': ids[0] } });
    await plainRequest(gw.proxyPort, '/api/echo-body', { method: 'POST', headers: { 'X-Request-Id': ids[1] }, body: 'abc' });
    await plainRequest(gw.proxyPort, '/api/log3', { headers: { 'X-Request-Id': ids[2] } });
    const lines = await eventually('three access-log lines', () => {
      const found = gw
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"http request"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => ids.includes(String(l.requestId)));
      return found.length >= 3 ? found : undefined;
    });
    assert.deepEqual(lines.map((l) => l.requestId), ids, 'exactly one line each, in order');
    assert.deepEqual(lines.map((l) => [l.route, l.method, l.status]), [
      ['default/api', 'GET', 200],
      ['default/api', 'POST', 200],
      ['default/api', 'GET', 200],
    ]);
    for (const l of lines) {
      assert.equal(l.endpoint, `127.0.0.1:${b1.port}`);
      assert.equal(l.client, '127.0.0.1');
      assert.equal(l.protocol, 'http/1.1');
      assert.equal(typeof l.durationSeconds, 'number');
    }
  });

  test('/debug/routes shows http.methods', async () => {
    const d = await debugRoutes();
    assert.deepEqual(d.routes.find((r) => r.key === 'default/api')?.http?.methods, ['GET', 'POST']);
    assert.equal(d.routes.find((r) => r.key === 'default/ws-only')?.http, undefined);
  });
});
