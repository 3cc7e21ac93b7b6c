// Open WebSocket connections per route and per endpoint series, counted in plain Maps as
// connections open and close and handed to prom-client only when scraped (the gauges' collect,
// registry.ts). Per connection that is two Map updates instead of two prom-client inc/dec each
// way (a label object, its hash and a series lookup per call; issue 27).

import { routeLabels } from './route-labels.js';

/** The key of one endpoint series: route key and endpoint id. */
export function seriesKey(routeKey: string, endpoint: string): string {
  return `${routeKey}|${endpoint}`;
}

/** The route key and endpoint id a seriesKey() was made of. */
export function splitSeriesKey(key: string): [routeKey: string, endpoint: string] {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
}

export class OpenConnectionCounts {
  /** Per route key. Never deleted: a route's series stays at 0 after its last connection, as before. */
  readonly perRoute = new Map<string, number>();
  /** Per seriesKey(); an entry (and so its series) lives until the proxy observer drops it. */
  readonly perSeries = new Map<string, number>();

  add(routeKey: string, delta: number): void {
    this.perRoute.set(routeKey, (this.perRoute.get(routeKey) ?? 0) + delta);
  }

  addToSeries(key: string, delta: number): void {
    this.perSeries.set(key, (this.perSeries.get(key) ?? 0) + delta);
  }

  /** The wsgate_connections_active series, label values and count. */
  *routes(): Iterable<[{ namespace: string; route: string }, number]> {
    for (const [key, n] of this.perRoute) yield [routeLabels(key), n];
  }

  /** The wsgate_backend_connections_active series, label values and count. */
  *series(): Iterable<[{ namespace: string; route: string; endpoint: string }, number]> {
    for (const [key, n] of this.perSeries) {
      const [routeKey, endpoint] = splitSeriesKey(key);
      yield [{ ...routeLabels(routeKey), endpoint }, n];
    }
  }
}
