import { describe, expect, test } from 'vitest';
import { bufferIo, EXIT } from '../io.ts';
import { UsageError } from '../args.ts';
import { command } from './mutants.ts';

describe('svacheck mutants', () => {
  test('prints the kill table for the named mutants and exits 0 when all are caught', async () => {
    const io = bufferIo();
    const code = await command.run(['exit-keeps-cds-live', 'v2-mixing-allowed'], io);
    expect(code).toBe(EXIT.OK);
    const lines = io.stdout.split('\n');
    expect(lines[0]).toMatch(/^mutant +\| rule +\| caught in +\| caught by \(check\) +\| trace \| time$/);
    expect(io.stdout).toMatch(/exit-keeps-cds-live +\| U3-exit +\| 4\/4 +\| invariant dmaReachesOnlyBoundLiveMm \(M4\) \[upstream\] \| 2 /);
    expect(io.stdout).toMatch(/v2-mixing-allowed +\| V2 +\| 2\/2 +\| result mismatch/);
    expect(io.stdout).toContain('2/2 mutants caught in every variant they break');
  });

  test('--json gives the same rows as data, and with --show each row carries its litmus counterexamples (one JSON document)', async () => {
    const io = bufferIo();
    expect(await command.run(['enqcmd-pasid-for-local-mm', '--json', '--show'], io)).toBe(EXIT.OK);
    const json = JSON.parse(io.stdout) as { rows: { mutant: string; caught: string[]; shortest: { check: string; traceLength: number }; counterexamples: { variant: string; litmus: string }[] }[] };
    expect(json.rows[0]).toMatchObject({ mutant: 'enqcmd-pasid-for-local-mm', caught: ['v1', 'v2'], shortest: { check: 'result' } });
    expect(json.rows[0].counterexamples.map((c) => c.variant)).toEqual(['v1', 'v2']);
    expect(json.rows[0].counterexamples[1].litmus).toContain('enqcmd_pasid: A');
    const text = bufferIo();
    expect(await command.run(['enqcmd-pasid-for-local-mm', '--show'], text)).toBe(EXIT.OK);
    expect(text.stdout).toContain('--- enqcmd-pasid-for-local-mm [v2]');
  });

  test('--list --json is JSON: every mutant with its rule, variants and description', async () => {
    const io = bufferIo();
    expect(await command.run(['--list', '--json'], io)).toBe(EXIT.OK);
    const json = JSON.parse(io.stdout) as { mutants: { name: string; rule: string; variants: string[]; description: string }[] };
    expect(json.mutants.length).toBeGreaterThan(5);
    expect(json.mutants.find((m) => m.name === 'v2-mixing-allowed')).toMatchObject({ rule: 'V2' });
  });

  test('an unknown mutant is a usage error', async () => {
    await expect(command.run(['no-such-mutant'], bufferIo())).rejects.toBeInstanceOf(UsageError);
  });
});
