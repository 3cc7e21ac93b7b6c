// ProcessGatewayClasses: the GatewayClasses with wsgate's controllerName, accepted unless they
// carry parameters (wsgate takes none), each with its status.

import { compareStrings } from '../api/string-order.js';
import { condition, withTransitionTimes } from './status-conditions.js';
import type { GatewayClassStatusResult } from './model.js';
import type { GatewayClass } from './types.js';

export interface GatewayClassesResult {
  /** Keyed by name. */
  readonly statuses: Map<string, GatewayClassStatusResult>;
  /** Ours only, by name: whether the class is accepted (its Gateways are processed either way). */
  readonly accepted: Map<string, boolean>;
}

export function processGatewayClasses(classes: readonly GatewayClass[], controllerName: string, features: readonly string[], now: string | undefined): GatewayClassesResult {
  const gatewayClasses = new Map<string, GatewayClassStatusResult>();
  const classAccepted = new Map<string, boolean>();
  for (const gc of [...classes].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name))) {
    if (gc.spec.controllerName !== controllerName) continue;
    const gen = gc.metadata.generation ?? 0;
    const ok = gc.spec.parametersRef === undefined;
    classAccepted.set(gc.metadata.name, ok);
    const accepted = ok
      ? condition('Accepted', true, 'Accepted', 'wsgate serves this class', gen)
      : condition('Accepted', false, 'InvalidParameters', 'parametersRef is not supported: wsgate takes no parameters', gen);
    gatewayClasses.set(gc.metadata.name, {
      name: gc.metadata.name,
      generation: gen,
      conditions: withTransitionTimes(gc.status?.conditions, [accepted], now),
      supportedFeatures: ok ? features.map((name) => ({ name })) : [],
    });
  }
  return { statuses: gatewayClasses, accepted: classAccepted };
}
