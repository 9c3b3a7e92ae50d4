// svacheck rules: every rule id any output can print is explained, docs/rules.md is what the
// command generates, and an unknown id is a usage error naming the known ones.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AVAILABILITY, INVARIANTS, RULES } from '../../spec/index.ts';
import { bufferIo } from '../io.ts';
import { main } from '../main.ts';
import { ruleEntries, rulesMarkdown } from './rules.ts';

describe('svacheck rules', () => {
  it('lists every id the spec decides by, invariants carry and the model checker finds', async () => {
    const io = bufferIo();
    expect(await main(['rules'], io)).toBe(0);
    const printable = new Set([...RULES.map((r) => r.id), ...INVARIANTS.map((i) => i.rule), ...Object.values(AVAILABILITY).map((a) => a.rule)]);
    for (const id of printable) expect(io.stdout, id).toMatch(new RegExp(`^${id} +\\S`, 'm'));
    expect(ruleEntries().length).toBe(printable.size);
    for (const l of io.stdout.split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);
  });

  it('explains one id: statement, variants, source (kernel function)', async () => {
    const io = bufferIo();
    expect(await main(['rules', 'S6'], io)).toBe(0);
    expect(io.stdout).toMatch(/^S6 +Upstream publishes the new PASID before attach/);
    expect(io.stdout).toContain('variants: upstream');
    expect(io.stdout).toContain('source: drivers/iommu/iommu-sva.c iommu_alloc_mm_data');
  });

  it('refuses an unknown id with the list of known ones', async () => {
    const io = bufferIo();
    expect(await main(['rules', 'Z9'], io)).toBe(2);
    expect(io.stderr).toMatch(/no rule Z9 \(known: A1 /);
  });

  it('docs/rules.md has a row for every rule (no group left out)', () => {
    const md = rulesMarkdown();
    for (const e of ruleEntries()) expect(md, e.id).toContain(`| ${e.id} |`);
  });

  it('docs/rules.md is up to date (regenerate: npx svacheck rules --format markdown > docs/rules.md)', () => {
    expect(readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8')).toBe(rulesMarkdown() + '\n');
  });
});
