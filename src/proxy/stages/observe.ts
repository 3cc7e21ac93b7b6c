// observe: what the metrics and the access log (ProxyObserver) learn of a request. An upgrade
// is observed when it is refused (here) or when its exchange ends (upgrade-exchange.ts,
// backend-handshake.ts); a plain request when its response closes, by its entry point, which
// knows what its transport counted.

import type { RequestContext } from '../../pipeline/context.js';
import type { Refusal } from '../../pipeline/stage.js';
import type { ProxyObserver } from '../observer.js';

export function observeRefusal(observer: ProxyObserver, ctx: RequestContext, refusal: Refusal): void {
  if (ctx.kind === 'upgrade') observer.upgrade(ctx.route ?? null, refusal.result, (performance.now() - ctx.started) / 1000, ctx.protocol);
}

/** A plain request whose response closed: `status` as answered (499 when the client left first). */
export function observeRequest(observer: ProxyObserver, ctx: RequestContext, status: number, bytesIn: number, bytesOut: number): void {
  observer.httpRequest({
    route: ctx.route ?? null,
    protocol: ctx.protocol,
    method: ctx.req.method ?? '',
    status,
    seconds: (performance.now() - ctx.started) / 1000,
    endpointId: ctx.endpoint?.id,
    client: ctx.client,
    // Before admission (a 404, a 421) the connection's certificate: set only on a listener that verifies it for every route.
    ...((ctx.clientCertificate ?? ctx.tls?.clientCertificate) ? { clientCert: (ctx.clientCertificate ?? ctx.tls?.clientCertificate)!.subject } : {}),
    requestId: ctx.requestId,
    path: ctx.originalPath,
    bytesIn,
    bytesOut,
  });
}
