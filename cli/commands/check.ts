import type { Command } from '../main.ts';
import { EXIT } from '../io.ts';

// Placeholder until the 'check' command lands; replaced by its owner.
export const command: Command = {
  name: 'check',
  summary: 'not yet built',
  async run(_argv, io) { io.err('svacheck check: not built yet\n'); return EXIT.BROKE; },
};
