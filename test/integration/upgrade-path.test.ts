// The upgrade path wsgate writes itself on the pre-connected backend socket: what reaches the
// backend and the client byte for byte, answers other than 101 relayed as is, a backend that
// goes away before answering, what the exchange checks (no body on an upgrade, the bound on the
// backend's answer, the 101's Sec-WebSocket-Accept), and close frames when a backend's
// connection dies.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { startEchoServer } from '../../examples/echo-server.js';
import { eventually } from '../helpers/eventually.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { writeRoutes } from '../helpers/routes-yaml.js';
import { repoRoot, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

/** A TCP backend that hands each connection's request head to `answer`, which owns the socket. */
interface RawBackend {
  port: number;
  /** Request heads (and anything after them) received, per connection, in order. */
  received: Buffer[];
  /** Connections not closed yet (by either side). */
  open(): number;
  close(): Promise<void>;
}

function startRawBackend(answer: (socket: net.Socket, head: string, index: number) => void): Promise<RawBackend> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const index = received.length;
    received.push(Buffer.alloc(0));
    let answered = false;
    socket.on('data', (chunk) => {
      received[index] = Buffer.concat([received[index]!, chunk]);
      const text = received[index]!.toString('latin1');
      if (!answered && text.includes('\r\n\r\n')) {
        answered = true;
        answer(socket, text.slice(0, text.indexOf('\r\n\r\n') + 4), index);
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        received,
        open: () => sockets.size,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Sends `request` and collects every byte until the server closes the connection (bounded). */
function exchange(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection not closed within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(request);
  });
}

/** Sends `request` and resolves with the response head, then drops the connection. */
function headOf(port: number, request: string): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.write(request);
  return readUntil(socket, (all) => all.includes('\r\n\r\n')).then(
    (all) => {
      socket.destroy();
      const text = all.toString('latin1');
      return text.slice(0, text.indexOf('\r\n\r\n') + 4);
    },
    (err: unknown) => {
      socket.destroy();
      throw err;
    },
  );
}

/** Reads from a raw client until `predicate` holds on everything received. */
function readUntil(socket: net.Socket, predicate: (all: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let all = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      all = Buffer.concat([all, c]);
      if (predicate(all)) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(all);
      }
    };
    const onClose = () => reject(new Error(`closed before the expected bytes; got ${JSON.stringify(all.toString('latin1'))}`));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

function serverFrame(opcode: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
}

/** A valid 101 for the request head `head` (its Sec-WebSocket-Key). */
const accept101 = (head: string) => {
  const key = /\r\nsec-websocket-key: *([^\r]+)\r\n/i.exec(head)?.[1] ?? '';
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
};

async function metric(gw: WsgateChild, pattern: RegExp): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
  return pattern.exec(text)?.[1];
}

const ep = (port: number) => ({ host: '127.0.0.1', port });

describe('the upgrade request and the 101 pass byte for byte', () => {
  let backend: RawBackend;
  let gw: WsgateChild;
  // The backend's 101, with odd spacing and casing, its own cookie and a frame right behind it.
  const odd101 =
    'HTTP/1.1 101 Switching Protocols\r\nupgrade:  websocket\r\nCONNECTION: upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat.v1\r\n' +
    'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\nSet-Cookie: app=1; Path=/\r\nX-Backend:\tbe \r\n\r\n';
  const firstFrame = serverFrame(0x1, Buffer.from('welcome'));

  before(async () => {
    backend = await startRawBackend((socket) => socket.write(Buffer.concat([Buffer.from(odd101, 'latin1'), firstFrame])));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      { name: 'plain', spec: { match: { path: '/plain' }, backend: { endpoints: [ep(backend.port)] } } },
      { name: 'sticky', spec: { match: { path: '/sticky' }, backend: { endpoints: [ep(backend.port)] }, sessionAffinity: { cookie: {} } } },
    ]);
    gw = await startWsgate(['standalone', '--config', file]);
  });
  after(async () => {
    await gw.stop();
    await backend.close();
  });

  test('subprotocol and extension offers reach the backend exactly; its 101 and first frame reach the client unchanged', async () => {
    const client = net.connect({ host: '127.0.0.1', port: gw.proxyPort });
    try {
      // The client's first frame travels in the same write as its request head.
      const clientFrame = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]);
      const req = upgradeRequest('/plain?q=%2F1', {
        'Sec-WebSocket-Protocol': 'chat.v2, chat.v1',
        'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits, x-webkit-deflate-frame',
        // obs-text (RFC 9110 5.5): UTF-8 bytes of "é€" in a cookie, as browsers send them.
        Cookie: 'name=\xc3\xa9\xe2\x82\xac',
      });
      client.write(Buffer.concat([Buffer.from(req, 'latin1'), clientFrame]));
      const got = await readUntil(client, (all) => all.length >= odd101.length + firstFrame.length);
      assert.equal(got.toString('latin1'), odd101 + firstFrame.toString('latin1'));
      const seen = await eventually('the backend got the request and the frame', () => {
        const r = backend.received.at(-1);
        return r && r.length > 0 && r.subarray(-clientFrame.length).equals(clientFrame) ? r : undefined;
      });
      const head = seen.toString('latin1');
      assert.match(head, /^GET \/plain\?q=%2F1 HTTP\/1\.1\r\n/);
      assert.match(head, /\r\nsec-websocket-protocol: chat\.v2, chat\.v1\r\n/);
      assert.match(head, /\r\nsec-websocket-extensions: permessage-deflate; client_max_window_bits, x-webkit-deflate-frame\r\n/);
      assert.match(head, /\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n/);
      assert.match(head, /\r\nconnection: Upgrade\r\n/);
      // Byte for byte: not re-encoded (each byte above 0x7F would become two).
      assert.ok(seen.includes(Buffer.from('\r\ncookie: name=\xc3\xa9\xe2\x82\xac\r\n', 'latin1')), `the cookie's bytes: ${JSON.stringify(head)}`);
      assert.equal(seen.length, head.indexOf('\r\n\r\n') + 4 + clientFrame.length, 'the frame follows the head, once');
    } finally {
      client.destroy();
    }
  });

  test('with session affinity the 101 is the backend\'s, plus one Set-Cookie line before its end', async () => {
    const got = await new Promise<Buffer>((resolve, reject) => {
      const client = net.connect({ host: '127.0.0.1', port: gw.proxyPort });
      client.write(upgradeRequest('/sticky'));
      readUntil(client, (all) => all.includes(firstFrame)).then((b) => {
        client.destroy();
        resolve(b);
      }, reject);
    });
    const text = got.toString('latin1');
    const backendHead = odd101.slice(0, -2);
    assert.ok(text.startsWith(backendHead), `starts with the backend's head: ${JSON.stringify(text)}`);
    const added = text.slice(backendHead.length, text.indexOf('\r\n\r\n') + 4);
    assert.match(added, /^Set-Cookie: wsgate-affinity=[^;\r\n]+; Path=\/; HttpOnly; SameSite=Lax\r\n\r\n$/);
    assert.equal(text.slice(text.indexOf('\r\n\r\n') + 4), firstFrame.toString('latin1'));
  });
});

describe('answers other than 101', () => {
  test('a 403 with Content-Length and a chunked 404 with trailers are relayed byte for byte, then the connection closes', async () => {
    const forbidden = 'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\ncontent-length: 5\r\nX-Why:  odd  \r\n\r\nnope!';
    const missing = 'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: t\r\n\r\n';
    // Both keep their connection open after the answer (keep-alive): wsgate ends the client's
    // connection where the body ends, not when the backend closes.
    const backend = await startRawBackend((socket, _head, i) => socket.write(i % 2 === 0 ? forbidden : missing));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [ep(backend.port)] } } }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      assert.equal((await exchange(gw.proxyPort, upgradeRequest('/r'))).toString('latin1'), forbidden);
      assert.equal((await exchange(gw.proxyPort, upgradeRequest('/r'))).toString('latin1'), missing);
      assert.equal(await metric(gw, /wsgate_upgrades_total\{namespace="default",route="r",result="backend_rejected",protocol="http\/1\.1"\} (\d+)/), '2');
      // A 4xx is an answer, not a failure: the endpoint stays in rotation.
      assert.equal(await metric(gw, /wsgate_endpoint_ejections_total\{namespace="default",route="r"\} (\d+)/), undefined);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('a request the client sends right behind its handshake never reaches the backend when the answer is not a 101', async () => {
    // Keeps its connection open after the 403, as a keep-alive HTTP server would, ready to
    // read a second request on it.
    const backend = await startRawBackend((socket) => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno'));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [ep(backend.port)] } } }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      const smuggled = 'GET /admin/secret HTTP/1.1\r\nHost: gw.test\r\n\r\n';
      const client = net.connect({ host: '127.0.0.1', port: gw.proxyPort });
      client.on('error', () => {});
      const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      // In the handshake's write, and again once the answer began: neither may reach the backend.
      client.write(upgradeRequest('/r') + smuggled);
      const got = await readUntil(client, (all) => all.includes('\r\n\r\n'));
      assert.match(got.toString('latin1'), /^HTTP\/1\.1 403 Forbidden\r\n/);
      client.write(smuggled);
      await clientClosed;
      await eventually('wsgate closed the backend connection', () => backend.open() === 0);
      assert.equal(backend.received.length, 1);
      const seen = backend.received[0]!.toString('latin1');
      assert.equal(seen.length, seen.indexOf('\r\n\r\n') + 4, `the backend saw the handshake only: ${JSON.stringify(seen)}`);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('a 503 answer is relayed and ejects the endpoint; the next upgrade goes to the other one', async () => {
    const unavailable = 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nRetry-After: 3\r\n\r\nbusy';
    const sick = await startRawBackend((socket) => socket.end(unavailable));
    const healthy = await startEchoServer({ name: 'healthy' });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, loadBalancer: { policy: 'RoundRobin' }, backend: { endpoints: [ep(sick.port), ep(healthy.port)] } } }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      // Round robin reaches the sick endpoint within two upgrades.
      let relayed = '';
      for (let i = 0; i < 2 && !relayed; i++) {
        const head = await headOf(gw.proxyPort, upgradeRequest('/r'));
        if (head.startsWith('HTTP/1.1 503')) relayed = head;
        else assert.match(head, /^HTTP\/1\.1 101 /);
      }
      assert.equal(relayed, unavailable.slice(0, unavailable.indexOf('\r\n\r\n') + 4));
      assert.equal(await metric(gw, /wsgate_endpoint_ejections_total\{namespace="default",route="r"\} (\d+)/), '1');
      const before = sick.received.length;
      for (let i = 0; i < 4; i++) assert.match(await headOf(gw.proxyPort, upgradeRequest('/r')), /^HTTP\/1\.1 101 /);
      assert.equal(sick.received.length, before, 'the ejected endpoint got no upgrade');
    } finally {
      await gw.stop();
      await Promise.all([sick.close(), healthy.close()]);
    }
  });

  test('a backend that closes after the request without answering: 502, and the endpoint is ejected', async () => {
    const silent = await startRawBackend((socket) => socket.destroy());
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [ep(silent.port)] } } }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      const got = (await exchange(gw.proxyPort, upgradeRequest('/r'))).toString('latin1');
      assert.match(got, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      assert.match(got, /backend failed during the WebSocket handshake/);
      assert.equal(await metric(gw, /wsgate_upgrades_total\{namespace="default",route="r",result="backend_error",protocol="http\/1\.1"\} (\d+)/), '1');
      assert.equal(await metric(gw, /wsgate_endpoint_ejections_total\{namespace="default",route="r"\} (\d+)/), '1');
    } finally {
      await gw.stop();
      await silent.close();
    }
  });

  test('a backend that answers with something that is not HTTP: 502', async () => {
    const garbage = await startRawBackend((socket) => socket.write('SSH-2.0-OpenSSH\r\n\r\n'));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [ep(garbage.port)] } } }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      assert.match((await exchange(gw.proxyPort, upgradeRequest('/r'))).toString('latin1'), /^HTTP\/1\.1 502 /);
    } finally {
      await gw.stop();
      await garbage.close();
    }
  });
});

describe('what the upgrade exchange checks', () => {
  let backend: RawBackend;
  let gw: WsgateChild;
  /** How the backend answers each connection, by the request's path. */
  const answers: Record<string, (socket: net.Socket, head: string) => void> = {
    '/ok': (socket, head) => socket.write(accept101(head)),
    // Accepts the connection, reads the request, never answers.
    '/silent': () => {},
    '/wrong-accept': (socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'),
    '/no-accept': (socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
  };

  before(async () => {
    backend = await startRawBackend((socket, head) => {
      const target = /^GET (\S+) /.exec(head)?.[1] ?? '';
      answers[target]?.(socket, head);
    });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(
      file,
      Object.keys(answers).map((p) => ({
        name: p.slice(1),
        // A short bound, far below the 10 s default and the client's own 10 s wait below.
        spec: { match: { path: p }, backend: { endpoints: [ep(backend.port)] }, timeouts: { upgrade: '300ms' } },
      })),
    );
    gw = await startWsgate(['standalone', '--config', file]);
  });
  after(async () => {
    await gw.stop();
    await backend.close();
  });

  test('an upgrade with a body (Content-Length, Transfer-Encoding) gets 400 and never reaches a backend; Content-Length: 0 passes', async () => {
    const before = backend.received.length;
    const bodies = [
      upgradeRequest('/ok', { 'Content-Length': '5' }) + 'hello',
      upgradeRequest('/ok', { 'Transfer-Encoding': 'chunked' }) + '5\r\nhello\r\n0\r\n\r\n',
      upgradeRequest('/ok', { 'Transfer-Encoding': 'identity' }),
    ];
    for (const request of bodies) {
      const got = (await exchange(gw.proxyPort, request)).toString('latin1');
      assert.match(got, /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(request));
      assert.match(got, /must not have a body/);
    }
    assert.equal(backend.received.length, before, 'the backend saw no connection');
    assert.equal(await metric(gw, /wsgate_upgrades_total\{namespace="",route="",result="bad_request",protocol="http\/1\.1"\} (\d+)/), String(bodies.length));
    assert.match(await headOf(gw.proxyPort, upgradeRequest('/ok', { 'Content-Length': '0' })), /^HTTP\/1\.1 101 /);
    assert.equal(backend.received.length, before + 1);
  });

  test('a backend that accepts and never answers: 504 after timeouts.upgrade, its socket closed, the endpoint ejected, result="timeout"', async () => {
    const before = backend.received.length;
    const got = (await exchange(gw.proxyPort, upgradeRequest('/silent'), 5000)).toString('latin1');
    assert.match(got, /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    assert.match(got, /backend did not answer the WebSocket upgrade in time/);
    assert.equal(backend.received.length, before + 1, 'the request reached the backend');
    await eventually('wsgate closed the backend connection', () => backend.open() === 0);
    assert.equal(await metric(gw, /wsgate_upgrades_total\{namespace="default",route="silent",result="timeout",protocol="http\/1\.1"\} (\d+)/), '1');
    assert.equal(await metric(gw, /wsgate_endpoint_ejections_total\{namespace="default",route="silent"\} (\d+)/), '1');
    const log = await eventually('the warning logged', () => gw.stderr().split('\n').find((l) => l.includes('no answer to the upgrade request within 300 ms')));
    assert.match(log, /"result":"timeout"/);
  });

  for (const [route, what] of [['/wrong-accept', 'the Accept of another key'], ['/no-accept', 'no Sec-WebSocket-Accept']] as const) {
    test(`a 101 with ${what}: 502, both sockets closed, nothing of the client reaches the backend after its request`, async () => {
      const before = backend.received.length;
      const client = net.connect({ host: '127.0.0.1', port: gw.proxyPort });
      client.on('error', () => {});
      const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      const frame = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]);
      // The client's first frame rides in the same write as its request head, as browsers may do.
      client.write(Buffer.concat([Buffer.from(upgradeRequest(route, { 'Sec-WebSocket-Key': 'AQIDBAUGBwgJCgsMDQ4PEA==' }), 'latin1'), frame]));
      const got = await readUntil(client, (all) => all.includes('\r\n\r\n'));
      assert.match(got.toString('latin1'), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      assert.ok(!got.toString('latin1').includes('101'), 'nothing of the 101 reached the client');
      // One more byte after the answer: it must not reach the backend either.
      client.write(Buffer.from([0x88]));
      await clientClosed;
      await eventually('wsgate closed the backend connection', () => backend.open() === 0);
      assert.equal(backend.received.length, before + 1);
      const seen = backend.received.at(-1)!.toString('latin1');
      assert.equal(seen.length, seen.indexOf('\r\n\r\n') + 4, `the backend saw the request head only: ${JSON.stringify(seen)}`);
      const name = route.slice(1);
      assert.equal(await metric(gw, new RegExp(`wsgate_upgrades_total\\{namespace="default",route="${name}",result="backend_error",protocol="http/1\\.1"\\} (\\d+)`)), '1');
    });
  }
});

describe('an upgrade pipelined behind a plain request', () => {
  let backend: RawBackend;
  let gw: WsgateChild;
  /** Releases the held plain responses (the test decides when the plain request is answered). */
  const held: Array<() => void> = [];

  before(async () => {
    backend = await startRawBackend((socket, head) => {
      if (/^GET \/ws /.test(head)) return void socket.write(accept101(head));
      // Connection: close: every plain request gets a connection (and an answer) of its own.
      held.push(() => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nheld'));
    });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/{rest}' }, backend: { endpoints: [ep(backend.port)] }, http: { methods: ['GET'] } } }]);
    gw = await startWsgate(['standalone', '--config', file]);
  });
  after(async () => {
    await gw.stop();
    await backend.close();
  });

  for (const [what, upgrade, answer] of [
    ['a 101', upgradeRequest('/ws'), /^HTTP\/1\.1 101 /],
    ['a refusal', upgradeRequest('/ws#x'), /^HTTP\/1\.1 400 /],
  ] as const) {
    test(`${what} waits for the plain response before it: the client reads them in request order, nothing of the plain response inside the tunnel`, async () => {
      const upgradesSeen = () => backend.received.filter((r) => r.toString('latin1').startsWith('GET /ws ')).length;
      const upgradesBefore = upgradesSeen();
      const client = net.connect({ host: '127.0.0.1', port: gw.proxyPort });
      client.on('error', () => {});
      try {
        const waiting = gw.waitForLog(/upgrade waits for the responses before it on its connection/);
        // One write: Node parses both heads at once and emits the upgrade with the GET unanswered.
        client.write('GET /held HTTP/1.1\r\nHost: gw.test\r\n\r\n' + upgrade);
        await eventually('the plain request reached the backend', () => held.length === 1);
        await waiting;
        assert.equal(upgradesSeen(), upgradesBefore, 'the upgrade waits');
        held.shift()!();
        const got = (await readUntil(client, (all) => /\r\n\r\nheld(HTTP\/1\.1 \d{3} [^]*\r\n\r\n)/.test(all.toString('latin1')))).toString('latin1');
        const second = got.slice(got.indexOf('\r\n\r\nheld') + 8);
        assert.match(got, /^HTTP\/1\.1 200 OK\r\n/, 'the plain response comes first');
        assert.match(second, answer);
      } finally {
        client.destroy();
        for (const release of held.splice(0)) release();
      }
    });
  }
});

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('a backend connection that dies', () => {
  test('the backend process is killed: the client gets a 1011 close frame, counted as code 1011', async () => {
    const script = `import { startEchoServer } from ${JSON.stringify(path.join(repoRoot, 'dist/examples/echo-server.js'))};
      const s = await startEchoServer({ name: 'doomed' }); process.stdout.write(s.port + '\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', () => reject(new Error('backend exited early')));
    });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [ep(port)] } } }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      const ws = new WebSocket(`${gw.url}/r`);
      const messages: string[] = [];
      ws.on('message', (d) => messages.push(d.toString()));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const done = closed(ws);
      ws.send('before');
      await eventually('the echo', () => messages.includes('before'));
      child.kill('SIGKILL');
      await exited;
      assert.deepEqual(await done, { code: 1011, reason: 'backend connection lost' });
      await eventually('the close counted', () => metric(gw, /wsgate_closes_total\{namespace="default",route="r",code="1011"\} (1)/));
    } finally {
      child.kill('SIGKILL');
      await gw.stop();
    }
  });

  test('a backend that goes away after its 101 without a single frame: 1014; in the middle of a frame: no close frame (1006)', async () => {
    // First connection: 101, then FIN. Second: 101, half a frame, then FIN.
    const backend = await startRawBackend((socket, head, i) => {
      if (i === 0) {
        socket.end(accept101(head));
      } else {
        socket.write(accept101(head) + '\x82\x7e\x01\x00partial', 'latin1', () => socket.end());
      }
    });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [ep(backend.port)] } } }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      const first = new WebSocket(`${gw.url}/r`);
      first.on('error', () => {});
      assert.deepEqual(await closed(first), { code: 1014, reason: 'backend went away before answering' });
      const second = new WebSocket(`${gw.url}/r`);
      second.on('error', () => {});
      assert.equal((await closed(second)).code, 1006);
      await eventually('both closes counted', async () =>
        (await metric(gw, /wsgate_closes_total\{namespace="default",route="r",code="1014"\} (1)/)) &&
        (await metric(gw, /wsgate_closes_total\{namespace="default",route="r",code="1006"\} (1)/)));
    } finally {
      await gw.stop();
      await backend.close();
    }
  });
});
