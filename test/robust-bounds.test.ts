// Issue 11, bounds and input: the search keeps its bounds from the first millisecond, whatever
// the configuration; bad numbers and bad files are exit 2 with a reason, never a hang or a crash.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { parseConfig } from '../model/config.ts';
import { explore } from '../model/explore.ts';
import { buildSpace, decode, encode, fromFlat, Packer, toFlat, type Space } from '../model/space.ts';
import { initialState, step, variantByName } from '../spec/index.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/svacheck.mjs');
async function run(argv: string[], cwd?: string) {
  const io = bufferIo(cwd);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}
const initialFlat = (space: Space): Int32Array => { const f = new Int32Array(space.layout.n); toFlat(space, initialState(space.cfg), f, 0); return f; };
const tmp = () => mkdtempSync(path.join(tmpdir(), 'svacheck-robust-'));
const identical = (n: number, bits: number, processes: number, extra = '') =>
  `name: identical-${n}\ndevices:\n${Array.from({ length: n }, (_, i) => `  d${i}: { ssid_bits: ${bits} }\n`).join('')}processes: ${processes}\n${extra}`;
function file(text: string | Buffer, name = 'c.yaml'): string {
  const f = path.join(tmp(), name);
  writeFileSync(f, text);
  return f;
}

describe('symmetry never lists the permutations of identical devices', () => {
  it('check --max-seconds 2 on 12 identical devices exits within 30 s, NOT EXHAUSTIVE, exit 0', () => {
    const f = file(identical(12, 1, 3));
    const r = spawnSync(process.execPath, [BIN, 'check', '--config', f, '--variant', 'v2', '--max-seconds', '2'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();                                  // not killed by the deadline
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('NOT EXHAUSTIVE: stopped by --max-seconds (bound hit)');
    expect(r.stdout).toContain('group order 2874009600');         // 3! x 12!
  });

  it('diff and walk on 11 identical devices start at once too', async () => {
    const f = file(identical(11, 1, 2));
    const d = await run(['diff', 'v1', 'v2', '--config', f, '--max-states', '2000']);
    expect(d.code).toBeLessThan(2);
    expect(d.out).toMatch(/NOT EXHAUSTIVE|Different/);
    const w = await run(['walk', '--config', f, '--variant', 'v2', '--seed', '7', '--walks', '3', '--length', '20']);
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/seed 7, 3 of 3 walks?/);
  });

  // New input: groups of several slots (2-SSID devices: PASIDs 1..3), three processes.
  it('stays exact on a class of multi-slot devices: the canonical images of all states = the states found', () => {
    const mc = parseConfig(identical(3, 2, 2, 'bounds: { depth: 5, pasids: 2 }\nops: [bind, bind_pasid, unbind, mm_exit, attach_pasid]\n'), 'mem.yaml');
    const v = variantByName('per-device')!;
    const sym = buildSpace(mc, [v], { symmetry: true }), plain = buildSpace(mc, [v], { symmetry: false });
    const reduced = explore(sym, [v], {}), full = explore(plain, [v], {});
    const buf = new Uint32Array(sym.words);
    const images = new Set<string>();
    for (let i = 0; i < full.store.size; i++) { encode(sym, [decode(plain, full.store.get(i), 0)], buf); images.add(buf.join()); }
    const found = new Set<string>();
    for (let i = 0; i < reduced.store.size; i++) found.add(reduced.store.get(i).join());
    expect(found.size).toBe(reduced.store.size);
    expect([...images].sort()).toEqual([...found].sort());
    expect(full.store.size / reduced.store.size).toBeGreaterThan(3);
    expect(reduced.symmetryPartial).toBe(0);
  });

  it('beyond the cap of tied orders it packs partially and says so (8 devices, each bound by its own process)', () => {
    const mc = parseConfig(identical(8, 1, 8), 'tied.yaml');
    const v = variantByName('v2')!;
    const space = buildSpace(mc, [v]);
    let st = initialState(space.cfg);
    for (let d = 0; d < 8; d++) st = step(v, space.cfg, st, { op: 'bind_pasid', dev: d, mm: d, pasid: 1 }).state;
    const packer = new Packer(space);
    const flat = new Int32Array(space.layout.n), out = new Uint32Array(space.words);
    toFlat(space, st, flat, 0);
    packer.pack(flat, out);
    expect(packer.partial).toBe(1);                               // 8! orders > ORDER_CAP
    const back = new Int32Array(space.layout.n);
    packer.unpack(out, 0, back);
    expect(fromFlat(space, back, 0).slots.filter((g) => g.size === 1)).toHaveLength(8);   // still the same state, relabelled
    // A state with few ties is canonical as before.
    packer.pack(initialFlat(space), out);
    expect(packer.partial).toBe(1);
  });
});

describe('bounds hold on every command that searches', () => {
  it('--max-memory stops a run at the bound and says so (exit 0, not exhaustive)', async () => {
    const r = await run(['check', 'twins', '--variant', 'v2', '--max-memory', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('NOT EXHAUSTIVE: stopped by --max-memory (bound hit)');
    const d = await run(['diff', 'v1', 'v2', 'twins', '--max-memory', '1', '--json']);
    expect(JSON.parse(d.out)).toMatchObject({ status: 'bound', exhaustive: false, stop: 'max-memory' });
  });

  it('report --config takes the same bounds as check', async () => {
    const r = await run(['report', '--max-states', '10', '--runs', '1', '--variant', 'v1,v2', '--json']);
    const j = JSON.parse(r.out) as { model: { exhaustive: boolean; distinct: number }[]; diffs: { status: string }[] };
    expect(j.model.map((m) => [m.exhaustive, m.distinct])).toEqual([[false, 10], [false, 10]]);
    expect(j.diffs.every((d) => d.status !== 'equivalent')).toBe(true);
  });

  it.each([
    [['check', '--max-states', '0.5'], /--max-states must be an integer/],
    [['check', '--max-states', '0'], /--max-states must be an integer/],
    [['diff', 'v1', 'v2', '--max-states', '-1'], /--max-states must be an integer/],
    [['check', '--max-seconds', '1e12'], /--max-seconds must be/],
    [['walk', '--max-seconds', '-3'], /--max-seconds must be/],
    [['check', '--max-memory', '0.5'], /--max-memory must be/],
    [['walk', '--seed', String(2 ** 32 + 5)], /--seed must be an integer in 0\.\.4294967295/],
    [['conform', '--impl', 'builtin', '--seed', String(2 ** 33)], /--seed must be an integer in/],
    [['mutants', '--seed', String(2 ** 33)], /--seed must be an integer in/],
    [['conform', '--impl', 'builtin', '--max-steps', '1000000000'], /--max-steps must be an integer in 1\.\.10000/],
    [['conform', '--impl', 'builtin', '--timeout', '10000000000'], /--timeout must be an integer in 1\.\.2147483647/],
    [['report', '--json', '--format', 'markdown'], /two formats/],
    [['check', '--out', '--json'], /--out needs a value \(dir\), got the option --json/],
  ])('%j is bad usage (exit 2)', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});

describe('input files are read bounded and as UTF-8', () => {
  it('--config /dev/zero is an error at once, not a read without end', async () => {
    const r = await run(['check', '--config', '/dev/zero']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('/dev/zero: larger than 4 MiB');
  });

  it('a non-UTF-8 configuration or litmus file is named as such (exit 2)', async () => {
    const bad = Buffer.concat([Buffer.from('name: x\ndevices:\n  a: { ssid_bits: 1 }\ndoc: "'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"\n')]);
    const c = await run(['check', '--config', file(bad)]);
    expect(c.code).toBe(2);
    expect(c.err).toContain('not valid UTF-8');
    const l = await run(['litmus', file(bad, 'x.litmus.yaml')]);
    expect(l.code).toBe(2);
    expect(l.out + l.err).toContain('not valid UTF-8');
    const p = await run(['replay', file(bad, 'y.litmus.yaml')]);
    expect(p.code).toBe(2);
  });

  it.each([
    ['processes and mms together', 'name: x\ndevices:\n  a: { ssid_bits: 1 }\nprocesses: 2\nmms: [A]\n', /'processes' or 'mms', not both/],
    ['an undeclared IOMMU', 'name: x\niommus: { smmu0: {} }\ndevices:\n  a: { ssid_bits: 1, iommu: smmu1 }\n', /iommu 'smmu1' is not declared/],
    ['ops: []', 'name: x\ndevices:\n  a: { ssid_bits: 1 }\nops: []\n', /'ops' is empty/],
    ['invariants: []', 'name: x\ndevices:\n  a: { ssid_bits: 1 }\ninvariants: []\n', /'invariants' is empty/],
    ['ops a variant lacks entirely', 'name: x\nvariants: [upstream]\ndevices:\n  a: { ssid_bits: 1 }\nops: [bind_pasid]\n', /upstream has none of the operations/],
    // New inputs of the same classes.
    ['a device naming an IOMMU while none are declared elsewhere is fine', 'name: x\ndevices:\n  a: { ssid_bits: 1, iommu: smmu7 }\nbounds: { depth: 2 }\n', null],
    ['an empty file', '', /a YAML mapping|missing/],
  ])('check --config with %s', async (_what, text, message) => {
    const r = await run(['check', '--config', file(text as string), '--variant', 'upstream']);
    if (message === null) { expect(r.code).toBe(0); return; }
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
  });

  it('diff refuses ops a variant lacks, and an empty --ops (exit 2, nothing claimed equivalent)', async () => {
    for (const ops of ['bind_pasid', '', ',', 'bind,attach_pasid,bind_pasid']) {
      const r = await run(['diff', 'upstream', 'v2', '--ops', ops]);
      expect(r.code).toBe(2);
      expect(r.out).not.toContain('Equivalent');
    }
  });
});

describe('memory', () => {
  it('warns on stderr when memory passes half of --max-memory while the frontier grows (new input)', async () => {
    const f = file(identical(8, 2, 3));
    const rssMb = Math.ceil(process.memoryUsage.rss() / 2 ** 20);
    // The bound at 1.5x the current size: past half of it already, not past it for a while.
    const r = await run(['check', '--config', f, '--variant', 'v2', '--max-memory', String(Math.ceil(rssMb * 1.5)), '--max-seconds', '4']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/svacheck check: warning: memory at \d+ MB of the \d+ MB bound \(--max-memory\) and the frontier still grows/);
    expect(r.out).toMatch(/NOT EXHAUSTIVE: stopped by --max-(memory|seconds)/);
  });
});
