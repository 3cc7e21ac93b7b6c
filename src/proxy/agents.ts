// Keep-alive connection pools for plain HTTP, one per endpoint (and TLS settings), bounded.
// h2c backends get an HTTP/2 session per endpoint instead (h2c-sessions.ts). Upgrades never use them: a WebSocket takes its backend connection for good.

import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import type { Endpoint } from '../routing/types.js';
import { identityCheckKey } from '../routing/backend-verification.js';
import { H2cSessions } from './h2c-sessions.js';

/** Requests in flight per endpoint before more wait in the agent's queue. */
const MAX_SOCKETS = 256;
/**
 * Idle keep-alive connections kept per endpoint: as many as may be in flight. A smaller bound
 * closed the connections of every burst above it as they came back and opened them again on the
 * next (issue 25: 50 clients kept 368 connects per 5,000 requests going, each a socket, a TCP
 * handshake and Node's socket setup); an idle one costs a descriptor until the backend's own
 * keep-alive timeout closes it.
 */
const MAX_FREE_SOCKETS = MAX_SOCKETS;

export class BackendAgents {
  private readonly agents = new Map<string, http.Agent>();
  /** HTTP/2 sessions to h2c backends, one per endpoint. */
  readonly h2c = new H2cSessions();

  for(endpoint: Endpoint, tlsOptions: tls.ConnectionOptions | undefined): http.Agent {
    // Routes with other TLS settings to the same address get their own pool.
    const key = tlsOptions ? `${endpoint.id} tls ${tlsKey(tlsOptions)}` : endpoint.id;
    let agent = this.agents.get(key);
    if (!agent) {
      const opts = { keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_FREE_SOCKETS, scheduling: 'lifo' as const };
      agent = tlsOptions ? new https.Agent({ ...opts, ...tlsOptions }) : new http.Agent(opts);
      this.agents.set(key, agent);
    }
    return agent;
  }

  /**
   * Retires the pools of endpoints no longer in the table: their idle connections close, and
   * requests still in flight (a Server-Sent Events stream, say) finish on their own socket.
   */
  retire(endpointIds: readonly string[]): void {
    this.h2c.retire(endpointIds);
    if (endpointIds.length === 0 || this.agents.size === 0) return;
    const gone = new Set(endpointIds);
    for (const [key, agent] of this.agents) {
      if (!gone.has(key.split(' ')[0]!)) continue;
      this.agents.delete(key);
      retire(agent);
    }
  }

  closeAll(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.h2c.closeAll();
  }
}

function retire(agent: http.Agent): void {
  // Node's agent destroys a socket handed back when keepAlive is off, instead of pooling it.
  (agent as http.Agent & { keepAlive: boolean }).keepAlive = false;
  for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
}

function tlsKey(o: tls.ConnectionOptions): string {
  return JSON.stringify([
    o.servername ?? '',
    o.rejectUnauthorized ?? true,
    typeof o.ca === 'string' ? o.ca : Array.isArray(o.ca) ? o.ca.map(String) : String(o.ca ?? ''),
    // A BackendTLSPolicy's subjectAltNames: connections verified for one list never serve another.
    identityCheckKey(o.checkServerIdentity),
    // The client certificate presented (a Gateway's spec.tls.backend): a pool per certificate.
    typeof o.cert === 'string' ? o.cert : '',
  ]);
}
