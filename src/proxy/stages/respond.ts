// respond: what wsgate changes in the backend's answer just before the client gets it: an
// HTTPRoute's response header modifiers (the rule's, then the chosen backendRef's), the CORS
// filter's headers (plain responses only), then the session affinity value (Set-Cookie, or the
// session header of a header-carried sessionPersistence). Run by the exchange when the backend
// has answered.

import type http from 'node:http';
import type { RequestContext } from '../../pipeline/context.js';
import { addCorsHeaders } from '../../routing/cors.js';
import type { EndpointChooser } from '../choose.js';
import { modifyHead, modifyHeaders } from '../gateway-http.js';

/** On an upgrade's 101 head (latin1 bytes): the head to write instead, or the same buffer. */
export function respondToHead(chooser: EndpointChooser, ctx: RequestContext, head: Buffer): Buffer | string {
  const affinity = chooser.affinityHeaderFor(ctx);
  const gw = ctx.route?.gateway;
  const mods = gw ? [gw.responseHeaders, ctx.gatewayBackend?.responseHeaders] : [];
  if (!affinity && !mods.some(Boolean)) return head;
  return modifyHead(head.toString('latin1'), mods, affinity ? [`${affinity.name}: ${affinity.value}`] : []);
}

/** On a plain response's parsed headers, in place. */
export function respondToHeaders(chooser: EndpointChooser, ctx: RequestContext, headers: http.IncomingHttpHeaders): void {
  const gw = ctx.route?.gateway;
  if (gw) {
    modifyHeaders(headers, gw.responseHeaders);
    modifyHeaders(headers, ctx.gatewayBackend?.responseHeaders);
    if (gw.cors) addCorsHeaders(gw.cors, ctx.corsOrigin, headers);
  }
  const affinity = chooser.affinityHeaderFor(ctx);
  if (!affinity) return;
  if (affinity.name === 'Set-Cookie') {
    const existing = headers['set-cookie'];
    headers['set-cookie'] = existing ? [...existing, affinity.value] : [affinity.value];
  } else headers[affinity.name.toLowerCase()] = affinity.value;
}
