import type { Command } from '../main.ts';
import { EXIT } from '../io.ts';

// Placeholder until the 'report' command lands; replaced by its owner.
export const command: Command = {
  name: 'report',
  summary: 'not yet built',
  async run(_argv, io) { io.err('svacheck report: not built yet\n'); return EXIT.BROKE; },
};
