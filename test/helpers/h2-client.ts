// A small HTTP/2 client over Node's http2 for tests: one request on a session, its whole answer.

import http2 from 'node:http2';

export interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | undefined;
  /** The RST_STREAM code the stream ended with (0: NO_ERROR, or ended cleanly). */
  rstCode: number;
  /** The stream ended with END_STREAM (a complete response), not a reset. */
  complete: boolean;
  /** 100 Continue was received before the response. */
  continued: boolean;
}

/** Opens an h2 session over TLS (ALPN h2) to 127.0.0.1:`port`, trusting `ca`. */
export function h2Connect(port: number, ca: string, servername: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername });
    session.once('remoteSettings', () => {
      session.off('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}

/** Opens an h2c session (prior knowledge, no TLS) to 127.0.0.1:`port`. */
export function h2cConnect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.once('remoteSettings', () => {
      session.off('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}

/** One request; resolves once the stream closed (complete or reset). `body`: sent and ended. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<H2Answer> {
  return new Promise((resolve) => {
    const stream = session.request(headers, { endStream: body === undefined });
    const answer: H2Answer = { status: 0, headers: {}, body: Buffer.alloc(0), trailers: undefined, rstCode: 0, complete: false, continued: false };
    const chunks: Buffer[] = [];
    stream.on('continue', () => (answer.continued = true));
    stream.on('response', (h) => {
      answer.headers = h;
      answer.status = Number(h[':status']);
    });
    stream.on('trailers', (t) => (answer.trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => (answer.complete = true));
    stream.on('error', () => {});
    stream.on('close', () => {
      answer.body = Buffer.concat(chunks);
      answer.rstCode = stream.rstCode ?? 0;
      resolve(answer);
    });
    if (body !== undefined) stream.end(body);
  });
}

export function closeSession(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) return resolve();
    session.close(() => resolve());
  });
}
