// Differential smuggling suite (issue 21): raw client bytes through a real `wsgate standalone
// --workers 1` to a recording backend that parses strictly and records every request per
// backend connection. For each framing case (smuggling-cases.ts) the backend must parse exactly
// the client's requests (method, target, body, wsgate's own framing header) or, for ambiguous
// framing, nothing while the client gets 400/501 and a closed connection. After every case a
// second client (another connection, with its own Cookie) must reach the backend exactly as it
// sent its request and get its own response: a smuggled prefix left on a pooled backend
// connection would be completed by it. Then the pool: which exchanges may reuse a backend
// connection (early responses, half-closed bodies, backends closing early).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeSecret } from '../helpers/certs.js';
import { rawClient, type ParsedResponse } from '../helpers/raw-client.js';
import { headerOf, startRecordingBackend, type RecordedRequest, type RecordingBackend } from '../helpers/recording-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';
import { chunked, FRAMING_CASES, request, SMUGGLED, type Forwarded } from './smuggling-cases.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The JSON the recording backend answers with: which request the response belongs to. */
interface Answer {
  conn: number;
  index: number;
  method: string;
  target: string;
}

const answerOf = (r: ParsedResponse): Answer => JSON.parse(r.body.toString('utf8')) as Answer;

/** Exactly one framing header, the one expected, and consistent with the body. */
function assertFraming(r: RecordedRequest, expected: Forwarded['framing'], what: string): void {
  const cl = r.headers.filter(([n]) => n.toLowerCase() === 'content-length');
  const te = r.headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding');
  if (expected === 'length') {
    assert.deepEqual([cl.length, te.length], [1, 0], `${what}: one Content-Length`);
    assert.equal(cl[0]![1], String(r.body.length), `${what}: Content-Length is the body's`);
  } else if (expected === 'chunked') {
    assert.deepEqual([cl.length, te.length], [0, 1], `${what}: one Transfer-Encoding`);
    assert.equal(te[0]![1], 'chunked', what);
  } else {
    assert.deepEqual([cl.length, te.length], [0, 0], `${what}: no framing header`);
  }
}

describe('request smuggling: one request in, one request out', () => {
  let backend: RecordingBackend;
  let gw: WsgateChild;
  let probes = 0;

  before(async () => {
    backend = await startRecordingBackend();
    const dir = tempDir();
    const secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'admin-keys', { key: 'admin-key-123' });
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'admin',
          spec: {
            match: { path: '/admin/{rest}' },
            backend: { endpoints, path: '/admin/{rest}' },
            http: { methods: METHODS },
            security: { auth: { apiKeys: { secretRef: { name: 'admin-keys' } } } },
          },
        },
        { name: 'public', spec: { match: { path: '/{rest}' }, backend: { endpoints, path: '/{rest}' }, http: { methods: METHODS } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir, '--workers', '1']);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  /**
   * Another client's request on its own connection: it must reach the backend exactly as sent
   * and get its own response. Also a barrier: what the case made wsgate forward is recorded by
   * the time the probe is.
   */
  async function probe(): Promise<RecordedRequest> {
    const target = `/probe/${++probes}`;
    const client = await rawClient(gw.proxyPort);
    try {
      client.write(request('GET', target, ['Cookie: session=victim', 'Authorization: Bearer victim-token']));
      const res = await client.response();
      assert.equal(res.status, 200, 'the probe is answered');
      assert.equal(answerOf(res).target, target, 'the probe gets its own response');
      const rec = await backend.waitFor((r) => r.target === target);
      assert.equal(rec.method, 'GET');
      assert.equal(rec.body.length, 0);
      assert.equal(rec.complete, true);
      assert.equal(headerOf(rec, 'cookie'), 'session=victim');
      assert.equal(headerOf(rec, 'authorization'), 'Bearer victim-token');
      return rec;
    } finally {
      client.destroy();
    }
  }

  test('the keyed route refuses a request without a key (the suite would prove nothing otherwise)', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    client.write(request('GET', '/admin/secret', []));
    assert.equal((await client.response()).status, 401);
    client.destroy();
    await probe();
    assert.deepEqual(backend.requests.filter((r) => !r.target.startsWith('/probe/')), []);
  });

  test(`the case table has at least 40 cases (${FRAMING_CASES.length})`, () => {
    assert.ok(FRAMING_CASES.length >= 40);
  });

  /** The request recorded for `target` (waits for its head). */
  const recorded = (target: string) => backend.waitFor((r) => r.target === target);

  test('pool: a complete exchange hands its backend connection to the next request', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    try {
      client.write(request('POST', '/public/pool-1', ['Content-Length: 3'], 'one'));
      assert.equal((await client.response()).status, 200);
      client.write(request('GET', '/public/pool-2', []));
      assert.equal((await client.response()).status, 200);
      client.write(request('DELETE', '/public/pool-3', ['Transfer-Encoding: chunked'], chunked('three')));
      assert.equal((await client.response()).status, 200);
    } finally {
      client.destroy();
    }
    const conns = await Promise.all(['/public/pool-1', '/public/pool-2', '/public/pool-3'].map(async (t) => (await recorded(t)).conn));
    assert.deepEqual(conns, [conns[0], conns[0], conns[0]], 'one keep-alive backend connection carried all three');
    assert.equal(backend.closed(conns[0]!), false);
  });

  test('pool: a response before the request body is complete retires the backend connection', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    try {
      client.write(request('POST', '/early/upload', ['Content-Length: 10'], 'hello'));
      const early = await client.response();
      assert.equal(early.status, 401, 'the backend answered before the body was complete');
      const rec = await recorded('/early/upload');
      await backend.waitClosed(rec.conn);
      // The rest of the body is read and dropped; the client's connection carries on.
      client.write(`world${request('GET', '/public/after-early', [])}`);
      const next = await client.response();
      assert.equal(answerOf(next).target, '/public/after-early');
      const after = await recorded('/public/after-early');
      assert.notEqual(after.conn, rec.conn, 'a new backend connection');
      assert.deepEqual(
        backend.requests.filter((r) => r.conn === rec.conn).map((r) => r.target),
        ['/early/upload'],
        'nothing else was sent on the retired connection',
      );
    } finally {
      client.destroy();
    }
    await probe();
  });

  test('pool: a client that half-closes mid-body cuts the backend request and its connection', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    try {
      client.write(request('POST', '/public/half', ['Content-Length: 10'], 'hello'));
      const rec = await recorded('/public/half');
      client.end();
      await backend.waitClosed(rec.conn);
      assert.equal(rec.complete, false);
      assert.equal(backend.requests.filter((r) => r.conn === rec.conn).length, 1);
    } finally {
      client.destroy();
    }
    const next = await probe();
    assert.notEqual(next.conn, backend.requests.find((r) => r.target === '/public/half')!.conn);
  });

  test('pool: a client that disconnects mid-body cuts the backend request and its connection', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    client.write(request('PUT', '/public/gone', ['Transfer-Encoding: chunked'], '5\r\nhello\r\n'));
    const rec = await backend.waitFor((r) => r.target === '/public/gone' && r.body.length === 5);
    client.destroy();
    await backend.waitClosed(rec.conn);
    assert.equal(rec.complete, false);
    const next = await probe();
    assert.notEqual(next.conn, rec.conn);
  });

  test('pool: a backend that closes after the head: 502, and the next request gets a new connection', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    try {
      client.write(request('POST', '/close/x', ['Content-Length: 3'], 'abc'));
      assert.equal((await client.response()).status, 502);
    } finally {
      client.destroy();
    }
    const rec = await recorded('/close/x');
    const next = await probe();
    assert.notEqual(next.conn, rec.conn);
  });

  test('HTTP/1.0 keep-alive: each pipelined request is answered with the Connection wsgate keeps, none runs unanswered', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    try {
      // http-proxy-3's setConnection pass wrote the client's own Connection value (or "close")
      // on responses to HTTP/1.0 clients, over what wsgate decided: the connection then
      // closed after the first response while the second request still reached the backend.
      const keepAlive = ['Connection: keep-alive'];
      client.write(request('GET', '/public/ten-1', keepAlive, '', 'HTTP/1.0') + request('POST', '/public/ten-2', [...keepAlive, 'Content-Length: 3'], 'two', 'HTTP/1.0'));
      const first = await client.response();
      assert.deepEqual([first.status, answerOf(first).target, first.headers.connection], [200, '/public/ten-1', 'keep-alive']);
      const second = await client.response();
      assert.deepEqual([second.status, answerOf(second).target, second.headers.connection], [200, '/public/ten-2', 'keep-alive']);
      // Without keep-alive an HTTP/1.0 exchange ends with its response, and says so.
      client.write(request('GET', '/public/ten-3', [], '', 'HTTP/1.0'));
      const third = await client.response();
      assert.deepEqual([third.status, answerOf(third).target, third.headers.connection], [200, '/public/ten-3', 'close']);
      await client.closed();
    } finally {
      client.destroy();
    }
  });

  test('HTTP/1.0 with "TE: chunked": no response to it carries Transfer-Encoding (RFC 9112 6.1), refusals included', async () => {
    for (const target of ['/public/te', '/public/te#refused']) {
      const client = await rawClient(gw.proxyPort);
      try {
        client.write(request('GET', target, ['TE: chunked'], '', 'HTTP/1.0'));
        const res = await client.response();
        assert.equal(res.headers['transfer-encoding'], undefined, `${target}: ${JSON.stringify(res.headers)}`);
        assert.equal(res.status, target.includes('#') ? 400 : 200);
        assert.equal(res.headers.connection, 'close', target);
      } finally {
        client.destroy();
      }
    }
  });

  const upgradeHead = (target: string, extra: readonly string[]) =>
    request('GET', target, ['Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', ...extra]);

  for (const [what, extra, body] of [
    ['Content-Length', ['Connection: Upgrade', `Content-Length: ${SMUGGLED.length}`], SMUGGLED],
    ['chunked', ['Connection: Upgrade', 'Transfer-Encoding: chunked'], chunked(SMUGGLED)],
    ['Content-Length named in Connection', ['Connection: Upgrade, Content-Length', `Content-Length: ${SMUGGLED.length}`], SMUGGLED],
  ] as const) {
    test(`upgrade: a handshake with a body (${what}) is refused and nothing reaches the backend`, async () => {
      backend.reset();
      const client = await rawClient(gw.proxyPort);
      try {
        client.write(upgradeHead('/public/ws', extra) + body);
        assert.equal((await client.response()).status, 400);
        await client.closed();
      } finally {
        client.destroy();
      }
      await probe();
      assert.deepEqual(backend.requests.filter((r) => !r.target.startsWith('/probe/')), []);
    });
  }

  test('upgrade: Content-Length: 0 is dropped, and Connection cannot remove what wsgate sets', async () => {
    backend.reset();
    const client = await rawClient(gw.proxyPort);
    try {
      client.write(upgradeHead('/public/ws', ['Connection: Upgrade, X-Request-Id, X-Forwarded-For, Forwarded, Host', 'Content-Length: 0', 'X-Request-Id: rid-upgrade-2']));
      // The recording backend does not switch protocols: its 200 is relayed.
      assert.equal((await client.response()).status, 200);
    } finally {
      client.destroy();
    }
    const rec = await recorded('/public/ws');
    assert.equal(headerOf(rec, 'content-length'), undefined);
    assert.equal(headerOf(rec, 'transfer-encoding'), undefined);
    assert.equal(headerOf(rec, 'connection'), 'Upgrade');
    assert.equal(headerOf(rec, 'x-request-id'), 'rid-upgrade-2');
    assert.equal(headerOf(rec, 'x-forwarded-for'), '127.0.0.1');
    assert.equal(headerOf(rec, 'forwarded'), 'for=127.0.0.1;host=gw.test;proto=http');
    assert.equal(headerOf(rec, 'host'), 'gw.test');
  });

  for (const c of FRAMING_CASES) {
    test(c.name, async () => {
      backend.reset();
      const client = await rawClient(gw.proxyPort);
      try {
        client.write(c.raw);
        if (c.refused !== undefined) {
          const res = await client.response();
          assert.equal(res.status, c.refused, `status; body ${res.body.toString()}`);
          await client.closed();
        } else {
          for (const f of c.forwarded ?? []) {
            const res = await client.response({ bodyless: c.bodyless ?? false });
            assert.equal(res.status, 200, `${f.method} ${f.target}: status`);
            if (!c.bodyless) assert.deepEqual([answerOf(res).method, answerOf(res).target], [f.method, f.target], 'the client gets the response to its own request');
          }
        }
      } finally {
        client.destroy();
      }
      const probeRecord = await probe();
      const seen = backend.requests.filter((r) => r !== probeRecord);
      assert.deepEqual(backend.errors, [], 'the backend parsed everything it got');
      if (c.cutShort && seen.length > 0) {
        assert.equal(seen.length, 1, 'at most the request cut short');
        const [r] = seen;
        assert.deepEqual([r!.method, r!.target, r!.complete], [c.cutShort.method, c.cutShort.target, false]);
        assert.ok(c.cutShort.body.startsWith(r!.body.toString('latin1')), 'only bytes before the error');
        await backend.waitClosed(r!.conn);
        return;
      }
      assert.deepEqual(
        seen.map((r) => ({ method: r.method, target: r.target, body: r.body.toString('latin1'), complete: r.complete })),
        (c.forwarded ?? []).map((f) => ({ method: f.method, target: f.target, body: f.body, complete: true })),
        'what the backend parsed',
      );
      seen.forEach((r, i) => {
        const f = c.forwarded![i]!;
        assertFraming(r, f.framing, `${f.method} ${f.target}`);
        for (const [name, value] of Object.entries(f.headers ?? {})) assert.equal(headerOf(r, name) ?? null, value, `header ${name}`);
      });
    });
  }
});
