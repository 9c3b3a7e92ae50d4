import type { Command } from '../main.ts';
import { EXIT } from '../io.ts';

// Placeholder until the 'litmus' command lands; replaced by its owner.
export const command: Command = {
  name: 'litmus',
  summary: 'not yet built',
  async run(_argv, io) { io.err('svacheck litmus: not built yet\n'); return EXIT.BROKE; },
};
