import pc from 'picocolors';
import { shouldColor } from '../tui/style.js';
import type { CliStream } from './io.js';

/** Colours for one output, on only for a terminal (picocolors alone would colour pipes under CI). */
export const colorsFor = (stream: CliStream, env: NodeJS.ProcessEnv): ReturnType<typeof pc.createColors> => pc.createColors(shouldColor(stream, env));
