import type { Command } from '../main.ts';
import { EXIT } from '../io.ts';

// Placeholder until the 'replay' command lands; replaced by its owner.
export const command: Command = {
  name: 'replay',
  summary: 'not yet built',
  async run(_argv, io) { io.err('svacheck replay: not built yet\n'); return EXIT.BROKE; },
};
