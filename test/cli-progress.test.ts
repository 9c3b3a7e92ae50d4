// Progress lines go to stderr also when it is not a terminal (here: a pipe), once a run takes
// longer than the threshold (set to 0 here so the test needs no clock); --no-progress silences
// them; stdout, the report itself, is the same either way.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/svacheck.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'report', '--section', 'conformance', '--runs', '2', '--variant', 'v2', ...args],
  { encoding: 'utf8', env: { ...process.env, SVACHECK_PROGRESS_AFTER_MS: '0' } });

describe('progress lines', () => {
  let loud: ReturnType<typeof run>;
  beforeAll(() => { loud = run(); });
  it('reach a non-terminal stderr by default, one per step, and stay off stdout', () => {
    const r = loud;
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^svacheck report \[\d+\.\ds\] litmus library$/m);
    expect(r.stderr).toMatch(/^svacheck report \[\d+\.\ds\] conformance v2$/m);
    expect(r.stdout).not.toContain('svacheck report [');
  });
  it('--no-progress silences them; the report is unchanged', () => {
    const quiet = run('--no-progress');
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(loud.stdout);
  });
});
