// wsgate_bytes_total and wsgate_messages_total as traffic flows: once a second, for each open
// connection, the growth of its socket and frame counters since the last look is added (and
// the rest when it closes). Nothing is counted per message on the data path: the sockets
// count bytes and the frame trackers count messages anyway. The growth is summed per route
// before it reaches prom-client, so a flush costs one label lookup per route and direction, not
// per connection. The timer runs only while a connection is open.

import type { LiveConnection } from '../proxy/live-connection.js';
import { routeLabels } from './route-labels.js';
import type { Metrics } from './registry.js';

const FLUSH_INTERVAL_MS = 1000;

/** What was last added to the counters for one connection. */
interface Reported {
  readonly route: RouteTotals;
  bytesUp: number;
  bytesDown: number;
  messagesUp: number;
  messagesDown: number;
}

/** Growth summed per route within one flush, so the counters are touched once per route. */
interface RouteTotals {
  readonly labels: { namespace: string; route: string };
  /** Open connections of the route: its entry goes with the last. */
  connections: number;
  bytesUp: number;
  bytesDown: number;
  messagesUp: number;
  messagesDown: number;
}

export interface LiveTraffic {
  add(conn: LiveConnection): void;
  /** Counts what is left and forgets the connection. */
  remove(conn: LiveConnection): void;
  /** One pass over every open connection (the timer's; tests may call it). */
  flush(): void;
}

export function liveTraffic(metrics: Metrics): LiveTraffic {
  const open = new Map<LiveConnection, Reported>();
  const routes = new Map<string, RouteTotals>();
  let timer: NodeJS.Timeout | undefined;
  const collect = (conn: LiveConnection, r: Reported) => {
    // Upstream is what went to the backend, downstream what came from it (as before: the
    // backend socket's counters, so wsgate's own frames to the client are not counted).
    const bytesUp = conn.backend.bytesWritten;
    const bytesDown = conn.backend.bytesRead;
    const messagesUp = conn.upstream.messages;
    const messagesDown = conn.downstream.messages;
    const t = r.route;
    t.bytesUp += bytesUp - r.bytesUp;
    t.bytesDown += bytesDown - r.bytesDown;
    t.messagesUp += messagesUp - r.messagesUp;
    t.messagesDown += messagesDown - r.messagesDown;
    r.bytesUp = bytesUp;
    r.bytesDown = bytesDown;
    r.messagesUp = messagesUp;
    r.messagesDown = messagesDown;
  };
  const publish = (t: RouteTotals) => {
    const up = { ...t.labels, direction: 'upstream' };
    const down = { ...t.labels, direction: 'downstream' };
    if (t.bytesUp > 0) metrics.bytes.inc(up, t.bytesUp);
    if (t.bytesDown > 0) metrics.bytes.inc(down, t.bytesDown);
    if (t.messagesUp > 0) metrics.messages.inc(up, t.messagesUp);
    if (t.messagesDown > 0) metrics.messages.inc(down, t.messagesDown);
    t.bytesUp = t.bytesDown = t.messagesUp = t.messagesDown = 0;
  };
  const flush = () => {
    for (const [conn, r] of open) collect(conn, r);
    for (const t of routes.values()) publish(t);
  };
  return {
    add(conn) {
      let route = routes.get(conn.routeKey);
      if (!route) {
        route = { labels: routeLabels(conn.routeKey), connections: 0, bytesUp: 0, bytesDown: 0, messagesUp: 0, messagesDown: 0 };
        routes.set(conn.routeKey, route);
      }
      route.connections++;
      open.set(conn, { route, bytesUp: 0, bytesDown: 0, messagesUp: 0, messagesDown: 0 });
      if (!timer) {
        timer = setInterval(flush, FLUSH_INTERVAL_MS);
        timer.unref();
      }
    },
    remove(conn) {
      const r = open.get(conn);
      if (!r) return;
      // The rest is counted now, so a closed connection is complete in the next scrape.
      collect(conn, r);
      publish(r.route);
      open.delete(conn);
      if (--r.route.connections === 0) routes.delete(conn.routeKey);
      if (open.size === 0) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    flush,
  };
}
