// svacheck check / diff / walk on real configurations: output, exit codes, --json, --out.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../cli/args.ts';
import { OPTIONS as CHECK_OPTIONS } from '../cli/commands/check.ts';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { parseLitmus, runLitmus } from '../conformance/litmus/index.ts';

const TWINS = 'twins';
async function run(argv: string[], cwd?: string) {
  const io = bufferIo(cwd);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}
const tmp = () => mkdtempSync(path.join(tmpdir(), 'svacheck-model-'));

describe('svacheck check', () => {
  it('parses its options declaratively', () => {
    const p = parseArgs(CHECK_OPTIONS, ['twins', '--variant', 'v2,v1', '--max-states=10', '--continue']);
    expect(p.positional).toEqual(['twins']);
    expect(p.options).toEqual({ variant: ['v2,v1'], 'max-states': 10, continue: true });
  });

  it('checks a bundled configuration clean, with statistics and the documented per-device finding (exit 0)', async () => {
    const r = await run(['check', TWINS, '--coverage']);
    expect(r.code).toBe(0);
    for (const v of ['upstream', 'v1', 'v2', 'per-device', 'sva-2018', 'ioasid-2020', 'dma-pasid-2021']) expect(r.out).toContain(`== check twins / ${v} (symmetry on, group order 4) ==`);
    expect(r.out).toContain('Documented finding: enqcmdPasidIsGlobalAndMeansItsMm (rule G2)');
    expect(r.out).toMatch(/\d[\d,]* transitions, [\d,]+ states generated, 1,956 distinct states/);
    expect(r.out).toContain('Coverage (transitions per operation, by result):');
    expect(r.out).toMatch(/bind_pasid +[\d,]+ +.*EINVAL/);
    expect(r.out).toContain('Summary: 7 runs; 0 with violations; all exhaustive.');
    expect(r.err).toBe('');                                             // progress only on a terminal
  });

  it('says "not exhaustive" plainly when a bound stops it, and still exits 0', async () => {
    const r = await run(['check', TWINS, '--variant', 'v2', '--max-states', '100']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('NOT EXHAUSTIVE: stopped by --max-states (bound hit)');
    expect(r.out).toContain('100 distinct states');
  });

  it('exits 1 on an undocumented violation and writes replayable litmus files with --out', async () => {
    // The same devices, but no documented finding: per-device's ENQCMD break is now a failure.
    const dir = tmp();
    const cfg = readFileSync(new URL('../model/configs/twins.yaml', import.meta.url), 'utf8').replace(/expect:\n.*\n/, '');
    writeFileSync(path.join(dir, 'mine.yaml'), cfg);
    const r = await run(['check', '--config', 'mine.yaml', '--variant', 'per-device', '--out', 'cex'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Invariant violated: enqcmdPasidIsGlobalAndMeansItsMm');
    expect(r.out).toContain('NOT EXHAUSTIVE: stopped by the first violation');
    const files = readdirSync(path.join(dir, 'cex'));
    expect(files).toContain('twins-per-device-enqcmdPasidIsGlobalAndMeansItsMm.litmus.yaml');
    const text = readFileSync(path.join(dir, 'cex', 'twins-per-device-enqcmdPasidIsGlobalAndMeansItsMm.litmus.yaml'), 'utf8');
    const parsed = parseLitmus(text, 'cex.litmus.yaml');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect((await runLitmus(parsed.litmus, 'per-device')).verdict).toBe('Ok');
    const again = await run(['litmus', path.join(dir, 'cex')]);
    expect(again.code).toBe(0);
  });

  it('rejects a bad configuration with file and line, exit 2, no stack trace', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'bad.yaml'), 'name: bad\ndevices:\n  a: { ssid_bits: 2 }\nops: [bind, teleport]\n');
    const r = await run(['check', '--config', 'bad.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toBe("svacheck check: " + path.join(dir, 'bad.yaml') + ":4: unknown operation 'teleport' (known: bind, bind_pasid, unbind, get_pasid, enqcmd_pasid, alloc_global, free_global, attach_pasid, detach_pasid, mm_exit, dma, bind_private, mm_exit_done, ioasid_alloc, ioasid_free_set, ioasid_adjust_set)\n");
    expect((await run(['check', 'nosuch'])).code).toBe(2);
    expect((await run(['check', '--variant', 'v9'])).code).toBe(2);
    expect((await run(['check', '--config', 'missing.yaml'], dir)).err).toMatch(/missing\.yaml: cannot read: ENOENT/);
  });

  it('--json is stable machine output', async () => {
    const r = await run(['check', TWINS, '--variant', 'v1', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.command).toBe('check');
    expect(j.results[0]).toMatchObject({ config: 'twins', variant: 'v1', status: 'done', exhaustive: true, symmetryOrder: 4, violations: [] });
    expect(j.results[0].stats.distinct).toBe(672);
    expect(j.results[0].availability.map((a: { kind: string }) => a.kind).sort()).toEqual(['idle-local-kept', 'local-collision', 'starved']);
  });
});

describe('svacheck diff', () => {
  it('v2 upstream: prints the failure-path difference as a litmus file that replays on both, exit 1', async () => {
    const dir = tmp();
    const r = await run(['diff', 'v2', 'upstream', '--out', '.'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Different: after 2 common steps, step 3 gives v2: \w+, upstream: \w+/);
    expect(r.out).toContain('v2: B1-busy V7; upstream: B1-busy S6');
    const file = readdirSync(dir).find((f) => f.endsWith('.litmus.yaml'))!;
    const again = await run(['litmus', path.join(dir, file)]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/Ok/);
  });

  it('a variant against itself: equivalent within these bounds, exit 0; usage errors exit 2', async () => {
    const r = await run(['diff', 'v1', 'v1', TWINS]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Equivalent within these bounds');
    expect((await run(['diff', 'v2'])).code).toBe(2);
    expect((await run(['diff', 'v2', 'upstream', '--ops', 'bind,fly'])).code).toBe(2);
  });
});

describe('svacheck walk', () => {
  it('prints its seed and replay command; same seed, same figures', async () => {
    const a = await run(['walk', TWINS, '--variant', 'v2', '--seed', '11', '--walks', '10', '--length', '30']);
    const b = await run(['walk', TWINS, '--variant', 'v2', '--seed', '11', '--walks', '10', '--length', '30']);
    expect(a.code).toBe(0);
    expect(a.out).toContain('Replay: svacheck walk twins --variant v2 --seed 11 --length 30 --walks 10');
    const figures = (s: string) => s.split('\n').find((l) => l.includes('transitions,'));
    expect(figures(b.out)).toBe(figures(a.out));
    const j = JSON.parse((await run(['walk', TWINS, '--variant', 'per-device', '--seed', '3', '--walks', '50', '--length', '40', '--json'])).out);
    expect(j.seed).toBe(3);
    expect(j.results[0].stats.transitions).toBeGreaterThan(0);
  });
});
