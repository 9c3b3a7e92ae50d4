import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { VARIANTS } from '../vocab/index.ts';

const OK_FILE = `name: ok-one
doc: d
source: s
devices:
  nic: { ssid_bits: 8 }
steps:
  - bind: { dev: nic, mm: A }
    expect: 1
`;
const NO_FILE = OK_FILE.replace('name: ok-one', 'name: no-one').replace('expect: 1', 'expect: { upstream: 1, v1: 1, v2: 7, per-device: 1 }');
const BAD_FILE = OK_FILE.replace('name: ok-one', 'name: bad-one').replace('bind: { dev: nic, mm: A }', 'bind: { dev: gpu, mm: A }');
const CONTRACT_FILE = OK_FILE.replace('name: ok-one', 'name: contract-one') + '  - mm_exit: A\n  - bind: { dev: nic, mm: A }\n';

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-litmus-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(argv: string[], cwd?: string) {
  const io = bufferIo(cwd);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

const noStackOrWideLines = (text: string) => {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  expect(text).toMatch(/^[\x00-\x7f]*$/);
};

describe('svacheck litmus', () => {
  it('exit 0 and herd-style lines when every expectation holds', async () => {
    const dir = fixture({ 'a.litmus.yaml': OK_FILE });
    const r = await run(['litmus', 'a.litmus.yaml'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Ok        upstream    ok-one\n');
    expect(r.out).toContain('Ok        per-device  ok-one\n');
    expect(r.out).toMatch(/^v2: +1 Ok, 0 No, 0 Malformed \(1 scenario\)$/m);
    noStackOrWideLines(r.out);
  });

  it('exit 1 when an expectation fails, naming file, line, step, expected and actual', async () => {
    const dir = fixture({ 'n.litmus.yaml': NO_FILE });
    const r = await run(['litmus', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('No        v2          no-one\n');
    expect(r.out).toMatch(/n\.litmus\.yaml:7: step 1: bind \{dev: nic, mm: A\}\n +expected 7, got 1/);
    expect(r.out).toContain('Ok        v1          no-one\n');
    noStackOrWideLines(r.out);
  });

  it('exit 2 for a malformed file among good ones, and the good ones are still reported', async () => {
    const dir = fixture({ 'a.litmus.yaml': OK_FILE, 'b.litmus.yaml': BAD_FILE, 'sub/n.yaml': NO_FILE, 'notes.txt': 'ignored' });
    const r = await run(['litmus', '.'], dir);
    expect(r.code).toBe(2);
    expect(r.out).toContain('Ok        v2          ok-one');
    expect(r.out).toMatch(/Malformed +- +b\.litmus\.yaml\n +b\.litmus\.yaml:7: step 1: bind: unknown device 'gpu'/);
    expect(r.out).toContain('No        v2          no-one');                // from sub/, found recursively
    expect(r.out).toContain('1 file malformed: not run in any variant');
    noStackOrWideLines(r.out);
  });

  it('exit 2 for a caller-contract breach, naming step and rule', async () => {
    const dir = fixture({ 'c.litmus.yaml': CONTRACT_FILE });
    const r = await run(['litmus', 'c.litmus.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/Malformed +v1 +contract-one\n +c\.litmus\.yaml:10: step 3: bind \{dev: nic, mm: A\}\n +breaks the caller contract \(C2\): mm A has exited/);
  });

  it('--variant narrows the run (repeatable and comma lists); an unknown one is a usage error', async () => {
    const dir = fixture({ 'n.litmus.yaml': NO_FILE });
    const one = await run(['litmus', '--variant', 'v1,per-device', '--variant', 'upstream', 'n.litmus.yaml'], dir);
    expect(one.code).toBe(0);                                            // v2, the failing one, not run
    expect(one.out).not.toContain(' v2 ');
    expect(one.out.match(/^Ok /gm)).toHaveLength(3);
    const bad = await run(['litmus', '--variant', 'v3', 'n.litmus.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(`svacheck litmus: unknown variant 'v3' (known: ${VARIANTS.join(', ')}; or the path of a design file, ./my-design.ts)\n`);
  });

  it('a missing path or an unknown option is a usage error (exit 2), no stack trace', async () => {
    const missing = await run(['litmus', 'nope.yaml'], fixture({}));
    expect(missing).toMatchObject({ code: 2, out: '', err: 'svacheck litmus: no such file or directory: nope.yaml\n' });
    const opt = await run(['litmus', '--frobnicate']);
    expect(opt).toMatchObject({ code: 2, err: 'svacheck litmus: unknown option --frobnicate\n' });
  });

  it('--json: version, per file and variant verdicts with failures, summary', async () => {
    const dir = fixture({ 'a.litmus.yaml': OK_FILE, 'b.litmus.yaml': BAD_FILE, 'n.litmus.yaml': NO_FILE });
    const r = await run(['litmus', '--json', '.'], dir);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out);
    expect(j.version).toBe(1);
    expect(j.variants).toEqual([...VARIANTS]);
    expect(j.variants).toContain('dma-pasid-2021');
    expect(j.files.map((f: { file: string }) => f.file)).toEqual(['a.litmus.yaml', 'b.litmus.yaml', 'n.litmus.yaml']);
    expect(j.files[1]).toMatchObject({ name: null, verdicts: [], errors: [{ file: 'b.litmus.yaml', line: 7, step: 1 }] });
    const no = j.files[2].verdicts.find((v: { variant: string }) => v.variant === 'v2');
    expect(no).toMatchObject({ verdict: 'No', failures: [{ kind: 'expect', step: 1, line: 7, expected: '7', actual: '1' }] });
    expect(no.rules).toContain('S3');
    expect(j.summary.v2).toEqual({ ok: 1, no: 1, malformed: 0, crash: 0 });
    expect(j.coverage).toBeUndefined();
  });

  it('--format json is --json; --format pdf is a usage error', async () => {
    const dir = fixture({ 'a.litmus.yaml': OK_FILE });
    const a = await run(['litmus', '--format', 'json', '.'], dir);
    const b = await run(['litmus', '--json', '.'], dir);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect((await run(['litmus', '--format', 'pdf', '.'], dir)).code).toBe(2);
  });

  it('a bundled scenario by its name, from any directory; a minimal file (name, devices, steps) runs', async () => {
    const dir = fixture({ 'min.litmus.yaml': 'name: min\ndevices:\n  accel: { ssid_bits: 2 }\nsteps:\n  - bind: { dev: accel, mm: A }\n    expect: 1\n' });
    const r = await run(['litmus', 'v1-reuse-bug', '--variant', 'v2'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Ok +v2 +v1-reuse-bug$/m);
    const m = await run(['litmus', 'min.litmus.yaml'], dir);
    expect(m.code, m.out + m.err).toBe(0);
    const replay = await run(['replay', 'v2-second-device-same-pasid', '--variant', 'v2'], dir);
    expect(replay.code).toBe(0);
    expect(replay.out).toMatch(/^v2-second-device-same-pasid in v2$/m);
    for (const l of replay.out.split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);   // pasteable like the report
  });

  it('the bundled library by default: every scenario Ok, located beside the package, not the cwd', async () => {
    const r = await run(['litmus'], fixture({}));
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/^(No|Malformed|Crash) /m);
    expect(r.out).toMatch(/^per-device: +\d+ Ok, 0 No, 0 Malformed/m);
    noStackOrWideLines(r.out);
  });

  it('--coverage on the bundled library lists each rule with its scenarios and errnos per variant; every API rule is covered', async () => {
    const r = await run(['litmus', '--coverage']);
    expect(r.out).toMatch(/^Rule coverage: \d+ of \d+ API rules fired$/m);
    expect(r.out).toMatch(/^V4 +x +1: v1-reuse-bug$/m);
    expect(r.out).toMatch(/^ +v2 +EBUSY\(\d+\) EINVAL\(\d+\) ENODEV\(\d+\) ENOSPC\(\d+\) EOPNOTSUPP\(\d+\) EOVERFLOW\(\d+\)$/m);
    expect(r.out).not.toMatch(/UNCOVERED$/m);
    expect(r.code).toBe(0);
    noStackOrWideLines(r.out);
    const j = JSON.parse((await run(['litmus', '--coverage', '--json'])).out);
    expect(j.coverage.uncovered).toEqual([]);
    expect(j.coverage.errnos.upstream.missing).toEqual([]);
  });

  it('--coverage on a user file reports gaps without failing on them', async () => {
    const r = await run(['litmus', '--coverage', 'a.litmus.yaml'], fixture({ 'a.litmus.yaml': OK_FILE }));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^S3 +x +x +x +\. +1: ok-one$/m);
  });
});

describe('svacheck (no arguments)', () => {
  it('the report opens with the scenario x variant table and a summary per variant, exit 0', async () => {
    const r = await run(['--runs', '5']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scenario +upstream +v1 +v2 +per-dev +sva18 +ioas20 +dma21$/m);
    expect(r.out).toMatch(/^v1-reuse-bug +- +Ok +Ok +Ok +- +- +-$/m);
    expect(r.out).toMatch(/^refcounted-rebind +Ok +Ok +Ok +Ok +- +- +-$/m);
    expect(r.out).toMatch(/^per-device-lifts-limits +- +- +- +Ok +- +- +-$/m);
    expect(r.out).toMatch(/^dma-pasid-2021-one-ssid-device +Ok +- +- +- +- +- +Ok$/m);
    expect(r.out).toMatch(/^ioasid-2020-system-set-quota +- +- +- +- +- +Ok +-$/m);
    for (const v of VARIANTS) expect(r.out).toMatch(new RegExp(`^${v} +\\d+ Ok, 0 No, 0 Malformed, 0 Crash`, 'm'));
    noStackOrWideLines(r.out);
  });
});
