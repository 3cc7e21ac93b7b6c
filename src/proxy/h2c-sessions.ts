// HTTP/2 with prior knowledge to backends (appProtocol kubernetes.io/h2c): one client session
// per endpoint, opened on first use and reused by every plain request to it (HTTP/2 multiplexes
// them). A session that closed or received GOAWAY is forgotten, so the next request opens a
// fresh one. Upgrades never use these sessions (upgrade-exchange.ts speaks HTTP/1.1).

import http2 from 'node:http2';
import type { Endpoint } from '../routing/types.js';

/** A session that did not connect within the route's connect timeout (classified as connect_timeout). */
export class H2cConnectTimeoutError extends Error {
  readonly code = 'ECONNECT_TIMEOUT';
}

export class H2cSessions {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();

  /** The endpoint's open session, or a new one; `connectMs` > 0 bounds how long it may take to connect. */
  for(endpoint: Endpoint, connectMs: number): http2.ClientHttp2Session {
    const open = this.sessions.get(endpoint.id);
    if (open && !open.closed && !open.destroyed) return open;
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    const session = http2.connect(`http://${host}:${endpoint.port}`);
    this.sessions.set(endpoint.id, session);
    const forget = (): void => {
      if (this.sessions.get(endpoint.id) === session) this.sessions.delete(endpoint.id);
    };
    // The streams on the session carry its error to their exchanges; this listener only keeps
    // an 'error' event from being thrown.
    session.on('error', forget);
    session.once('close', forget);
    // The backend takes no new streams on it: the next request opens another session.
    session.once('goaway', forget);
    if (connectMs > 0) {
      const timer = setTimeout(() => session.destroy(new H2cConnectTimeoutError(`h2c session to ${endpoint.id} not connected within ${connectMs} ms`)), connectMs);
      session.once('connect', () => clearTimeout(timer));
      session.once('close', () => clearTimeout(timer));
    }
    return session;
  }

  /** Endpoints no longer in the table: their sessions finish the streams in flight, then close. */
  retire(endpointIds: readonly string[]): void {
    for (const id of endpointIds) {
      const session = this.sessions.get(id);
      if (!session) continue;
      this.sessions.delete(id);
      session.close();
    }
  }

  closeAll(): void {
    for (const session of this.sessions.values()) session.destroy();
    this.sessions.clear();
  }
}
