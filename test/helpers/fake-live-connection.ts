// A LiveConnection as the metrics observer reads it (opened, closed), without sockets.

import type { LiveConnection } from '../../src/proxy/live-connection.js';

export function fakeLiveConnection(routeKey: string, endpointId: string, closeCode = 1000): LiveConnection {
  return {
    routeKey,
    endpointId,
    startedAt: Date.now(),
    closeCode: () => closeCode,
    closedBy: () => 'client',
    closing: undefined,
    backend: { bytesRead: 0, bytesWritten: 0 },
    // The frame trackers the live traffic counters read at close.
    upstream: { messages: 0 },
    downstream: { messages: 0 },
  } as unknown as LiveConnection;
}
