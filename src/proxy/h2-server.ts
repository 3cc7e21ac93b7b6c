// The HTTP/2 edge: one Http2Server per listener, never listening itself: the TLS listener hands
// it the connections that negotiated `h2` by ALPN (tls-listener.ts), and with --h2c the plain
// listener those that open with the HTTP/2 preface (h2c-detect.ts). Each session advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441) and gets the limits below: what one client
// connection may cost is bounded by nghttp2 and Node (concurrent streams, header list size and
// pairs, invalid frames, refused streams, RST_STREAM rate, SETTINGS entries, unanswered PINGs,
// session memory), so floods (rapid reset CVE-2023-44487, CONTINUATION CVE-2024-27316, SETTINGS,
// PING and empty-frame floods) end that connection instead of growing wsgate.

import http2 from 'node:http2';
import type net from 'node:net';
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
import { type H2SessionTimeouts, watchSession, watchStream } from './h2-session-deadlines.js';
import type { H2Sessions } from './h2-sessions.js';
import type { H2StreamKind, ProxyObserver } from './observer.js';

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

/** What the HTTP/2 servers of one proxy share. */
export interface H2ServerParts {
  readonly limits: H2Limits;
  readonly timeouts: H2SessionTimeouts;
  /** The open sessions of every listener (GOAWAY on shutdown). */
  readonly sessions: H2Sessions;
  /** Counts sessions and streams (the wsgate_h2_* gauges). */
  readonly observer: ProxyObserver;
  readonly log: Logger;
}

/** An extended CONNECT with `:protocol websocket` (RFC 8441) carries a WebSocket. */
export function streamKind(headers: http2.IncomingHttpHeaders): H2StreamKind {
  return headers[':method'] === 'CONNECT' && headers[':protocol'] === 'websocket' ? 'websocket' : 'request';
}

/**
 * An Http2Server whose streams go to `onStream`, its sessions tracked and bounded in time while
 * they have no stream (`parts.timeouts`), sessions and streams counted. Errors of sessions and
 * streams are logged, never thrown.
 */
export function createH2Server(parts: H2ServerParts, onStream: StreamHandler): http2.Http2Server {
  const { observer, log } = parts;
  const server = http2.createServer(h2ServerOptions(parts.limits));
  // The plain listener's sockets (--h2c) are half-open (http.Server's allowHalfOpen): a session
  // on one would outlive its client's FIN, with its streams, forever. It ends with the client
  // (on every socket handed over, whichever listener it came from).
  server.prependListener('connection', (socket: net.Socket) => {
    socket.allowHalfOpen = false;
  });
  server.on('session', (session: http2.ServerHttp2Session) => {
    parts.sessions.add(session);
    watchSession(session, parts.timeouts);
    observer.h2Session(1);
    session.once('close', () => observer.h2Session(-1));
  });
  // A session nghttp2 or Node ended for the client's protocol errors or floods: worth a line.
  server.on('sessionError', (err: NodeJS.ErrnoException, session: http2.ServerHttp2Session) =>
    log.info({ client: session.socket?.remoteAddress, code: err.code, err: err.message }, 'HTTP/2 connection closed for a protocol error'),
  );
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    stream.on('error', onStreamError);
    watchStream(stream);
    const kind = streamKind(headers);
    observer.h2Stream(kind, 1);
    stream.once('close', () => observer.h2Stream(kind, -1));
    onStream(stream, headers, rawHeaders);
  });
  return server;
}

// Shared listener: a stream's error (the client reset it, the session went away) is the stream's end, not the process's.
function onStreamError(): void {}
