// The benchmark's floor for plain HTTP requests on Node.js (issue 25): the least an HTTP reverse
// proxy on Node's `http2` and `http` modules can do, with none of wsgate's work. One TLS listener
// (http2.createSecureServer, ALPN h2 and http/1.1, the run's certificate); each request is sent
// to the next backend (round robin) with http.request over a keep-alive agent as large as
// wsgate's (256 sockets, 256 idle), request headers copied minus hop-by-hop and h2
// pseudo-headers, the answer's status and headers copied minus the connection-specific ones,
// bodies piped both ways. No routing, limits, headers added, metrics or logs.
// It is measured beside wsgate-tls in the same rounds (the `requests` scenario), so
// "wsgate vs bare Node" says how much of wsgate's cost per request is its own.
//
// Usage: node dist/bench/node-relay-tls.js PORT CERT KEY BACKEND_PORT...
//   (listens on 127.0.0.1:PORT; 0 = any) -> prints {"port":N} once listening.

import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

const [portArg, certFile, keyFile, ...backendArgs] = process.argv.slice(2);
const port = Number(portArg);
const backends = backendArgs.map(Number);
if (!Number.isInteger(port) || !certFile || !keyFile || backends.length === 0 || backends.some((p) => !Number.isInteger(p))) {
  process.stderr.write('usage: node-relay-tls PORT CERT KEY BACKEND_PORT...\n');
  process.exit(2);
}
let next = 0;

const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' });

/** Request headers that belong to one hop (RFC 9110 7.6.1) or to h2 alone; h2's pseudo-headers are dropped by their colon. */
const REQUEST_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'trailer', 'http2-settings', 'host']);
/** Answer headers an h2 response must not carry (Node's http2 throws on them) and HTTP/1.1's hop-by-hop ones. */
const RESPONSE_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer']);

// The compatibility API gives h2 and HTTP/1.1 requests the same shape; typed as HTTP/1.1's here.
function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers: http.OutgoingHttpHeaders = {};
  const inHeaders = req.headers as http.IncomingHttpHeaders;
  for (const name in inHeaders) {
    if (name.charCodeAt(0) !== 58 /* ':' */ && !REQUEST_HOP.has(name)) headers[name] = inHeaders[name];
  }
  headers.host = (inHeaders[':authority'] as string | undefined) ?? inHeaders.host;
  const upstream = http.request({ host: '127.0.0.1', port: backends[next++ % backends.length], method: req.method, path: req.url, headers, agent }, (answer) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const name in answer.headers) if (!RESPONSE_HOP.has(name)) out[name] = answer.headers[name];
    res.writeHead(answer.statusCode ?? 502, out);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
  // A client that goes away before the answer is complete takes the backend request with it.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

const server = http2.createSecureServer(
  { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'] },
  onRequest as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
);
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
