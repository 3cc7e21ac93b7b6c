import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';

/**
 * Echo backends on distinct loopback addresses (127.0.0.2, 127.0.0.3, ...) sharing one port,
 * as pods of one Service share a target port. The port is chosen by the kernel for the
 * first; a clash on another address retries with a new port (bounded).
 */
export async function startPodBackends(names: string[], firstIp = 2): Promise<EchoServer[]> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const first = await startEchoServer({ name: names[0]!, host: `127.0.0.${firstIp}` });
    const started: EchoServer[] = [first];
    try {
      for (let i = 1; i < names.length; i++) {
        started.push(await startEchoServer({ name: names[i]!, host: `127.0.0.${firstIp + i}`, port: first.port }));
      }
      return started;
    } catch (err) {
      await Promise.all(started.map((s) => s.close()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('could not find a port free on every loopback address');
}
