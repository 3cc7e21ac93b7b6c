// A round of official @microsoft/signalr clients against a hub of test/helpers/signalr-hub.ts
// (directly, through wsgate, or through a Gateway on the e2e node).

import assert from 'node:assert/strict';
import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';

export type SignalRTransport = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

/**
 * Starts `n` clients of the hub at `url` on `transport`, asks each Whoami twice and Echo once
 * (the echo must name the backend of the first Whoami), and stops them all, also on failure.
 * Resolves with each client's two Whoami answers, in client order.
 */
export async function whoamiRound(url: string, transport: SignalRTransport, n: number): Promise<string[][]> {
  const clients = Array.from({ length: n }, () =>
    new HubConnectionBuilder().withUrl(url, { transport: HttpTransportType[transport] }).configureLogging(LogLevel.Warning).build());
  const answers: string[][] = [];
  try {
    await Promise.all(clients.map((c) => c.start()));
    for (const c of clients) {
      const names = [(await c.invoke('Whoami')) as string, (await c.invoke('Whoami')) as string];
      assert.equal(await c.invoke('Echo', 'hi'), `${names[0]}:hi`);
      answers.push(names);
    }
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }
  return answers;
}
