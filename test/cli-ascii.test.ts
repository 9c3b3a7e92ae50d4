// Everything svacheck prints is plain ASCII, so it can be pasted into a mail: the model
// checker's traces (which spell arrows as -> ), diff, walk and conform included.
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';

const runs: string[][] = [
  ['check', 'seed-small', '--variant', 'per-device'],
  ['diff', 'upstream', 'v2', 'seed-small'],
  ['walk', 'seed-small', '--variant', 'v2', '--walks', '3', '--seed', '1'],
  ['conform', '--impl', 'builtin', '--variant', 'v2', '--runs', '3', '--seed', '1'],
  ['replay', 'v1-reuse-bug'],
];

describe('plain ASCII output', () => {
  for (const argv of runs) {
    it(`svacheck ${argv.join(' ')}`, async () => {
      const io = bufferIo();
      const code = await main(argv, io);
      expect([0, 1], io.stderr).toContain(code);
      expect(io.stdout.length).toBeGreaterThan(0);
      const bad = (io.stdout + io.stderr).split('\n').filter((l) => /[^\x00-\x7f]/.test(l));
      expect(bad).toEqual([]);
    });
  }
});
