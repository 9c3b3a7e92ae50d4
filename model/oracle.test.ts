// The regression oracle: the shared benchmark configurations' distinct-state and transition
// counts, reproduced exactly by an independent model of the v2 semantics in another model
// checker. The table is read in place from ../shared/bench/README.md (never copied here); the
// test skips, saying why, where that folder is absent. Only config A runs here (a few
// seconds); B1 and B2 are `npm run bench` rows.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { loadConfigFile } from './config.ts';

const BENCH = fileURLToPath(new URL('../../shared/bench/', import.meta.url));
const present = existsSync(`${BENCH}README.md`) && existsSync(`${BENCH}A.yaml`);
if (!present) console.log(`oracle.test: skipped, ${BENCH} is absent (the shared benchmark configurations live beside the project)`);

/** The README's table row of a config: states and transitions without symmetry, states with. */
function oracleRow(name: string): { off: number; transitions: number; on: number } {
  const row = readFileSync(`${BENCH}README.md`, 'utf8').split('\n').find((l) => l.startsWith(`| ${name} `));
  if (!row) throw new Error(`no row for ${name} in the bench README`);
  const cells = row.split('|').map((c) => c.trim());
  const num = (s: string) => Number(s.replace(/,/g, ''));
  return { off: num(cells[5]), transitions: num(cells[6]), on: num(cells[7]) };
}

describe.skipIf(!present)('the shared regression oracle', () => {
  it('config A: distinct states and transitions without symmetry, distinct states with, exactly as the independent model', () => {
    const want = oracleRow('A');
    const mc = loadConfigFile(`${BENCH}A.yaml`);
    const off = check(mc, 'v2', { symmetry: false, continue: true });
    expect(off.exhaustive).toBe(true);
    expect([off.stats.distinct, off.stats.transitions]).toEqual([want.off, want.transitions]);
    expect(check(mc, 'v2', { continue: true }).stats.distinct).toBe(want.on);
  });
});
