/** Every local stand-in listens on loopback only; port 0 picks a free one. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** A stand-in listening on loopback: its endpoint, and a close that drops kept-alive connections. */
export async function serveOnLoopback(server: Server, port = 0): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const listening = await listenOnLoopback(server, port);
  return {
    endpoint: `http://127.0.0.1:${listening}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
