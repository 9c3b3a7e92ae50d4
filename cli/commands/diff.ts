import type { Command } from '../main.ts';
import { EXIT } from '../io.ts';

// Placeholder until the 'diff' command lands; replaced by its owner.
export const command: Command = {
  name: 'diff',
  summary: 'not yet built',
  async run(_argv, io) { io.err('svacheck diff: not built yet\n'); return EXIT.BROKE; },
};
