// gateway-filter (HTTPRoute entries): the entry's answer before any backend: its
// RequestRedirect, or a 500 when the backendRef chosen by weight is invalid (or every weight
// is 0). Otherwise picks the backendRef and points ctx.route at a view of the route with that
// backendRef's endpoints, so the balancer, health, retries and counts work on them unchanged.

import { affinityValue } from '../../balancer/affinity.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Stage } from '../../pipeline/stage.js';
import type { GatewayRouting, WeightedBackend } from '../../routing/gateway-types.js';
import type { CompiledRoute } from '../../routing/types.js';
import type { EndpointChooser } from '../choose.js';
import { pickWeighted, redirectLocation } from '../gateway-http.js';
import type { StageDeps } from './deps.js';

export function gatewayFilterStage(deps: StageDeps): Stage {
  return {
    name: 'gateway-filter',
    run: (ctx) => {
      const gw = ctx.route!.gateway;
      if (!gw) return undefined;
      if (gw.redirect) {
        const location = redirectLocation(gw.redirect, gw.pathMatch, {
          scheme: ctx.secure ? 'https' : 'http',
          host: ctx.host,
          listenerPort: gw.listenerPort ?? ctx.req.socket.localPort ?? 0,
          path: ctx.path,
          query: ctx.query,
        });
        return { status: gw.redirect.statusCode, message: `redirecting to ${location}`, result: 'redirected', headers: { Location: location } };
      }
      const backend = stickyBackend(deps.chooser, ctx, gw) ?? pickWeighted(gw.backends, deps.random);
      if (!backend?.target) {
        return { status: 500, message: `route ${ctx.route!.key}: ${backend ? 'the chosen backendRef is invalid' : 'no backendRef can take requests'}`, result: 'invalid_backend' };
      }
      ctx.gatewayBackend = backend;
      ctx.route = backendView(ctx.route!, backend);
      return undefined;
    },
  };
}

/**
 * Session affinity across backendRefs: the one whose endpoints hold the endpoint the client's
 * affinity value (cookie or session header) names (the value is signed over the route's
 * endpoints, every backendRef's), so the weighted choice does not send a sticky client
 * elsewhere. The chooser then finds that endpoint in the view of this backendRef.
 */
function stickyBackend(chooser: EndpointChooser, ctx: RequestContext, gw: GatewayRouting): WeightedBackend | undefined {
  const route = ctx.route!;
  if (!route.affinity) return undefined;
  const value = affinityValue(route.affinity, ctx.req.headers);
  const sticky = value === undefined ? undefined : chooser.affinity.endpointFor(route, value);
  if (!sticky) return undefined;
  return gw.backends.find((b) => b.weight > 0 && b.target?.eligible.some((e) => e.id === sticky.id));
}

const views = new WeakMap<CompiledRoute, Map<WeightedBackend, CompiledRoute>>();

/**
 * The route as the later stages see it once a backendRef is chosen: that backendRef's scheme,
 * endpoints and TLS. One per backendRef of a table (cached), so round-robin cursors (by route
 * key), hash rings and shared counts (by endpoint id) behave as for any route.
 */
function backendView(route: CompiledRoute, backend: WeightedBackend): CompiledRoute {
  let forRoute = views.get(route);
  if (!forRoute) views.set(route, (forRoute = new Map()));
  const cached = forRoute.get(backend);
  if (cached) return cached;
  const t = backend.target!;
  const view: CompiledRoute = {
    ...route,
    backend: { ...route.backend, scheme: t.scheme, endpoints: t.endpoints, eligible: t.eligible, ...(t.tls ? { tls: t.tls } : { tls: undefined }) },
  };
  forRoute.set(backend, view);
  return view;
}
