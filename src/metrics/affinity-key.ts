// The one record of an affinity key change: a counter, a timestamp and a log line, none of
// which carries anything derived from the key.

import type { Logger } from 'pino';
import type { Metrics } from './registry.js';

/** Where a new key came from: --affinity-key-file, the key Secret (controller), the snapshot stream (proxy). */
export type AffinityKeySource = 'file' | 'secret' | 'stream';

/**
 * `first`: the first key from `source` replaced the one made at start (a process that reads its
 * key from a Secret or the stream starts with a random one): logged, not counted as a change.
 */
export function recordAffinityKey(metrics: Metrics, log: Logger, source: AffinityKeySource, first: boolean): void {
  if (first) {
    log.info({ source }, 'session-affinity key loaded');
    return;
  }
  metrics.affinityKeyChanges.inc({ source });
  metrics.affinityKeyLastChange.set(Date.now() / 1000);
  log.info({ source }, 'session-affinity key changed: new cookies are signed with it; cookies of the previous key are honoured for the grace period');
}
