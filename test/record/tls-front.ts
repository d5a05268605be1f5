/**
 * A local HTTPS upstream for tests: a TLS listener on 127.0.0.1 that unwraps each connection and
 * pipes it to a plain fake upstream, with a certificate for `localhost` from a CA made in-test.
 * No internet and no openssl binary needed.
 */
import { connect, type Socket } from 'node:net';
import { createServer } from 'node:tls';
import { generateCACertificate } from 'mockttp';
// Not re-exported from mockttp's main entry; its package exports map allows the deep import.
import { getCA } from 'mockttp/dist/util/certificates';

export interface TlsFront {
  /** `https://localhost:<port>` */
  url: string;
  /** PEM of the CA that signed the front's certificate: what the recorder must trust upstream. */
  caCert: string;
  close(): Promise<void>;
}

export async function startTlsFront(plainUrl: string): Promise<TlsFront> {
  const ca = await generateCACertificate({ subject: { commonName: 'TraceForge test upstream CA' } });
  const leaf = await (await getCA(ca)).generateCertificate('localhost');
  const target = new URL(plainUrl);
  const sockets = new Set<Socket>();
  const server = createServer({ key: leaf.key, cert: leaf.cert }, (tlsSocket) => {
    const plain = connect(Number(target.port), target.hostname);
    sockets.add(tlsSocket).add(plain);
    tlsSocket.pipe(plain).pipe(tlsSocket);
    const end = () => {
      tlsSocket.destroy();
      plain.destroy();
    };
    tlsSocket.once('close', end).once('error', end);
    plain.once('close', end).once('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `https://localhost:${port}`,
    caCert: ca.cert,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
