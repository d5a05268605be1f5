/**
 * `setupFiles: ['traceforge/vitest/setup']`: every test file gets its own cassette, named after it
 * (`__cassettes__/<file>.yaml` next to the test file), with the providers' hosts intercepted; a file
 * that makes no calls needs no cassette. For options, write your own setup file that calls
 * `useCassette({ ... })` from `traceforge/vitest`.
 */
import { useCassette } from './vitest.js';

useCassette();
