// --host-ownership (routing/host-ownership.ts): on the commands that compile routes from their
// source (controller, standalone). `wsgate proxy` receives the controller's choice in each snapshot.

import { Option, type Command } from 'commander';
import { DEFAULT_HOST_OWNERSHIP } from '../api/defaults.js';
import type { HostOwnership } from '../api/types.js';

export interface HostOwnershipFlags {
  hostOwnership: HostOwnership;
}

export function addHostOwnershipFlags(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--host-ownership <mode>',
      'namespace: the namespace of the oldest accepted route on a host owns it and routes of other namespaces for it are refused (HostOwnedByOtherNamespace) unless the owner lists them in spec.hostSharing.namespaces; shared: any namespace may route on any host',
    )
      .choices(['namespace', 'shared'])
      .default(DEFAULT_HOST_OWNERSHIP),
  );
}
