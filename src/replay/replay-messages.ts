import type { Cassette } from '../cassette/codec.js';
import type { MatchOptions } from '../cassette/match.js';
import type { Fault } from './faults.js';

/** What the replay thread is started with (structured-cloned into it). */
export interface ReplayThreadConfig {
  /** A cassette path (the thread indexes it and reads each interaction when served), or a cassette in memory. */
  cassette: string | Cassette;
  speed?: number;
  match?: MatchOptions;
  faults: Fault[];
  port?: number;
  host?: string;
  /** Requests that match nothing are passed to this server (the recorder, in record modes). */
  forwardTo?: string;
  /** The servers to forward to come later, in a `forward` command (the recorder is still starting). */
  forwardLater?: boolean;
  /** WebSocket upgrades with no recording are passed to this server (the recorder's relay). */
  upgradeForwardTo?: string;
  /** Client-frame fields left out of the check of a WebSocket session. */
  volatileFields?: string[];
}

export type ReplayThreadEvent =
  | { t: 'ready'; url: string; port: number; warnings: string[] }
  | { t: 'failed'; code?: string; message: string }
  | { t: 'closed' };

export type ReplayThreadCommand = { t: 'close' } | { t: 'forward'; url: string } | { t: 'forward-upgrade'; url: string };
