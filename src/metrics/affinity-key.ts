// The one record of an affinity key change: a counter, a timestamp and a log line, none of
// which carries anything derived from the key.

import type { Logger } from 'pino';
import type { Metrics } from './registry.js';

/** Where a new key came from: --affinity-key-file, the key Secret (controller), the snapshot stream (proxy). */
export type AffinityKeySource = 'file' | 'secret' | 'stream';

export function recordAffinityKeyChange(metrics: Metrics, log: Logger, source: AffinityKeySource): void {
  metrics.affinityKeyChanges.inc({ source });
  metrics.affinityKeyLastChange.set(Date.now() / 1000);
  log.info({ source }, 'session-affinity key changed: new cookies are signed with it; cookies of the previous key are honoured for the grace period');
}
