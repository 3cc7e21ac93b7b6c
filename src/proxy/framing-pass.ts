// Makes http-proxy-3's web() forward a request with the framing wsgate decided, and nothing
// else: its `deleteLength` pass (Content-Length: 0 on DELETE and OPTIONS without one, and
// Transfer-Encoding dropped, while the body is still piped: the body would become a second
// request) is removed, and a pass of wsgate's runs last before `stream` (which copies
// req.headers into the backend request), so whatever ran before it, the backend request
// carries exactly wsgate's Content-Length or Transfer-Encoding.

import type http from 'node:http';
import type { ProxyServer } from 'http-proxy-3';
import { writeFraming, type BodyFraming } from './request-framing.js';

type WebPass = (req: http.IncomingMessage, res: http.ServerResponse, ...rest: unknown[]) => boolean | void;

/** The pass of http-proxy-3 that rewrites framing behind wsgate's back. */
const DELETE_LENGTH = 'deleteLength';
/** The pass that sends the request; wsgate's framing pass goes right before it. */
const STREAM = 'stream';
export const FRAMING_PASS = 'wsgateFraming';

/** The web passes in the order web() runs them (webPasses is private in http-proxy-3's types). */
export function webPasses(proxy: ProxyServer): WebPass[] {
  return (proxy as unknown as { webPasses: WebPass[] }).webPasses;
}

/**
 * Installs the framing on `proxy`. `framingOf` gives the framing of a request wsgate is
 * forwarding; a request without one is not sent (its response is destroyed): nothing leaves
 * unframed. Throws when http-proxy-3 no longer has the passes this relies on (so an upgrade of
 * it cannot silently bring the hazard back) or is told to send through fetch().
 */
export function installFraming(proxy: ProxyServer, framingOf: (req: http.IncomingMessage) => BodyFraming | undefined): void {
  // http-proxy-3 sends through fetch() instead of http.request when this is set; that path
  // drops GET and HEAD bodies and streams others with its own framing.
  if (process.env.FORCE_FETCH_PATH === 'true') throw new Error('FORCE_FETCH_PATH=true: http-proxy-3 would not send requests with the framing wsgate writes; unset it');
  const passes = webPasses(proxy);
  const at = passes.findIndex((p) => p.name === DELETE_LENGTH);
  if (at === -1 || !passes.some((p) => p.name === STREAM)) throw new Error(`http-proxy-3 web passes changed: ${passes.map((p) => p.name).join(', ')}`);
  passes.splice(at, 1);
  const framing = {
    [FRAMING_PASS](req: http.IncomingMessage, res: http.ServerResponse): boolean {
      const f = framingOf(req);
      if (!f) {
        res.destroy();
        // A pass returning true ends web() before `stream`.
        return true;
      }
      writeFraming(req.headers, f, req.method ?? 'GET');
      return false;
    },
  }[FRAMING_PASS]!;
  proxy.before('web', STREAM, framing as never);
}
