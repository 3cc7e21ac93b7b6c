// requireProxyHeaders on real sockets (in process): the bytes after the header reach the HTTP
// parser intact (pipelined requests, a body split across packets, a header split across
// packets), the carried client is req.socket's peer, refusals close, the deadline holds; and a
// Gateway socket (GatewaySocketBinder with proxyProtocol) reads the header too.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { GatewaySocketBinder } from '../../src/proxy/gateway-socket-binder.js';
import { requireProxyHeaders, type ProxyHeaderRefusal, type ProxyProtocolOptions } from '../../src/proxy/proxy-protocol-gate.js';
import { TrustedProxies } from '../../src/security/client-address.js';
import { proxyV1, proxyV2 } from '../helpers/proxy-header.js';

const log = pino({ level: 'silent' });
const options = (cidrs: string[], timeoutMs = 5000): ProxyProtocolOptions => ({ senders: new TrustedProxies(cidrs), timeoutMs, log });

/** Answers each request with "<url> <peer address> <peer port> <body length>". */
function peerServer(): http.Server {
  return http.createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(`${req.url} ${req.socket.remoteAddress} ${req.socket.remotePort} ${n}`));
  });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** Writes each piece in turn (each after the previous one is flushed), half-closes, and returns all the answer bytes (empty: closed unanswered). */
function exchange(port: number, pieces: Array<Buffer | string>): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    // Pieces leave as they are written (no Nagle coalescing), so the server may read them apart.
    socket.setNoDelay(true);
    let out = '';
    socket.on('data', (c: Buffer) => (out += c.toString('latin1')));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => resolve(out));
    const next = (i: number) => {
      if (i === pieces.length) return socket.end();
      socket.write(pieces[i]!, () => setImmediate(() => next(i + 1)));
    };
    socket.once('connect', () => next(0));
  });
}

const bodies = (answer: string) => [...answer.matchAll(/\r\n\r\n(\/\S* [^\r]*?)(?=HTTP\/1\.1|$)/g)].map((m) => m[1]);

describe('requireProxyHeaders', () => {
  let server: http.Server;
  let port: number;

  before(async () => {
    server = peerServer();
    requireProxyHeaders(server, options(['127.0.0.0/8'], 300));
    port = await listen(server);
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('pipelined requests behind the header, in one packet: each answered, the carried client as the peer', async () => {
    const answer = await exchange(port, [Buffer.concat([proxyV1('203.0.113.7', 4242), Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])]);
    assert.deepEqual(bodies(answer), ['/a 203.0.113.7 4242 0', '/b 203.0.113.7 4242 0']);
  });

  test('a header split across packets and a 200 kB body split too: all of it reaches the parser in order', async () => {
    const header = proxyV2({ src: '2001:db8::1', srcPort: 7, tlvs: [{ type: 0x05, value: Buffer.alloc(40, 1) }] });
    const body = Buffer.alloc(200_000, 0x61);
    const answer = await exchange(port, [
      header.subarray(0, 5),
      header.subarray(5, 30),
      Buffer.concat([header.subarray(30), Buffer.from(`POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`), body.subarray(0, 1000)]),
      Buffer.concat([body.subarray(1000), Buffer.from('GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]),
    ]);
    assert.deepEqual(bodies(answer), [`/c 2001:db8::1 7 ${body.length}`, '/d 2001:db8::1 7 0']);
  });

  test('no header, a malformed one, or half of one left waiting past the deadline: closed unanswered', async () => {
    assert.equal(await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']), '');
    assert.equal(await exchange(port, ['PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n']), '');
    // No end, no more bytes: only the deadline (300 ms) closes it.
    const waited = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PROXY TCP4 1.2'));
      socket.on('error', () => socket.destroy());
      socket.on('close', () => resolve('closed'));
    });
    assert.equal(waited, 'closed');
  });
});

describe('requireProxyHeaders: each refusal is reported with its reason (onRefused, the metric\'s source)', () => {
  /** A server that believes `cidrs`, with the refusals it reported. */
  async function reporting(cidrs: string[], timeoutMs = 5000): Promise<{ port: number; refused: ProxyHeaderRefusal[]; stop: () => void }> {
    const refused: ProxyHeaderRefusal[] = [];
    const server = peerServer();
    requireProxyHeaders(server, { ...options(cidrs, timeoutMs), onRefused: (why) => refused.push(why) });
    const port = await listen(server);
    return { port, refused, stop: () => (server.closeAllConnections(), server.close()) };
  }
  const request = 'GET /x HTTP/1.1\r\nHost: x\r\n\r\n';

  test('a balancer: missing (no header; closed before one), malformed (v1 and v2), timeout; an accepted header reports nothing', async () => {
    const s = await reporting(['127.0.0.0/8'], 300);
    try {
      assert.match(await exchange(s.port, [proxyV1('203.0.113.7', 1), request]), /\/x 203\.0\.113\.7 1 0/);
      assert.deepEqual(s.refused, []);
      assert.equal(await exchange(s.port, [request]), '');
      assert.equal(await exchange(s.port, []), '');
      assert.deepEqual(s.refused, ['missing', 'missing']);
      assert.equal(await exchange(s.port, ['PROXY TCP4 1.2.3.4 1.2.3.4 1 99999\r\n', request]), '');
      const badTlv = proxyV2({ tlvs: [{ type: 1, value: Buffer.from('abc') }] });
      badTlv.writeUInt16BE(300, badTlv.length - 5);
      assert.equal(await exchange(s.port, [badTlv, request]), '');
      assert.deepEqual(s.refused.slice(2), ['malformed', 'malformed']);
      // Half a header, then silence: only the deadline (300 ms) decides.
      await new Promise<void>((resolve) => {
        const socket = net.connect(s.port, '127.0.0.1', () => socket.write('PROXY TCP4 1.2'));
        socket.on('error', () => socket.destroy());
        socket.on('close', () => resolve());
      });
      assert.deepEqual(s.refused.slice(4), ['timeout']);
    } finally {
      s.stop();
    }
  });

  test('a peer outside the CIDRs: not_allowed for a v1 or v2 header; served without one', async () => {
    const s = await reporting(['192.0.2.0/24']);
    try {
      assert.equal(await exchange(s.port, [proxyV1('203.0.113.7', 1), request]), '');
      assert.equal(await exchange(s.port, [proxyV2(), request]), '');
      assert.match(await exchange(s.port, [request]), /\/x 127\.0\.0\.1/);
      assert.deepEqual(s.refused, ['not_allowed', 'not_allowed']);
    } finally {
      s.stop();
    }
  });
});

describe('requireProxyHeaders: peers outside the CIDRs', () => {
  test('served as themselves (even a request starting with "P"); a PROXY header from them closes the connection', async () => {
    const server = peerServer();
    requireProxyHeaders(server, options(['192.0.2.0/24']));
    const port = await listen(server);
    try {
      const answer = await exchange(port, ['P', 'OST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok']);
      assert.match(answer, /\/p 127\.0\.0\.1 \d+ 2$/);
      assert.equal(await exchange(port, [proxyV1('203.0.113.7', 1), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n']), '');
      assert.equal(await exchange(port, [proxyV2(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n']), '');
    } finally {
      server.close();
    }
  });
});

describe('Gateway sockets with --proxy-protocol', () => {
  test('a plain Gateway socket reads the header before its server sees the connection', async () => {
    const servers: http.Server[] = [];
    const sockets = new GatewaySocketBinder({
      log,
      serverFor: () => {
        const s = peerServer();
        servers.push(s);
        return s;
      },
      retire: () => {},
      tlsHandshakeTimeoutMs: 5000,
      proxyProtocol: options(['127.0.0.1/32']),
    });
    await sockets.sync([{ key: 'gw-1', address: '127.0.0.1', port: 0, protocol: 'HTTP', certificates: [] }]);
    const port = sockets.address('gw-1')!.port;
    try {
      const answer = await exchange(port, [Buffer.concat([proxyV1('198.51.100.3', 9), Buffer.from('GET /g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])]);
      assert.deepEqual(bodies(answer), ['/g 198.51.100.3 9 0']);
      assert.equal(await exchange(port, ['GET /g HTTP/1.1\r\nHost: x\r\n\r\n']), '');
    } finally {
      await sockets.stopAccepting();
      for (const s of servers) s.closeAllConnections();
    }
  });
});
