/**
 * Every mutant fixture is caught by the conformance property tests in every variant it
 * breaks; its shrunk trace replays as a failure against the mutant and passes against the
 * built-in implementation; the kill table (trace lengths, checks) is printed.
 */
import { describe, expect, test } from 'vitest';
import { createBuiltinAdapter } from '../impl/index.ts';
import { formatKillTable, killMutant, type KillRow } from './killTable.ts';
import { runTrace } from './lockstep.ts';
import { MUTANT_FIXTURES } from './mutants/index.ts';

const REQUIRED = [
  'v2-keeps-idle-local-pasid', 'local-pasid-freed-at-exit', 'global-pasid-freed-at-unbind', 'no-handle-refcount',
  'max-pasids-off-by-one', 'pasid0-attach-accepted', 'v2-mixing-allowed', 'v2-failed-first-bind-kept',
  'cd-not-zeroed-on-detach', 'exit-keeps-cds-live', 'enqcmd-pasid-for-local-mm', 'domain-reuse-across-iommus',
];

describe('mutant fixtures', () => {
  test('at least 12, uniquely named, each with a rule, a description and the variants it breaks', () => {
    expect(MUTANT_FIXTURES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(MUTANT_FIXTURES.map((m) => m.name)).size).toBe(MUTANT_FIXTURES.length);
    for (const name of REQUIRED) expect(MUTANT_FIXTURES.map((m) => m.name)).toContain(name);
    for (const m of MUTANT_FIXTURES) {
      expect(m.rule).toMatch(/^[A-Z]\d/);
      expect(m.description.length).toBeGreaterThan(20);
      expect(m.variants.length).toBeGreaterThan(0);
    }
  });

  const rows: KillRow[] = [];
  for (const m of MUTANT_FIXTURES) {
    test(`${m.name} (${m.rule}) is caught in ${m.variants.join(', ')}`, async () => {
      const row = await killMutant(m);
      rows.push(row);
      expect(row.caught).toEqual(m.variants);
      for (const report of row.reports) {
        const f = report.failure!;
        expect(f.trace.length).toBeGreaterThan(0);
        expect(f.trace.length).toBeLessThanOrEqual(12);   // shrunk: a person can read it
        // The shrunk trace alone reproduces the failure, and the correct implementation passes it.
        const again = await runTrace(m.create(), f.setup, report.variant, f.trace);
        expect(again.failure?.check).toBe(f.check);
        expect(again.failure?.step).toBe(f.trace.length);
        const builtin = await runTrace(createBuiltinAdapter(), f.setup, report.variant, f.trace);
        expect(builtin.failure).toBeNull();
      }
    });
  }

  test('kill table', () => {
    const table = formatKillTable(rows);
    console.info(table);
    expect(table).toContain(`${MUTANT_FIXTURES.length}/${MUTANT_FIXTURES.length} mutants caught`);
  });
});
