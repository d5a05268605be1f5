import pc from 'picocolors';
import { shouldColor } from '../tui/style.js';

/** Colours for stdout and stderr, each on only for a terminal (picocolors alone would colour pipes under CI). */
export const out = pc.createColors(shouldColor(process.stdout));
export const err = pc.createColors(shouldColor(process.stderr));
