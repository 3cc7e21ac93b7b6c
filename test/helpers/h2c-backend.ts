// An HTTP/2-only backend (http2.createServer without allowHTTP1): every request that reaches it
// came over h2c. It records its sessions and streams; the path (after wsgate's rewrite) picks
// its behaviour: /v1/hello (or /) answers its request line as JSON, /v1/echo streams the body
// back as it arrives, /v1/trailers ends with a trailer field, /v1/hints sends a 103 first, /v1/hold sends a first chunk and waits, /v1/silent never answers, /v1/reset-mid resets after a
// chunk, anything else is reset before any response.

import http2 from 'node:http2';
import type net from 'node:net';

/** The Link of /v1/hints's 103. */
export const HINT_LINK = '</style.css>; rel=preload; as=style';

export interface H2cBackend {
  readonly port: number;
  readonly sessions: http2.ServerHttp2Session[];
  readonly streams: SeenStream[];
  close(): Promise<void>;
}

export interface SeenStream {
  readonly headers: http2.IncomingHttpHeaders;
  /** Resolves with the stream's RST_STREAM code (0: closed cleanly) when it closes. */
  readonly closed: Promise<number>;
  /** Whether the request body ended (END_STREAM) when the stream closed; read after `closed`. */
  bodyEnded: boolean;
}

/** Starts it on 127.0.0.1, port 0. */
export async function startH2cBackend(): Promise<H2cBackend> {
  const server = http2.createServer();
  const sessions: http2.ServerHttp2Session[] = [];
  const streams: SeenStream[] = [];
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (stream, headers) => {
    const closed = new Promise<number>((resolve) => stream.once('close', () => resolve(stream.rstCode ?? 0)));
    const seen: SeenStream = { headers, closed, bodyEnded: false };
    stream.once('end', () => (seen.bodyEnded = true));
    streams.push(seen);
    stream.on('error', () => {});
    const p = String(headers[':path']);
    if (p.startsWith('/v1/hello') || p === '/') {
      const { ':method': method, ':path': target, ':authority': authority } = headers;
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-backend': 'h2c' });
      stream.end(JSON.stringify({ method, target, authority }));
    } else if (p.startsWith('/v1/echo')) {
      // Each chunk goes back as it arrives: the client sees its first bytes before it ends.
      stream.respond({ ':status': 200 });
      stream.pipe(stream);
    } else if (p.startsWith('/v1/trailers')) {
      stream.respond({ ':status': 200 }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'c0ffee' }));
      stream.end('body with trailers\n');
    } else if (p.startsWith('/v1/hold')) {
      stream.respond({ ':status': 200 });
      stream.write('first\n');
    } else if (p.startsWith('/v1/hints')) {
      // An interim 103 with a hint (HTTP/2 has no connection-specific fields to send), then 200 "ok".
      stream.additionalHeaders({ ':status': 103, link: HINT_LINK, 'x-hint': 'early' });
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('ok');
    } else if (p.startsWith('/v1/silent')) {
      // Never answers: the stream stays open until the client gives up on it.
    } else if (p.startsWith('/v1/reset-mid')) {
      stream.respond({ ':status': 200 });
      // destroy(err): RST_STREAM INTERNAL_ERROR at once (close(code) would end the stream first).
      stream.write('partial\n', () => stream.destroy(new Error('backend cut its response')));
    } else stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    sessions,
    streams,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

