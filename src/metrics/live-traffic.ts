// wsgate_bytes_total and wsgate_messages_total as traffic flows: once a second, for each open
// connection, the growth of its socket and frame counters since the last look is added (and
// the rest when it closes). Nothing is counted per message on the data path: the sockets
// count bytes and the frame trackers count messages anyway. The timer runs only while a
// connection is open.

import type { LiveConnection } from '../proxy/live-connection.js';
import { routeLabels } from './route-labels.js';
import type { Metrics } from './registry.js';

export const FLUSH_INTERVAL_MS = 1000;

interface Reported {
  readonly labels: { namespace: string; route: string };
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
  let timer: NodeJS.Timeout | undefined;
  const report = (conn: LiveConnection, r: Reported) => {
    // Upstream is what went to the backend, downstream what came from it (as before: the
    // backend socket's counters, so wsgate's own frames to the client are not counted).
    const bytesUp = conn.backend.bytesWritten;
    const bytesDown = conn.backend.bytesRead;
    const messagesUp = conn.upstream.messages;
    const messagesDown = conn.downstream.messages;
    if (bytesUp > r.bytesUp) metrics.bytes.inc({ ...r.labels, direction: 'upstream' }, bytesUp - r.bytesUp);
    if (bytesDown > r.bytesDown) metrics.bytes.inc({ ...r.labels, direction: 'downstream' }, bytesDown - r.bytesDown);
    if (messagesUp > r.messagesUp) metrics.messages.inc({ ...r.labels, direction: 'upstream' }, messagesUp - r.messagesUp);
    if (messagesDown > r.messagesDown) metrics.messages.inc({ ...r.labels, direction: 'downstream' }, messagesDown - r.messagesDown);
    r.bytesUp = bytesUp;
    r.bytesDown = bytesDown;
    r.messagesUp = messagesUp;
    r.messagesDown = messagesDown;
  };
  const flush = () => {
    for (const [conn, r] of open) report(conn, r);
  };
  return {
    add(conn) {
      open.set(conn, { labels: routeLabels(conn.routeKey), bytesUp: 0, bytesDown: 0, messagesUp: 0, messagesDown: 0 });
      if (!timer) {
        timer = setInterval(flush, FLUSH_INTERVAL_MS);
        timer.unref();
      }
    },
    remove(conn) {
      const r = open.get(conn);
      if (!r) return;
      report(conn, r);
      open.delete(conn);
      if (open.size === 0) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    flush,
  };
}
