// Leader-only: sends changed route statuses to the status subresource (merge patch) and
// records Warning events when a route is refused. Never called by non-leaders.

import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, PLURAL, VERSION, API_VERSION, KIND, routeKey, type WebSocketRoute } from '../api/types.js';
import type { RouteStatusResult } from '../routing/types.js';
import { desiredStatus, statusDiffers } from './route-status.js';

export class StatusWriter {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  /** "key@generation reason" of the last event per route, so a refusal is reported once. */
  private readonly lastEvent = new Map<string, string>();

  constructor(
    kc: KubeConfig,
    private readonly log: Logger,
    private readonly component = 'wsgate',
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Writes what changed; returns the number of statuses written. Errors are logged, not thrown. */
  async write(routes: readonly WebSocketRoute[], results: Map<string, RouteStatusResult>): Promise<number> {
    let written = 0;
    const now = new Date();
    for (const route of routes) {
      const result = results.get(routeKey(route));
      if (!result) continue;
      const next = desiredStatus(result, route.status, now);
      try {
        await this.maybeEvent(route, result);
        if (!statusDiffers(route.status, next)) continue;
        await this.custom.patchNamespacedCustomObjectStatus(
          {
            group: GROUP,
            version: VERSION,
            namespace: route.metadata.namespace ?? 'default',
            plural: PLURAL,
            name: route.metadata.name,
            body: { status: next },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        written++;
      } catch (err) {
        // 404: deleted meanwhile. Anything else is retried on the next compile.
        if ((err as { code?: number }).code !== 404) {
          this.log.warn({ route: result.key, err: String(err) }, 'status update failed');
        }
      }
    }
    return written;
  }

  forget(key: string): void {
    this.lastEvent.delete(key);
  }

  private async maybeEvent(route: WebSocketRoute, result: RouteStatusResult): Promise<void> {
    const bad =
      result.accepted.status === 'False' ? result.accepted : result.resolvedRefs.status === 'False' ? result.resolvedRefs : undefined;
    const mark = bad ? `${result.generation} ${bad.reason} ${bad.message}` : '';
    if ((this.lastEvent.get(result.key) ?? '') === mark) return;
    this.lastEvent.set(result.key, mark);
    if (!bad) return;
    const namespace = route.metadata.namespace ?? 'default';
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${route.metadata.name}.`, namespace },
        involvedObject: {
          apiVersion: API_VERSION,
          kind: KIND,
          name: route.metadata.name,
          namespace,
          uid: route.metadata.uid,
          resourceVersion: route.metadata.resourceVersion,
        },
        type: 'Warning',
        reason: bad.reason,
        message: bad.message.slice(0, 1024),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
        firstTimestamp: now,
        lastTimestamp: now,
        eventTime: new V1MicroTime(now.getTime()),
        count: 1,
        action: 'Validate',
      },
    });
  }
}
