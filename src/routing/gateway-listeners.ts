// The Gateway sockets of a table (TableListener[]): what the controller asked the data plane to
// serve, with each HTTPS certificate's Secret turned into a SecureContext the same way a
// WebSocketRoute's spec.tls is (security/tls-store.ts). A certificate that does not resolve or
// parse is left out: the translator already put that on the Gateway listener's status. The PEM
// is kept beside the context for the TLS server's default certificate (clients without SNI).

import { contextFromSecret } from '../security/tls-store.js';
import type { GatewaySocketInput, TableListener } from './gateway-types.js';
import { recordingResolver, secretsUnchanged, type SecretLookup } from './reuse.js';
import type { SecretResolver } from './types.js';

/** One socket as the last compile left it: reused while the socket object and its Secrets are unchanged. */
export interface ListenerEntry {
  readonly socket: GatewaySocketInput;
  readonly lookups: readonly SecretLookup[] | null;
  readonly listener: TableListener;
}

export function compileListeners(
  sockets: readonly GatewaySocketInput[],
  resolveSecret: SecretResolver | undefined,
  previous: ReadonlyMap<string, ListenerEntry> | undefined,
): Map<string, ListenerEntry> {
  const out = new Map<string, ListenerEntry>();
  for (const socket of sockets) {
    const prev = previous?.get(socket.key);
    if (prev && prev.socket === socket && secretsUnchanged(prev.lookups, resolveSecret)) {
      out.set(socket.key, prev);
      continue;
    }
    const recorder = recordingResolver(resolveSecret);
    const certificates: Array<TableListener['certificates'][number]> = [];
    if (socket.protocol === 'HTTPS' && recorder.resolve) {
      for (const ref of socket.certificates) {
        const secret = recorder.resolve(ref.namespace, ref.name);
        if (!secret.ok) continue;
        const ctx = contextFromSecret(secret.data, socket.clientValidation?.caPem);
        if (!ctx.ok) continue;
        certificates.push({
          hostname: (ref.hostname ?? '').toLowerCase(),
          tls: { context: ctx.context, secret: `${ref.namespace}/${ref.name}`, notAfter: ctx.notAfter },
          // contextFromSecret checked both keys are there.
          pem: { cert: secret.data['tls.crt']!, key: secret.data['tls.key']! },
        });
      }
    }
    const listener: TableListener = Object.freeze({
      key: socket.key,
      address: socket.address,
      port: socket.port,
      protocol: socket.protocol,
      certificates,
      ...(socket.tlsPolicy ? { tlsPolicy: socket.tlsPolicy } : {}),
      ...(socket.clientValidation ? { clientValidation: socket.clientValidation } : {}),
    });
    out.set(socket.key, { socket, lookups: recorder.lookups, listener });
  }
  return out;
}
