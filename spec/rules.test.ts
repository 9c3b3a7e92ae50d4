// The rule catalogue is the map from kernel facts to spec code: every API rule is named by
// some guard or effect in spec/, and every rule id the spec names is in the catalogue.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRNOS } from '../vocab/index.ts';
import { RULES, rulesOf } from './rules.ts';

const dir = new URL('.', import.meta.url);
const sources = ['step.ts', 'sva.ts', 'ops.ts', 'contract.ts', 'driver.ts', 'invariants.ts', ...readdirSync(new URL('variants/', dir)).map((f) => `variants/${f}`)]
  .filter((f) => !f.endsWith('.test.ts'))
  .map((f) => readFileSync(new URL(f, dir), 'utf8'))
  .join('\n');

describe('rule catalogue', () => {
  it('ids are unique and every entry has a statement and a source', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.statement.length, r.id).toBeGreaterThan(20);
      // A public source: a kernel file and function, a mail's subject and date, or svacheck's own docs.
      expect(r.source, r.id).toMatch(/drivers\/|include\/|arch\/|kernel\/|\[PATCH|svacheck/);
      expect(r.source, r.id).not.toMatch(/DESIGN\.md|domain\.md|seeds\//);
    }
  });
  it('every rule is named by spec code', () => {
    const unnamed = RULES.filter((r) => !sources.includes(`'${r.id}'`)).map((r) => r.id);
    expect(unnamed).toEqual([]);
  });
  it('every rule id the spec names is in the catalogue', () => {
    const named = [...sources.matchAll(/'([A-Z][0-9]+(?:-[a-z0-9]+)?)'/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(40);
    const known = new Set<string>(RULES.map((r) => r.id));
    expect(named.filter((id) => !known.has(id))).toEqual([]);
  });
  it('error rules carry kernel errno names', () => {
    for (const r of RULES) if (r.errno) expect(ERRNOS).toContain(r.errno);
    expect(rulesOf('upstream').some((r) => r.id === 'V2')).toBe(false);
    expect(rulesOf('v2').some((r) => r.id === 'V2')).toBe(true);
  });
});
