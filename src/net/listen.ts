// Binds a server and resolves with its address, or rejects with the bind error (EADDRINUSE...).
// A leaf: the admin listener and the snapshot stream use it.

import type net from 'node:net';

export function listen(server: net.Server, host: string, port: number): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server.address() as net.AddressInfo);
    });
  });
}
