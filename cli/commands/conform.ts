import type { Command } from '../main.ts';
import { EXIT } from '../io.ts';

// Placeholder until the 'conform' command lands; replaced by its owner.
export const command: Command = {
  name: 'conform',
  summary: 'not yet built',
  async run(_argv, io) { io.err('svacheck conform: not built yet\n'); return EXIT.BROKE; },
};
