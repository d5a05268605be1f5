/**
 * node:http2 is not intercepted (the local replay server speaks HTTP/1.1, and @mswjs/interceptors has
 * no HTTP/2 client interceptor). So that a call to a served host over HTTP/2 cannot slip out to the
 * network while a cassette is in use, `http2.connect` to such a host (or to any non-loopback host when
 * unmatched calls are refused) fails at once with what to do. The AWS SDK's Bedrock runtime client uses
 * HTTP/2 by default.
 */
import { syncBuiltinESMExports } from 'node:module';
import http2 from 'node:http2';
import type { FetchDecision } from './fetch-dispatcher.js';

export interface Http2Guard {
  restore(): void;
}

export function installHttp2Guard(decide: (url: URL) => FetchDecision): Http2Guard {
  const original = http2.connect;
  const guarded = function connect(this: unknown, authority: string | URL, ...rest: unknown[]) {
    let url: URL | undefined;
    try {
      url = new URL(String(authority));
    } catch {
      url = undefined;
    }
    const d = url ? decide(url) : ({ kind: 'pass' } as const);
    if (d.kind === 'redirect' || d.kind === 'serve') {
      throw new Error(
        `traceforge: ${url!.host} is called over HTTP/2 (node:http2), which cannot be served from a cassette. ` +
          `The AWS SDK's Bedrock runtime client does this by default: build it with requestHandler: new NodeHttpHandler() (from @smithy/node-http-handler), ` +
          `or pass { intercept: false } and point the client at cassette.url.`,
      );
    }
    if (d.kind === 'error') throw d.error;
    return (original as (...a: unknown[]) => unknown).call(this, authority, ...rest);
  } as typeof http2.connect;
  http2.connect = guarded;
  // An ESM named import (`import { connect } from 'node:http2'`) is a binding of its own (see node-http.ts).
  syncBuiltinESMExports();
  return {
    restore() {
      if (http2.connect !== guarded) return;
      http2.connect = original;
      syncBuiltinESMExports();
    },
  };
}
