// A Gateway's spec.addresses against the addresses wsgate assigned it (GatewayStaticAddresses,
// GatewayAddressEmpty): an address of a type wsgate cannot serve, or one that is no address of
// its type, refuses the Gateway (Accepted=False/UnsupportedAddress); an address of a type it
// serves that it did not assign (outside the pool, another Gateway's, not one of wsgate's own)
// leaves the Gateway accepted but not programmed (Programmed=False/AddressNotUsable).

import net from 'node:net';
import type { Gateway, GatewayStatusAddress } from './types.js';

export interface AddressCheck {
  /** Accepted=False/UnsupportedAddress. */
  readonly unsupported?: string;
  /** Programmed=False/AddressNotUsable. */
  readonly notUsable?: string;
}

/** The address types wsgate can assign unless the caller says otherwise (shared addresses: its Service's IPs or hostnames). */
export const DEFAULT_ADDRESS_TYPES = ['IPAddress', 'Hostname'] as const;

export function checkSpecAddresses(
  requested: NonNullable<Gateway['spec']['addresses']>,
  assigned: readonly GatewayStatusAddress[],
  types: readonly string[],
): AddressCheck {
  const unsupported: string[] = [];
  const notUsable: string[] = [];
  for (const a of requested) {
    const type = a.type ?? 'IPAddress';
    if (!a.value) {
      // No value asks for any address of its type: one wsgate assigns satisfies it, and while
      // none is assigned yet Programmed says so.
      if (!types.includes(type) || (assigned.length > 0 && !assigned.some((b) => b.type === type))) unsupported.push(`an address of type ${type}`);
    } else if (!types.includes(type) || (type === 'IPAddress' && !net.isIP(a.value))) {
      unsupported.push(`${a.value} (type ${type})`);
    } else if (!assigned.some((b) => b.value === a.value && b.type === type)) {
      notUsable.push(a.value);
    }
  }
  const have = assigned.map((a) => a.value).join(', ') || 'none yet';
  return {
    ...(unsupported.length ? { unsupported: `wsgate serves addresses of type ${types.join(', ')} (this Gateway's: ${have}); it cannot assign ${unsupported.join(', ')}` } : {}),
    ...(notUsable.length ? { notUsable: `wsgate could not assign ${notUsable.join(', ')} to this Gateway (not in its address pool or its Service's addresses, or another Gateway's); it has ${have}` } : {}),
  };
}
