// Time bounds of an HTTP/2 session without open streams, the bounds an HTTP/1.1 connection has:
// a session must open its first stream within the handshake timeout (--handshake-timeout, as an
// HTTP/1.1 connection must send its first request head), and a session whose streams have all
// ended is closed after the idle timeout (the HTTP/1.1 listener's keepAliveTimeout). Without
// them a client that opens a session (TLS or h2c) and sends nothing, or only PINGs and SETTINGS,
// holds a connection forever. A session with an open stream (a request in flight, a WebSocket)
// is never closed here. States of a session:
//   awaiting-first-stream --stream--> busy --last stream closed--> idle --stream--> busy
//   awaiting-first-stream | idle --deadline--> closing (GOAWAY NO_ERROR, then the socket ends)
// One timer per session, armed only while it has no streams (sessions are few beside streams).

import http2 from 'node:http2';

export interface H2SessionTimeouts {
  /** Until the first stream; --handshake-timeout. */
  readonly handshakeMs: number;
  /** With no open stream after the first; the HTTP/1.1 listener's keepAliveTimeout. */
  readonly idleMs: number;
}

/** GOAWAY does not end a session whose client never answers it: the socket ends after this. */
const CLOSE_GRACE_MS = 1000;

type SessionState = 'awaiting-first-stream' | 'busy' | 'idle' | 'closing';

class SessionDeadline {
  state: SessionState = 'awaiting-first-stream';
  private streams = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: http2.ServerHttp2Session,
    private readonly timeouts: H2SessionTimeouts,
  ) {
    this.arm(timeouts.handshakeMs);
    session.once('close', () => this.disarm());
  }

  streamOpened(stream: http2.ServerHttp2Stream): void {
    this.streams++;
    this.state = 'busy';
    this.disarm();
    stream.once('close', () => this.streamClosed());
  }

  private streamClosed(): void {
    this.streams--;
    if (this.streams > 0 || this.state === 'closing' || this.session.closed || this.session.destroyed) return;
    this.state = 'idle';
    this.arm(this.timeouts.idleMs);
  }

  private arm(ms: number): void {
    this.disarm();
    if (ms <= 0) return;
    this.timer = setTimeout(() => this.expire(), ms);
    this.timer.unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** GOAWAY (NO_ERROR, no stream accepted), then the session ends; destroyed if the close stalls. */
  private expire(): void {
    this.state = 'closing';
    const session = this.session;
    if (session.closed || session.destroyed) return;
    session.goaway(http2.constants.NGHTTP2_NO_ERROR);
    session.close();
    this.timer = setTimeout(() => session.destroy(), CLOSE_GRACE_MS);
    this.timer.unref();
  }
}

const deadlines = new WeakMap<http2.Http2Session, SessionDeadline>();

/** Starts the handshake deadline of a new session. */
export function watchSession(session: http2.ServerHttp2Session, timeouts: H2SessionTimeouts): void {
  deadlines.set(session, new SessionDeadline(session, timeouts));
}

/** A stream of a watched session opened: the session is busy until its last stream closes. */
export function watchStream(stream: http2.ServerHttp2Stream): void {
  deadlines.get(stream.session!)?.streamOpened(stream);
}

