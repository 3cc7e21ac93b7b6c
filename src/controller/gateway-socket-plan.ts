// Pure: which data-plane socket serves each Gateway port (the GatewayCompileInput the compiler
// takes beside the WebSocketRoutes). Shared addresses: one socket `*:<port>` per port for every
// Gateway on it. Isolated (pool) addresses: one socket per Gateway port, bound on the Gateway's
// own address. A port wsgate's main listener already has maps to MAIN_LISTENER.

import net from 'node:net';
import { sameClientValidation } from '../api/client-validation.js';
import type { GatewayRouteEntry, ProgrammedListener } from '../gatewayapi/model.js';
import { gatewayPortId, MAIN_LISTENER, type GatewayCompileInput, type GatewaySocketInput } from '../routing/gateway-types.js';

/**
 * Where shared-mode sockets bind: every interface, as wsgate's Service reaches the pod on any,
 * in the family of wsgate's own listener: `::` (dual-stack on Linux: IPv4 clients arrive as
 * ::ffff:a.b.c.d) when --listen is IPv6, so a pod given `[::]` serves Gateways on both families;
 * `0.0.0.0` otherwise, since `::` cannot be bound where the pod has no IPv6.
 */
function sharedBindAddress(mainHost: string): string {
  return net.isIPv6(mainHost) ? '::' : '0.0.0.0';
}

export type AddressMode =
  | { readonly kind: 'shared' }
  /** `addressOf` is the pool's answer; a Gateway without one gets no socket (Programmed=False in its status). */
  | { readonly kind: 'isolated'; readonly addressOf: (namespace: string, name: string) => string | undefined };

/** wsgate's own listeners (--listen, --tls-listen), as bound. */
export interface MainSockets {
  readonly host: string;
  readonly port: number;
  readonly tlsHost?: string;
  readonly tlsPort?: number;
  /**
   * Shared mode: the ports of wsgate's Service that forward to --listen / --tls-listen (the
   * chart's 80 -> 8080, 443 -> 8443). Clients reach a Gateway on its address and listener port,
   * i.e. on the Service's port: a Gateway listener on one of these is served by the main socket.
   */
  readonly servicePort?: number;
  readonly serviceTlsPort?: number;
}

export interface SocketPlan {
  readonly input: GatewayCompileInput;
  /**
   * gatewayPortId -> why that Gateway port has no socket: another Gateway holds the shared port
   * with the other protocol, or the main listener's protocol differs. Reported on the listener.
   */
  readonly problems: ReadonlyMap<string, string>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

function mainFor(port: number, protocol: 'HTTP' | 'HTTPS', main: MainSockets, bindAddress: string | undefined): 'main' | 'clash' | undefined {
  // Isolated sockets on their own address coexist with a main listener bound to one address;
  // against a wildcard main listener the bind would fail, so the main socket serves the port.
  const reaches = (host: string | undefined) => bindAddress === undefined || WILDCARDS.has(host ?? '') || host === bindAddress;
  const shared = bindAddress === undefined;
  if ((port === main.port && reaches(main.host)) || (shared && port === main.servicePort)) return protocol === 'HTTP' ? 'main' : 'clash';
  if ((main.tlsPort !== undefined && port === main.tlsPort && reaches(main.tlsHost)) || (shared && port === main.serviceTlsPort)) return protocol === 'HTTPS' ? 'main' : 'clash';
  return undefined;
}

export function planSockets(
  entries: readonly GatewayRouteEntry[],
  listeners: readonly ProgrammedListener[],
  mode: AddressMode,
  main: MainSockets,
): SocketPlan {
  const sockets = new Map<string, { socket: Omit<GatewaySocketInput, 'certificates'>; certificates: Map<string, GatewaySocketInput['certificates'][number]> }>();
  const socketOf: Record<string, string> = {};
  const problems = new Map<string, string>();
  // Sorted so that on a shared port the first Gateway (by namespace/name) decides the protocol.
  const sorted = [...listeners].sort((a, b) => {
    const ka = `${a.gatewayNamespace}/${a.gatewayName}`;
    const kb = `${b.gatewayNamespace}/${b.gatewayName}`;
    return ka < kb ? -1 : ka > kb ? 1 : a.port - b.port;
  });
  for (const l of sorted) {
    const id = gatewayPortId(l.gatewayNamespace, l.gatewayName, l.port);
    const bind = mode.kind === 'isolated' ? mode.addressOf(l.gatewayNamespace, l.gatewayName) : undefined;
    if (mode.kind === 'isolated' && bind === undefined) continue;
    const onMain = mainFor(l.port, l.protocol, main, bind);
    if (onMain === 'clash') {
      problems.set(id, `port ${l.port} is wsgate's own ${l.protocol === 'HTTP' ? 'HTTPS' : 'HTTP'} listener; it cannot serve ${l.protocol} there`);
      continue;
    }
    if (onMain === 'main') {
      // The main TLS listener has one policy, the --tls-* flags': a listener cannot bring its own there.
      if (l.tlsPolicy) {
        problems.set(id, `port ${l.port} is wsgate's own HTTPS listener, whose TLS policy is the --tls-* flags'; tls.options need a port of their own`);
        continue;
      }
      if (l.clientValidation) {
        problems.set(id, `port ${l.port} is wsgate's own HTTPS listener; client certificate validation (spec.tls.frontend) needs a port of its own`);
        continue;
      }
      socketOf[id] = MAIN_LISTENER;
      continue;
    }
    const key = mode.kind === 'isolated' ? id : `*:${l.port}`;
    let s = sockets.get(key);
    if (!s) {
      s = {
        socket: {
          key,
          address: bind ?? sharedBindAddress(main.host),
          port: l.port,
          protocol: l.protocol,
          ...(l.tlsPolicy ? { tlsPolicy: l.tlsPolicy } : {}),
          ...(l.clientValidation ? { clientValidation: l.clientValidation } : {}),
        },
        certificates: new Map(),
      };
      sockets.set(key, s);
    } else if (s.socket.protocol !== l.protocol) {
      problems.set(id, `port ${l.port} is served as ${s.socket.protocol} for another Gateway on wsgate's shared addresses`);
      continue;
    } else if (JSON.stringify(s.socket.tlsPolicy) !== JSON.stringify(l.tlsPolicy)) {
      // One TLS server a socket: versions and suites are chosen before SNI names a listener.
      problems.set(id, `port ${l.port} is served with other tls.options (another listener on the same socket)`);
      continue;
    } else if (!sameClientValidation(s.socket.clientValidation, l.clientValidation)) {
      // requestCert is fixed per TLS server, and the CA bundle must be the same whatever SNI names.
      problems.set(id, `port ${l.port} is served with another client certificate validation (another Gateway on wsgate's shared addresses)`);
      continue;
    }
    socketOf[id] = key;
    for (const c of l.certificates) {
      const hostname = l.hostname ?? '';
      s.certificates.set(`${hostname} ${c.namespace}/${c.name}`, { namespace: c.namespace, name: c.name, ...(hostname ? { hostname } : {}) });
    }
  }
  // Entries of a Gateway port that got no socket are dropped here, not left to the compiler.
  const served = entries.filter((e) => socketOf[gatewayPortId(e.listener.gatewayNamespace, e.listener.gatewayName, e.listener.port)] !== undefined);
  return {
    input: {
      entries: served,
      sockets: [...sockets.values()].map((s) => ({ ...s.socket, certificates: [...s.certificates.values()] })),
      socketOf,
    },
    problems,
  };
}
