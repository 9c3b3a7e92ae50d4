// The review report, checked against real output: text is ASCII and at most 80 columns, the
// JSON validates against report/schema.json, markdown carries the same sections, and the
// findings the seed thread is about are there with a replay command.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledConfig } from '../model/index.ts';
import { INVARIANTS, variantByName } from '../spec/index.ts';
import { main } from '../cli/main.ts';
import { bufferIo } from '../cli/io.ts';
import { buildReport, DEFAULT_SEED, specHash, type ReportData } from './build.ts';
import { commandLines, renderMarkdown, renderText } from './render.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLitmus, runLitmus } from '../conformance/litmus/index.ts';

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
    expect(md.match(/^### [a-z]+-[A-Za-z0-9.-]+: /gm)?.length).toBe(report.findings.length);
    // Each trace once, in its finding; section 3 links to it.
    for (const f of report.findings) expect(md.split(`name: ${/^name: (\S+)/m.exec(f.litmus)?.[1]}`).length - 1, f.id).toBe(1);
    expect(md).toContain('(finding [diff-upstream-v2](#diff-upstream-v2))');
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

/** Every `npx svacheck ...` command a text prints, as the words a shell would pass. */
function commandsIn(text: string): string[][] {
  return [...text.replace(/ \\\n\s*/g, ' ').matchAll(/npx svacheck ([^\n]*)/g)].map((m) => {
    const words: string[] = [];
    for (const w of m[1].matchAll(/'([^']*)'|(\S+)/g)) words.push(w[1] ?? w[2]);
    return words;
  });
}

/** The shortest traces a text report prints, each as the lines a reader would save. */
function tracesIn(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^   shortest trace/.test(lines[i])) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].startsWith('     '); i++) body.push(lines[i].slice(5));
    out.push(body.join('\n') + '\n');
  }
  return out;
}

describe('the text report is pasteable into a mail', () => {
  let text = '';
  beforeAll(() => { text = renderText(report); });

  it('every line: ASCII, at most 80 columns, no trailing blank, no word cut at the margin', () => {
    const words = new Set(text.split(/\s+/).filter(Boolean));
    const bad: string[] = [];
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (l.length > 80) bad.push(`${i + 1}: longer than 80: ${l}`);
      if (/[^\x20-\x7e]/.test(l)) bad.push(`${i + 1}: not ASCII: ${l}`);
      if (/\s$/.test(l)) bad.push(`${i + 1}: trailing blank: ${JSON.stringify(l)}`);
      // A word cut at the margin leaves a fragment at the end of the line and another at the
      // start of the next, each alone not a word of the text, together one.
      const next = lines[i + 1] ?? '';
      const tail = /(\S+)$/.exec(l)?.[1], head = /^\s*(\S+)/.exec(next)?.[1];
      if (l.length >= 76 && tail && head && words.has(tail + head) && !words.has(tail)) bad.push(`${i + 1}: word cut: ${tail}|${head}`);
    });
    expect(bad).toEqual([]);
  });

  it('continuation lines indent consistently (2 for prose, 3 under a finding), never at a label width', () => {
    const findingHeads = text.split('\n').filter((l) => /^(inv|avail|diff|msg|conform|litmus)-\S+ \[/.test(l));
    expect(findingHeads.length).toBe(report.findings.length);
    for (const l of text.split('\n')) expect(l, l).not.toMatch(/^ {16,}\S/);
  });

  it('each trace is printed once: section 3 names the finding that holds it', () => {
    for (const f of report.findings) {
      const name = /^name: (\S+)/m.exec(f.litmus)?.[1];
      expect(text.split(`name: ${name}`).length - 1, f.id).toBe(1);
    }
    for (const f of report.findings.filter((x) => x.kind === 'variant-difference')) expect(text).toContain(`(finding ${f.id})`);
  });

  it('every trace, saved as printed, is a runnable litmus file that holds on the spec', async () => {
    const traces = tracesIn(text);
    expect(traces.length).toBe(report.findings.length);
    for (const t of traces) {
      const parsed = parseLitmus(t, 'saved.litmus.yaml');
      expect(parsed.ok ? [] : parsed.errors, t).toEqual([]);
      if (!parsed.ok) continue;
      for (const v of parsed.litmus.doc.variants ?? []) expect((await runLitmus(parsed.litmus, v)).verdict, `${parsed.litmus.doc.name} ${v}`).toBe('Ok');
    }
  });

  it('a command is never wrapped: it ends its line, and the next line does not continue it', () => {
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (!l.includes('npx svacheck')) return;
      expect(l, l).toMatch(/npx svacheck \S/);
      const indent = (x: string) => /^ */.exec(x)![0].length;
      const next = lines[i + 1] ?? '';
      // Continued only as a shell would read it: a trailing backslash.
      if (next.trim() !== '' && !/^-+$/.test(next) && !l.endsWith(' \\')) expect(indent(next), `${l}\n${next}`).toBeLessThanOrEqual(indent(l));
    });
  });

  it('every printed command runs from another directory: no usage error, no crash', async () => {
    const cmds = commandsIn(text);
    expect(cmds.length).toBeGreaterThanOrEqual(report.findings.length);
    const elsewhere = mkdtempSync(join(tmpdir(), 'svacheck-paste-'));
    try {
      for (const words of cmds) {
        const io = bufferIo(elsewhere);
        const code = await main(words, io);
        expect([0, 1], `npx svacheck ${words.join(' ')}: ${io.stderr}`).toContain(code);
      }
    } finally { rmSync(elsewhere, { recursive: true, force: true }); }
  }, 120_000);

  it('every rule id it prints is in the catalogue that svacheck rules lists', async () => {
    const io = bufferIo();
    expect(await main(['rules'], io)).toBe(0);
    const ids = [...text.matchAll(/\(([A-Z][0-9]+(?:-[a-z0-9]+)?)\)|\b(?:applies|rule) ([A-Z][0-9]+(?:-[a-z0-9]+)?)\b/g)].map((m) => m[1] ?? m[2]);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of new Set(ids)) expect(io.stdout, id).toMatch(new RegExp(`^${id} `, 'm'));
  });
});

describe('commandLines', () => {
  it('keeps a command on one line when it fits, else breaks it with shell continuations within 80 columns', () => {
    expect(commandLines('   replay: ', 'npx svacheck diff upstream v2 seed-small')).toEqual(['   replay: npx svacheck diff upstream v2 seed-small']);
    const long = `npx svacheck conform --impl builtin --variant v2 --seed 20260521 --path '${'1:'.repeat(20)}@ABCDEFABCDEF'`;
    const lines = commandLines('   replay: ', long);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines.slice(0, -1).every((l) => l.endsWith(' \\'))).toBe(true);
    expect(lines.map((l) => l.replace(/ \\$/, '').trim()).join(' ').replace(/^replay: /, '')).toBe(long);
    const quoted = commandLines('   replay: ', `npx svacheck conform --impl 'exec:node ${'x'.repeat(30)}.mjs --flag value' --variant v2 --seed 1`);
    expect(quoted.some((l) => /'exec:node x+\.mjs --flag value'/.test(l))).toBe(true);
  });
});

describe('finding ids and parts of the report', () => {
  it('ids are derived from content: the same finding keeps its id when other variants are left out', async () => {
    const narrow = await buildReport({ modelConfig: loadBundledConfig('seed-small'), configArg: 'seed-small', runs: 5, variants: ['upstream', 'v2'] });
    for (const f of narrow.findings) {
      const same = report.findings.find((x) => x.id === f.id);
      expect(same?.kind, f.id).toBe(f.kind);
      expect(same?.rule, f.id).toBe(f.rule);
    }
    expect(narrow.findings.map((f) => f.id)).toContain('diff-upstream-v2');
    expect(new Set(report.findings.map((f) => f.id)).size).toBe(report.findings.length);
  });

  it('--finding prints the header and that finding only; --section the header and those sections', async () => {
    const io = bufferIo();
    expect(await main(['--finding', 'diff-upstream-v2', '--runs', '5'], io)).toBe(0);
    expect(io.stdout).toMatch(/^svacheck \S+ review report/);
    expect(io.stdout).toContain('diff-upstream-v2 [Variants differ]');
    expect(io.stdout).not.toContain('diff-upstream-v1 [');
    expect(io.stdout).not.toContain('1. Litmus library');
    const io2 = bufferIo();
    expect(await main(['--section', '2,findings', '--runs', '5'], io2)).toBe(0);
    expect(io2.stdout).toContain('2. Model checking');
    expect(io2.stdout).toContain('5. Findings');
    expect(io2.stdout).not.toContain('3. Variant differences');
    const io3 = bufferIo();
    expect(await main(['--finding', 'F3', '--runs', '5'], io3)).toBe(2);
    expect(io3.stderr).toContain('no finding F3 in this report (it has: ');
    const io4 = bufferIo();
    expect(await main(['--section', '9'], io4)).toBe(2);
  }, 60_000);

  it('the model table counts the invariants that apply to each variant, not the configuration\'s whole list', () => {
    const applying = (name: string) => INVARIANTS.filter((i) => !i.appliesTo || i.appliesTo(variantByName(name)!)).map((i) => i.name);
    for (const m of report.model) expect(m.invariants, m.variant).toBe(applying(m.variant).length);
    expect(report.model.find((m) => m.variant === 'upstream')!.invariants).toBeLessThan(INVARIANTS.length);
    expect(applying('sva-2018')).toContain('exitedPasidNotReusedWhileBound');
    expect(applying('upstream')).not.toContain('exitedPasidNotReusedWhileBound');
  });

  it('the model table stays aligned with 8-digit state counts', () => {
    const big = { ...report, model: report.model.map((m, i) => ({ ...m, distinct: i === 0 ? 12_345_678 : m.distinct })) };
    const lines = renderText(big, { sections: ['model'] }).split('\n');
    const head = lines.find((l) => l.startsWith('variant '))!;
    const end = head.indexOf('states') + 'states'.length;
    const rows = lines.filter((l) => /^(upstream|v1|v2|per-device|sva-2018|ioasid-2020|dma-pasid-2021) /.test(l));
    expect(rows.length).toBe(report.model.length);
    for (const r of rows) {
      expect(r[end - 1], r).toMatch(/\d/);
      expect(r[end], r).toBe(' ');
      expect(r.length, r).toBeLessThanOrEqual(80);
    }
  });

  it('report --help keeps every option apart from its description, within 80 columns', async () => {
    const io = bufferIo();
    expect(await main(['report', '--help'], io)).toBe(0);
    for (const l of io.stdout.split('\n')) {
      expect(l.length, l).toBeLessThanOrEqual(80);
      // An option and its description on one line: two blanks at least between them.
      const m = /^ {2}((?:-\w, )?--\S+(?: <[^>]+>)?)(.*)$/.exec(l);
      if (m && m[2] !== '') expect(m[2], l).toMatch(/^ {2,}\S/);
    }
  });
});
