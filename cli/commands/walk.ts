import type { Command } from '../main.ts';
import { EXIT } from '../io.ts';

// Placeholder until the 'walk' command lands; replaced by its owner.
export const command: Command = {
  name: 'walk',
  summary: 'not yet built',
  async run(_argv, io) { io.err('svacheck walk: not built yet\n'); return EXIT.BROKE; },
};
