// The HTTP/2 edge: one Http2Server per listener, never listening itself: the TLS listener hands
// it the connections that negotiated `h2` by ALPN (tls-listener.ts), and with --h2c the plain
// listener those that open with the HTTP/2 preface (h2c-detect.ts). Each session advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441) and gets the limits below: what one client
// connection may cost is bounded by nghttp2 and Node (concurrent streams, header list size and
// pairs, invalid frames, refused streams, RST_STREAM rate, SETTINGS entries, unanswered PINGs,
// session memory), so floods (rapid reset CVE-2023-44487, CONTINUATION CVE-2024-27316, SETTINGS,
// PING and empty-frame floods) end that connection instead of growing wsgate.

import http2 from 'node:http2';
import type { Logger } from 'pino';
import {
  DEFAULT_H2_MAX_CONCURRENT_STREAMS,
  DEFAULT_H2_MAX_HEADER_PAIRS,
  DEFAULT_H2_MAX_INVALID_FRAMES,
  DEFAULT_H2_MAX_OUTSTANDING_PINGS,
  DEFAULT_H2_MAX_REJECTED_STREAMS,
  DEFAULT_H2_MAX_SESSION_MEMORY_MIB,
  DEFAULT_H2_MAX_SETTINGS,
  DEFAULT_H2_RESET_BURST,
  DEFAULT_H2_RESET_RATE,
  DEFAULT_MAX_HEADER_SIZE,
} from '../api/defaults.js';
import type { H2Sessions } from './h2-sessions.js';

export interface H2Limits {
  readonly maxConcurrentStreams: number;
  /** Bytes of one header list (names, values and 32 per field, RFC 9113 6.5.2); --max-header-size. */
  readonly maxHeaderListSize: number;
  readonly maxHeaderPairs: number;
}

export const DEFAULT_H2_LIMITS: H2Limits = {
  maxConcurrentStreams: DEFAULT_H2_MAX_CONCURRENT_STREAMS,
  maxHeaderListSize: DEFAULT_MAX_HEADER_SIZE,
  maxHeaderPairs: DEFAULT_H2_MAX_HEADER_PAIRS,
};

export type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]) => void;

/** The session options every h2 connection of wsgate gets (exported for the tests that read them). */
export function h2ServerOptions(limits: H2Limits): http2.ServerOptions {
  return {
    settings: {
      enableConnectProtocol: true,
      enablePush: false,
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListSize: limits.maxHeaderListSize,
    },
    maxHeaderListPairs: limits.maxHeaderPairs,
    maxSessionInvalidFrames: DEFAULT_H2_MAX_INVALID_FRAMES,
    maxSessionRejectedStreams: DEFAULT_H2_MAX_REJECTED_STREAMS,
    streamResetBurst: DEFAULT_H2_RESET_BURST,
    streamResetRate: DEFAULT_H2_RESET_RATE,
    maxSettings: DEFAULT_H2_MAX_SETTINGS,
    maxOutstandingPings: DEFAULT_H2_MAX_OUTSTANDING_PINGS,
    maxSessionMemory: DEFAULT_H2_MAX_SESSION_MEMORY_MIB,
  };
}

/**
 * An Http2Server whose streams go to `onStream` and whose sessions are tracked in `sessions`
 * (GOAWAY on shutdown). Errors of sessions and streams are logged, never thrown.
 */
export function createH2Server(limits: H2Limits, sessions: H2Sessions, log: Logger, onStream: StreamHandler): http2.Http2Server {
  const server = http2.createServer(h2ServerOptions(limits));
  server.on('session', (session: http2.ServerHttp2Session) => sessions.add(session));
  // A session nghttp2 or Node ended for the client's protocol errors or floods: worth a line.
  server.on('sessionError', (err: NodeJS.ErrnoException, session: http2.ServerHttp2Session) =>
    log.info({ client: session.socket?.remoteAddress, code: err.code, err: err.message }, 'HTTP/2 connection closed for a protocol error'),
  );
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    stream.on('error', onStreamError);
    onStream(stream, headers, rawHeaders);
  });
  return server;
}

// Shared listener: a stream's error (the client reset it, the session went away) is the stream's end, not the process's.
function onStreamError(): void {}
