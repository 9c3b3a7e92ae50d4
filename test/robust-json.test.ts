// docs/exit-codes.md promises: --json output is byte-identical across runs, the documented
// timing fields aside. Each command twice, those fields removed, compared as text.
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';

const TIMINGS = new Set(['seconds', 'transitionsPerSecond', 'distinctPerSecond', 'timeMs']);
const strip = (text: string): string => JSON.stringify(JSON.parse(text), (k, v) => (TIMINGS.has(k) ? undefined : v), 2);
async function json(argv: string[]): Promise<string> {
  const io = bufferIo();
  await main(argv, io);
  return io.stdout;
}

describe('--json is stable across runs apart from the documented timing fields', () => {
  it.each([
    [['check', 'twins', '--json']],
    [['diff', 'v1', 'v2', 'twins', '--json']],
    [['walk', 'twins', '--seed', '5', '--walks', '5', '--json']],
    [['conform', '--impl', 'builtin', '--seed', '4', '--runs', '5', '--json']],
    [['mutants', 'v2-mixing-allowed', '--runs', '20', '--json']],
    [['litmus', '--json']],
  ])('%j', async (argv) => {
    const [a, b] = [await json(argv), await json(argv)];
    expect(strip(a)).toBe(strip(b));
    expect(strip(a).length).toBeGreaterThan(100);
  });

  it('the timing fields are the only ones removed (a check run has each of them)', async () => {
    const j = JSON.parse(await json(['check', 'twins', '--variant', 'v2', '--json'])) as { results: { stats: Record<string, unknown> }[] };
    expect(Object.keys(j.results[0].stats).filter((k) => TIMINGS.has(k)).sort()).toEqual(['distinctPerSecond', 'seconds', 'transitionsPerSecond']);
  });
});
