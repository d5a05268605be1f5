/**
 * mockttp prints to the global console when a request fails mid-way ("Failed to handle request:
 * Aborted" when the app cancels a call, "Response error: write after end"). The recorder already
 * records those calls with their outcome, so on the terminal these lines are noise in the middle of
 * the app's own output. Hidden unless --debug; everything else passes through untouched.
 */
const NOISE = /^(Failed to handle request|Response error:)/;

export function muteMockttpNoise(debug: boolean): void {
  if (debug) return;
  for (const name of ['log', 'error'] as const) {
    const original = console[name].bind(console);
    console[name] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && NOISE.test(args[0])) return;
      original(...args);
    };
  }
}
