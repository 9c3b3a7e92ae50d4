// A design is a file: `--variant ./my-design.ts` from a directory outside the repository, run
// through litmus, check, diff, walk and replay like a built-in variant.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { loadManifest } from '../model/config.ts';

async function run(argv: string[], cwd: string) {
  const io = bufferIo(cwd);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

const EXAMPLE = fileURLToPath(new URL('../examples/variants/per-device-over-v2.ts', import.meta.url));
/** A fresh directory outside the repository holding the example design as my-design.ts. */
function outside(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-design-'));
  copyFileSync(EXAMPLE, path.join(dir, 'my-design.ts'));
  return dir;
}

describe('a variant loaded from a file outside the repository', () => {
  const dir = outside();

  it('litmus: the reviewers\' design written over v2 holds every bundled scenario per-device holds', async () => {
    const r = await run(['litmus', '--variant', './my-design.ts'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/per-device-over-v2: 43 Ok, 0 No, 0 Malformed \(43 scenarios\)/);
  });

  it('check: explored exhaustively, as many states as the built-in per-device, its documented finding expected', async () => {
    const r = await run(['check', 'twins', '--variant', './my-design.ts'], dir);
    expect(r.code).toBe(0);
    const want = loadManifest().configs.twins!['per-device']!.distinct;
    expect(r.out).toContain(`${want.toLocaleString('en-US')} distinct states`);
    expect(r.out).toContain('Documented finding: enqcmdPasidIsGlobalAndMeansItsMm');
    expect(r.out).toContain('Transitions: spec/ itself (its actions and caller contract) on flat states.');
  });

  it('diff: equivalent to the built-in per-device, different from v2 (with the shortest witness)', async () => {
    const same = await run(['diff', 'per-device', './my-design.ts', 'twins'], dir);
    expect(same.code).toBe(0);
    const other = await run(['diff', 'v2', './my-design.ts', 'twins'], dir);
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/Different: after \d+ common steps?,/);
    expect(other.out).toContain('per-device-over-v2');
    expect(other.out).toContain('# found by: svacheck diff v2 ./my-design.ts twins');
  });

  it('walk and replay take the file as well', async () => {
    const w = await run(['walk', 'twins', '--variant', './my-design.ts', '--seed', '1', '--walks', '3', '--length', '20'], dir);
    expect(w.code).toBe(0);
    expect(w.out).toContain('Replay: svacheck walk twins --variant ./my-design.ts --seed 1');   // the file, not the design's name
    const file = path.join(dir, 'one.litmus.yaml');
    writeFileSync(file, 'name: one\ndoc: d\nsource: s\ndevices:\n  accel: { ssid_bits: 2 }\nsteps:\n  - bind_pasid: { dev: accel, mm: A, pasid: 1 }\n    expect: 1\n'
      + '  - bind: { dev: accel, mm: A }\n    expect: { v1: EBUSY, v2: EBUSY, per-device: EBUSY }\n');   // K3: one bond per group
    const r = await run(['replay', 'one.litmus.yaml', '--variant', './my-design.ts'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('one in per-device-over-v2');
  });

  it('a file that is not a design is a usage error naming the file and the problem (exit 2)', async () => {
    writeFileSync(path.join(dir, 'bad.ts'), 'export default { name: "v2-copy", ops: [] };\n');
    const bad = await run(['litmus', '--variant', './bad.ts'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--variant ./bad.ts: the variant has no 'bind' function");
    const missing = await run(['check', '--variant', './nope.ts'], dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.ts');
  });

  it('a design in the form before the state interface is a usage error that says what changed, not a crash', async () => {
    writeFileSync(path.join(dir, 'old.ts'), 'export default ({ variants: { v2 } }) => ({ ...v2, name: "old", bind(cfg, st, dev, mm) { return v2.bind(cfg, st, dev); } });\n');
    const old = await run(['litmus', '--variant', './old.ts'], dir);
    expect(old.code).toBe(2);
    expect(old.err).toContain("--variant ./old.ts: 'bind' takes 4 parameters");
    expect(old.err).toContain('bind(w, dev, mm)');
    writeFileSync(path.join(dir, 'oldkit.ts'), 'export default ({ variants: { v2 }, step: { fail } }) => ({ ...v2, name: "oldkit" });\n');
    const oldKit = await run(['check', 'twins', '--variant', './oldkit.ts'], dir);
    expect(oldKit.code).toBe(2);
    expect(oldKit.err).toContain("--variant ./oldkit.ts: its default export, called with svacheck's kit, threw");
    expect(oldKit.err).not.toContain('    at ');
    writeFileSync(path.join(dir, 'buggy.ts'), 'export default ({ variants: { v2 } }) => ({ ...v2, name: "buggy",\n  bind(w, dev, mm) {\n    if (w.pasid(mm) > 0) return undefined.boom;\n    return v2.bind(w, dev, mm);\n  } });\n');
    const buggy = await run(['check', 'twins', '--variant', './buggy.ts'], dir);
    expect(buggy.code).toBe(2);
    expect(buggy.err).toContain("--variant ./buggy.ts: the design's bind threw at line 3: ");
  });
});

describe('conform against a design file', () => {
  it('checks the implementation variant the design answers to (litmusAs) against the design\'s rules', async () => {
    const dir = outside();
    const r = await run(['conform', '--impl', 'builtin', '--variant', './my-design.ts', '--runs', '20', '--seed', '1'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('per-device-over-v2: 43 Ok, 0 No, 0 Malformed (43 scenarios)');
    expect(r.out).toMatch(/per-device-over-v2 on the seed setup: 20 runs, \d+ ops checked, .* ok/);
  });
});

describe('report with a design file', () => {
  it('reports the design beside the built-ins and diffs it against the design it answers to', async () => {
    const dir = outside();
    const r = await run(['report', '--variant', 'v2,./my-design.ts', '--runs', '5', '--no-progress'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('per-device-over-v2 43 Ok, 0 No, 0 Malformed, 0 Crash');
    expect(r.out).toContain('per-device vs per-device-over-v2: equivalent within these bounds');
    const json = await run(['report', '--variant', './my-design.ts', '--runs', '5', '--format', 'json', '--no-progress'], dir);
    expect(JSON.parse(json.out).model.map((m: { variant: string }) => m.variant)).toEqual(['per-device-over-v2']);
  });
});
