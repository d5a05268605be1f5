import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The seed-shaped traces (schema "1.0.0") in fixtures/seed-traces; see its NOTES.md for what is inferred. */
export const SEED_DIR = resolve(import.meta.dirname, '../../fixtures/seed-traces');
export const SEEDS = ['openai-chat-stream', 'anthropic-messages-stream', 'openai-extra-fields'] as const;
export const seedText = (name: string): string => readFileSync(join(SEED_DIR, `${name}.json`), 'utf8');
