// The endpoint-choice stage: the affinity cookie (or session header) first, then the route's balancer, skipping
// endpoints that already failed for this request and those passive health ejected.

import { AffinityCodec, affinityHeader, affinityValue, randomAffinityKey } from '../balancer/affinity.js';
import { hashKey } from '../balancer/hash-key.js';
import type { EndpointHealth } from '../balancer/health.js';
import { RouteCursors } from '../balancer/cursors.js';
import type { EndpointLoad } from '../balancer/load.js';
import { pickEndpoint } from '../balancer/pick.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Endpoint } from '../routing/types.js';

export class EndpointChooser {
  constructor(
    private readonly load: EndpointLoad,
    private readonly health: EndpointHealth,
    readonly affinity: AffinityCodec = new AffinityCodec(randomAffinityKey()),
    private readonly cursors: RouteCursors = new RouteCursors(),
  ) {}

  /** The endpoint for the next attempt of `ctx`, or undefined when none is left to try. */
  choose(ctx: RequestContext, tried: ReadonlySet<string>): Endpoint | undefined {
    const route = ctx.route!;
    if (route.affinity && ctx.affinity === undefined) {
      const value = affinityValue(route.affinity, ctx.req.headers);
      const match = value === undefined ? undefined : this.affinity.match(route, value);
      if (value === undefined) ctx.affinity = 'miss';
      else if (!match || this.health.isEjected(match.endpoint.id)) ctx.affinity = 'stale';
      else {
        ctx.affinity = 'hit';
        // A value of the previous key (in its grace period) is honoured but not marked as the
        // client's: the respond stage then sends one signed with the current key, with the
        // same end if it had one (a key change extends no session).
        if (!match.previousKey) ctx.stickyEndpointId = match.endpoint.id;
        else if (match.expiry !== undefined) ctx.affinityEnd = { endpointId: match.endpoint.id, expiry: match.expiry };
        return match.endpoint;
      }
    }
    const cursor = this.cursors.next(route.key);
    return pickEndpoint(route, {
      load: this.load,
      exclude: tried,
      isEjected: (id) => this.health.isEjected(id),
      cursor,
      random: Math.random,
      hashKey: route.policy === 'ConsistentHash' ? hashKey(route.hashOn, ctx.req, ctx.clientGroup) : undefined,
    });
  }

  /**
   * The respond stage's part: the Set-Cookie (or session header) naming the endpoint that
   * answered, unless the client's value already named it.
   */
  affinityHeaderFor(ctx: RequestContext): { name: string; value: string } | undefined {
    const route = ctx.route;
    if (!route?.affinity || !ctx.endpoint || ctx.stickyEndpointId === ctx.endpoint.id) return undefined;
    // The kept end is the session's on that endpoint: another endpoint starts a new session.
    const end = ctx.affinityEnd?.endpointId === ctx.endpoint.id ? ctx.affinityEnd.expiry : undefined;
    return affinityHeader(route.affinity, this.affinity.valueFor(route, ctx.endpoint, end), ctx.secure);
  }

  /** Drops the round-robin cursors of routes that left the table. */
  forget(routeKeys: Iterable<string>): void {
    this.cursors.forget(routeKeys);
  }
}

