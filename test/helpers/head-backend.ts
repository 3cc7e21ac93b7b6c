// A TCP backend for tests that answer HTTP/1.1 by hand: each connection's first request head
// (up to its blank line) goes to `onHead` with the socket, which writes whatever bytes the test
// needs (interim answers, a body cut short). Its sockets are destroyed on close.

import net from 'node:net';

export interface HeadBackend {
  port: number;
  close(): Promise<void>;
}

export async function startHeadBackend(onHead: (head: string, socket: net.Socket) => void): Promise<HeadBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.resume();
      onHead(text.slice(0, end + 4), socket);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
