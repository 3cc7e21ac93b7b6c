// --proxy-protocol: on a listening server (the plain listener, the TLS listener, a Gateway
// socket), a connection from a balancer inside the configured CIDRs must begin with a PROXY
// header (v1 or v2, src/net/proxy-protocol.ts); anyone else must not send one. The header is
// read off the raw socket before the server sees the connection (before TLS on a TLS listener);
// the client it carries becomes the socket's remoteAddress/remotePort/remoteFamily, so every
// stage that reads the peer (client identity, per-client limits, X-Forwarded-For, Forwarded,
// sourceIP hashing, access log) reads the client, not the balancer. The bytes after the header
// are given back to the stream for the server. States of a connection here:
//   reading  -> handed over (header complete, or no signature from a peer outside the CIDRs)
//            -> refused (destroyed): a malformed header, a header from a peer outside the
//               CIDRs, no header from one inside, or nothing decided within the handshake timeout.

import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { matchSignature, parseProxyHeader, type ProxiedAddress } from '../net/proxy-protocol.js';
import { DeadlineSweep } from './deadline-sweep.js';
import { readFirstBytes } from './first-bytes.js';

/** A set of addresses (security/client-address.ts TrustedProxies is one). */
export interface AddressSet {
  contains(address: string): boolean;
}

export interface ProxyProtocolOptions {
  /** The balancers that must send a header (--proxy-protocol). */
  senders: AddressSet;
  /** The header must be complete within this after accept (the handshake timeout). */
  timeoutMs: number;
  log: Logger;
  /** Told each refusal, after the connection is destroyed (wsgate_proxy_protocol_refused_total). */
  onRefused?: (why: ProxyHeaderRefusal) => void;
}

/**
 * Why a connection was refused: `malformed` (a header from a balancer that does not parse),
 * `missing` (a balancer's first bytes are no header, or it ended before one), `not_allowed` (a
 * header from a peer outside the CIDRs), `timeout` (no decision within the handshake timeout).
 */
export const PROXY_HEADER_REFUSALS = ['malformed', 'missing', 'not_allowed', 'timeout'] as const;
export type ProxyHeaderRefusal = (typeof PROXY_HEADER_REFUSALS)[number];

const kProxied = Symbol('wsgate.proxiedPeer');
type Tagged = net.Socket & { [kProxied]?: ProxiedAddress };

/**
 * Makes `server` read a PROXY header from each connection it accepts before its own
 * 'connection' listeners (the HTTP parser, the TLS handshake, the handshake timeout) see the
 * socket. Call it after those listeners are attached: they are taken off and called on
 * hand-over. A TLSSocket emitted into an HTTP server by a TLS listener has had its raw socket
 * read already and is handed over at once.
 */
export function requireProxyHeaders(server: net.Server, opts: ProxyProtocolOptions): void {
  const deliver = server.listeners('connection') as Array<(socket: net.Socket) => void>;
  server.removeAllListeners('connection');
  const handOver = (socket: net.Socket) => {
    for (const listener of deliver) listener.call(server, socket);
  };
  const refuse = (socket: net.Socket, why: ProxyHeaderRefusal, detail: string) => {
    opts.log.debug({ peer: socket.remoteAddress, refusal: why, detail }, 'connection refused: PROXY protocol');
    socket.destroy();
    opts.onRefused?.(why);
  };
  const deadline = new DeadlineSweep<net.Socket>(opts.timeoutMs, (socket) => refuse(socket, 'timeout', 'no PROXY header decision within the handshake timeout'));
  server.once('close', () => deadline.stop());

  server.on('connection', (socket: net.Socket) => {
    if (socket instanceof tls.TLSSocket) return handOver(socket);
    const mustSend = opts.senders.contains(socket.remoteAddress ?? '');
    readFirstBytes<Exclude<Decision, { state: 'waiting' }>>(socket, deadline, {
      decide: (received) => {
        const decision = mustSend ? fromSender(received) : fromOther(received);
        return decision.state === 'waiting' ? undefined : decision;
      },
      decided: (s, decision) => {
        if (decision.state === 'refused') return refuse(s, decision.why, decision.detail);
        if (decision.source) adoptPeer(s, decision.source);
        // Paused, so the bytes given back are read first by whoever takes the socket: the HTTP
        // parser reads them as 'data' once resumed (before the handle's next read), a TLS server
        // reads what is buffered and then owns the handle (the raw socket is not resumed).
        s.pause();
        if (decision.rest.length > 0) s.unshift(decision.rest);
        handOver(s);
        if (!(server instanceof tls.Server)) s.resume();
      },
      ended: (s) => refuse(s, mustSend ? 'missing' : 'not_allowed', 'connection ended before a PROXY header decision'),
    });
  });
}

type Decision =
  | { state: 'waiting' }
  | { state: 'refused'; why: ProxyHeaderRefusal; detail: string }
  | { state: 'accepted'; source: ProxiedAddress | undefined; rest: Buffer };

/** A balancer in the CIDRs: its header, complete and valid, comes first. */
function fromSender(received: Buffer): Decision {
  const header = parseProxyHeader(received);
  if (header.state === 'incomplete') return { state: 'waiting' };
  if (header.state === 'invalid') {
    const why = matchSignature(received) === 'no' ? 'missing' : 'malformed';
    return { state: 'refused', why, detail: header.reason };
  }
  return { state: 'accepted', source: header.source, rest: received.subarray(header.length) };
}

/** Anyone else: whatever it sends, as long as it is not a PROXY header (which it could forge). */
function fromOther(received: Buffer): Decision {
  const match = matchSignature(received);
  if (match === 'maybe') return { state: 'waiting' };
  if (match === 'yes') return { state: 'refused', why: 'not_allowed', detail: 'a PROXY header from a peer outside --proxy-protocol' };
  return { state: 'accepted', source: undefined, rest: received };
}

/** The carried client as the socket's peer (own properties shadow net.Socket's getters). */
function adoptPeer(socket: Tagged, source: ProxiedAddress): void {
  socket[kProxied] = source;
  Object.defineProperties(socket, {
    remoteAddress: { value: source.address, configurable: true },
    remotePort: { value: source.port, configurable: true },
    remoteFamily: { value: source.family, configurable: true },
  });
}

/**
 * A TLS listener's decrypted socket takes the client its raw socket carried. Node keeps the raw
 * socket as `_parent` of a server-side TLSSocket; the TLSSocket's own peer getters read the TCP
 * handle, which knows only the balancer.
 */
export function inheritProxiedPeer(socket: tls.TLSSocket): void {
  const parent = (socket as tls.TLSSocket & { _parent?: Tagged | null })._parent;
  const source = parent?.[kProxied];
  if (source) adoptPeer(socket as Tagged, source);
}
