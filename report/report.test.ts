// The review report, checked against real output: text is ASCII and at most 80 columns, the
// JSON validates against report/schema.json, markdown carries the same sections, and the
// findings the seed thread is about are there with a replay command.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledConfig } from '../model/index.ts';
import { main } from '../cli/main.ts';
import { bufferIo } from '../cli/io.ts';
import { buildReport, DEFAULT_SEED, specHash, type ReportData } from './build.ts';
import { renderMarkdown, renderText } from './render.ts';

let report: ReportData;
beforeAll(async () => {
  report = await buildReport({ modelConfig: loadBundledConfig('seed-small'), configArg: 'seed-small', runs: 30 });
});

describe('the review report', () => {
  it('text: plain ASCII, at most 80 columns, every section, version, spec hash and seed', () => {
    const text = renderText(report);
    const wide = text.split('\n').filter((l) => l.length > 80);
    expect(wide).toEqual([]);
    expect(text).toMatch(/^[\x0a\x20-\x7e]*$/);
    for (const s of ['1. Litmus library', '2. Model checking', '3. Variant differences', '4. Conformance', '5. Findings', 'Verdict:'])
      expect(text).toContain(s);
    expect(text).toContain(`spec ${specHash()}  seed ${DEFAULT_SEED}`);
  });
  it('JSON validates against its schema', () => {
    const schema = JSON.parse(readFileSync(new URL('./schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const ok = validate(JSON.parse(JSON.stringify(report)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(validate({ ...report, schema: 'svacheck-report/0' })).toBe(false);
  });
  it('markdown has the tables and one heading per finding', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('| scenario | upstream | v1 | v2 | per-device |');
    expect(md.match(/^### F\d+\. /gm)?.length).toBe(report.findings.length);
  });
  it('every check held; the findings the seed is about are there, each with a replay command', () => {
    expect(report.exitCode).toBe(0);
    expect(report.model.every((m) => m.exhaustive)).toBe(true);
    expect(report.conformance.every((c) => c.ok)).toBe(true);
    const kinds = (k: string) => report.findings.filter((f) => f.kind === k);
    expect(kinds('invariant-violation').map((f) => [f.variants[0], f.rule, f.expected])).toEqual([['per-device', 'G2', true]]);
    expect(kinds('availability').map((f) => f.rule)).toEqual(expect.arrayContaining(['A2', 'V10']));
    const upstreamV2 = kinds('variant-difference').find((f) => f.variants.join() === 'upstream,v2');
    expect(upstreamV2?.rule).toBe('V7');                                   // v2 rolls back where upstream keeps (S6)
    expect(upstreamV2?.explanation).toContain('S6');
    expect(kinds('code-message-mismatch').map((f) => f.rule)).toEqual(['V3-same']);
    for (const f of report.findings) expect(f.replay).toMatch(/^npx svacheck (check|diff|replay|conform) /);
  });
  it('the CLI refuses bad options and a bad config with a location, exit 2, no stack trace', async () => {
    const io = bufferIo();
    expect(await main(['--format', 'pdf'], io)).toBe(2);
    expect(io.stderr).toContain("--format must be text, markdown or json, got 'pdf'");
    const io2 = bufferIo();
    expect(await main(['report', '--config', 'no/such.yaml'], io2)).toBe(2);
    expect(io2.stderr).toMatch(/no\/such\.yaml/);
    expect(io2.stderr).not.toMatch(/\n\s+at /);
  });
  it('the CLI prints JSON for --json, restricted to a variant', async () => {
    const io = bufferIo();
    expect(await main(['--json', '--variant', 'v2', '--runs', '5'], io)).toBe(0);
    const r = JSON.parse(io.stdout) as ReportData;
    expect(r.model.map((m) => m.variant)).toEqual(['v2']);
    expect(r.litmus.summary.map((s) => s.variant)).toEqual(['v2']);
  });
});
