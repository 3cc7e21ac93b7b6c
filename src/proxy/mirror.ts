// RequestMirror (HTTPRoute filters): a copy of a plain request, as its backend sees it (after the
// header modifiers and URLRewrite), sent to an endpoint of each mirror Service, fire-and-forget:
// the answer is read and dropped, a failure is only logged at debug, and nothing waits for it,
// so a slow or dead mirror never holds up the primary. Only requests without a body are copied:
// a body would have to be held for the mirror or streamed to two peers at the pace of the slower.
// WebSocket upgrades are never mirrored (a second backend would take the other end of a tunnel).
// A mirror Service whose port speaks h2c gets its copy over h2c.

import http from 'node:http';
import type http2 from 'node:http2';
import https from 'node:https';
import type { Logger } from 'pino';
import type { MirrorTarget } from '../routing/gateway-types.js';
import type { Endpoint } from '../routing/types.js';
import type { BackendAgents } from './agents.js';
import { resetStream } from './h2-reset.js';
import { h2cRequestHeaders } from './h2c-head.js';
import type { BodyFraming } from '../pipeline/body-framing.js';

/** A mirrored request that has not answered in this long is abandoned. */
export const MIRROR_TIMEOUT_MS = 10_000;

/** Connection-level headers of the client's hop, not the copy's. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** Whether a request is one mirrors copy: no body. */
export function mirrorable(framing: BodyFraming): boolean {
  return framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0);
}

/**
 * The request's header fields for the copy, an HTTP/1.1 request: without the client hop's
 * connection-level ones, and without the pseudo-header fields (`:method`, `:path`, ...) an
 * HTTP/2 request's headers hold (Node refuses them as HTTP/1.1 field names; method, target and
 * Host are the request's own).
 */
function copiedHeaders(from: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(from)) if (!name.startsWith(':') && !HOP_BY_HOP.includes(name)) headers[name] = value;
  return headers;
}

/**
 * The copy to a mirror Service whose port speaks h2c (appProtocol kubernetes.io/h2c): a stream on
 * the endpoint's session, the one plain requests to it use (h2c-sessions.ts), with the head an
 * h2c backend gets (h2c-head.ts; no body). A copy not answered in time is reset.
 */
function sendOverH2c(req: http.IncomingMessage, endpoint: Endpoint, agents: BackendAgents, log: Logger): void {
  const failed = (err: unknown) => log.debug({ endpoint: endpoint.id, err: String(err) }, 'mirrored request failed');
  let stream: http2.ClientHttp2Stream;
  try {
    const session = agents.h2c.for(endpoint, MIRROR_TIMEOUT_MS);
    stream = session.request(h2cRequestHeaders({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, framing: { kind: 'none' } }), { endStream: true });
  } catch (err) {
    // The session went away between the lookup and the request.
    return failed(err);
  }
  stream.setTimeout(MIRROR_TIMEOUT_MS, () => resetStream(stream, new Error(`no answer within ${MIRROR_TIMEOUT_MS} ms`)));
  stream.once('response', () => stream.resume());
  stream.once('error', failed);
}

export function sendMirrors(req: http.IncomingMessage, mirrors: readonly MirrorTarget[], agents: BackendAgents, random: () => number, log: Logger): void {
  for (const m of mirrors) {
    const target = m.target;
    if (!target || target.eligible.length === 0 || random() * 100 >= m.percent) continue;
    const endpoint = target.eligible[Math.floor(random() * target.eligible.length)]!;
    if (target.protocol === 'h2c') {
      sendOverH2c(req, endpoint, agents, log);
      continue;
    }
    const headers = copiedHeaders(req.headers);
    const copy = (target.tls ? https : http).request({
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers,
      agent: agents.for(endpoint, target.tls),
      timeout: MIRROR_TIMEOUT_MS,
    });
    copy.once('response', (res) => res.resume());
    copy.once('timeout', () => copy.destroy(new Error(`no answer within ${MIRROR_TIMEOUT_MS} ms`)));
    copy.once('error', (err) => log.debug({ endpoint: endpoint.id, err: String(err) }, 'mirrored request failed'));
    copy.end();
  }
}
