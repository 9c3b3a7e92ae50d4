// svacheck kernel: the kernel's own iommu-sva.c, built in userspace against kernel/shim, held
// to the spec. The two miniature trees (mainline before the 2026 patch, and with its v2
// applied) are GPL-2.0 test input kept beside the project, read in place: these tests skip,
// with the reason printed, where that folder or a C compiler is absent (a user's fresh clone).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { bufferIo } from '../cli/io.ts';
import { checkAdapter } from '../conformance/check.ts';
import { buildCExample, openExecAdapter } from '../conformance/protocol/index.ts';
import { buildKernelHarness } from '../kernel/build.ts';
import { extractSvaDefinitions, readKernelTree } from '../kernel/tree.ts';
import { SEED_SETUP } from '../vocab/index.ts';

const FIXTURES = fileURLToPath(new URL('../../shared/kernel/', import.meta.url));
const haveTrees = existsSync(path.join(FIXTURES, 'upstream/drivers/iommu/iommu-sva.c')) && existsSync(path.join(FIXTURES, 'v2/drivers/iommu/iommu-sva.c'));
const haveCc = spawnSync(process.env.CC ?? 'cc', ['--version']).status === 0;
const why = !haveTrees ? `the kernel fixtures are not at ${FIXTURES}` : !haveCc ? 'no C compiler (cc)' : null;
if (why) console.log(`test/kernel.test.ts: skipping the kernel-tree tests: ${why}`);

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'svacheck-kernel-'));
  process.env.SVACHECK_CACHE = path.join(scratch, 'cache');
});
afterAll(() => { rmSync(scratch, { recursive: true, force: true }); });

async function svacheck(...argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

/** A copy of a fixture tree with one textual change to iommu-sva.c (a planted bug). */
function planted(tree: 'upstream' | 'v2', name: string, from: string, to: string): string {
  const dir = path.join(scratch, name);
  cpSync(path.join(FIXTURES, tree), dir, { recursive: true });
  const file = path.join(dir, 'drivers/iommu/iommu-sva.c');
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`fixture ${tree} no longer contains ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(from, to));
  return dir;
}

describe('reading a tree', () => {
  it('takes struct iommu_sva, struct iommu_mm_data and the CONFIG_IOMMU_SVA branch by name, with #line', () => {
    const header = [
      '#ifndef X', '#define X', 'struct other { int a; };', '/* struct iommu_sva { fake } */',
      'struct iommu_sva {', '\tstruct device *dev;', '};', '#ifdef CONFIG_FOO', 'int foo(void);', '#endif',
      'struct iommu_mm_data {', '\tu32 pasid;', '\tbool pasid_global;', '};',
      '#ifdef CONFIG_IOMMU_SVA', 'static inline u32 mm_get_enqcmd_pasid(struct mm_struct *mm) { return 0; }',
      '#ifdef CONFIG_NESTED', 'int nested(void);', '#endif', 'void mm_pasid_drop(struct mm_struct *mm);',
      '#else', 'static inline void mm_pasid_drop(struct mm_struct *mm) {}', '#endif', '#endif',
    ].join('\n');
    const defs = extractSvaDefinitions(header, '/t/include/linux/iommu.h');
    expect(typeof defs).toBe('string');
    const text = defs as string;
    expect(text).toContain('#line 5 "/t/include/linux/iommu.h"\nstruct iommu_sva {');
    expect(text).toContain('#line 11 "/t/include/linux/iommu.h"\nstruct iommu_mm_data {');
    expect(text).toContain('int nested(void);');
    expect(text).toContain('void mm_pasid_drop(struct mm_struct *mm);');
    expect(text).not.toContain('{}');                                     // not the #else stub
    expect(text).not.toContain('struct other');
    expect(extractSvaDefinitions(header.replace('mm_get_enqcmd_pasid', 'other_fn'), 'h')).toMatchObject({ message: expect.stringMatching(/mm_get_enqcmd_pasid/) });
    expect(extractSvaDefinitions(header.replace('\nstruct iommu_sva {', '\nstruct iommu_svb {'), 'h')).toMatchObject({ message: expect.stringMatching(/struct iommu_sva/) });
  });

  it('a missing tree or file is exit 2 naming the path', async () => {
    const r = await svacheck('kernel', '--tree', path.join(scratch, 'nowhere'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nowhere: no such directory/);
    const s = await svacheck('kernel', '--tree', scratch);
    expect(s.code).toBe(2);
    expect(s.err).toContain(path.join(scratch, 'drivers/iommu/iommu-sva.c'));
  });

  it('kernel validates its run options as conform does (a timeout past 32-bit timers, a path without its seed)', async () => {
    const t = await svacheck('kernel', '--tree', scratch, '--timeout', '10000000000');
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/--timeout must be an integer in 1\.\.2147483647/);
    const p = await svacheck('kernel', '--tree', scratch, '--path', '1:2');
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/needs its --seed/);
  });

  it.skipIf(!haveTrees)('the fixtures: v2 has bind_pasid and pasid_global, upstream neither', async () => {
    const up = await readKernelTree(path.join(FIXTURES, 'upstream'));
    const v2 = await readKernelTree(path.join(FIXTURES, 'v2'));
    expect(up.ok && up.tree.features).toEqual({ bindPasid: false, pasidGlobal: false });
    expect(v2.ok && v2.tree.features).toEqual({ bindPasid: true, pasidGlobal: true });
  });
});

describe.skipIf(why !== null)('svacheck kernel on the fixture trees', () => {
  it('builds once, then finds the build in the cache', async () => {
    const read = await readKernelTree(path.join(FIXTURES, 'v2'));
    if (!read.ok) throw new Error(read.problem.message);
    const first = await buildKernelHarness(read.tree);
    const second = await buildKernelHarness(read.tree);
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok) {
      expect(second.cached).toBe(true);
      expect(second.program).toBe(first.program);
    }
  });

  it.each([['upstream'], ['v2']] as const)('%s holds: litmus library, random runs on fixed and random setups, fail-nth with zero leaks', async (tree) => {
    const r = await svacheck('kernel', '--tree', path.join(FIXTURES, tree), '--variant', tree, '--runs', '15', '--seed', '11',
      '--setups', 'seed', '--setups', 'random', '--out', path.join(scratch, `out-${tree}`));
    expect(r.err).toBe('');
    expect(r.out).toMatch(/Verdict: all checks held \(exit 0\)/);
    expect(r.code).toBe(0);
    const total = /Total: ([\d,]+) injected, ([\d,]+) held, 0 failed, 0 leaked \(([\d,]+) ops, (\d+) runs\)/.exec(r.out);
    expect(total).not.toBeNull();
    expect(Number(total![1].replace(/,/g, ''))).toBeGreaterThan(50);
    expect(total![2]).toBe(total![1]);
    // The table names the points where the two trees differ: upstream keeps a failed first
    // bind's PASID (S6), v2 rolls it back (V7).
    expect(r.out).toMatch(tree === 'upstream' ? /handle .*ENOMEM \(N3, S6\)/ : /handle .*ENOMEM \(N3, V7\)/);
  });

  it.each([['upstream'], ['v2']] as const)('%s: the harness answers observes by digest (PROTOCOL.md §12), agreeing with the runner\'s', async (tree) => {
    const read = await readKernelTree(path.join(FIXTURES, tree));
    if (!read.ok) throw new Error(read.problem.message);
    const built = await buildKernelHarness(read.tree);
    if (!built.ok) throw new Error(built.headline);
    const o = await openExecAdapter(`exec:${built.program} --variant ${tree}`);
    if (!o.ok) throw new Error(`cannot start the harness: ${o.usage ?? o.failure?.detail}`);
    try {
      expect(o.adapter.capabilities.digest).toBe(1);
      const r = await checkAdapter(o.adapter, { variant: tree, runs: 15, seed: 11 });
      expect(r.ok, r.failure?.message ?? r.broke).toBe(true);
      // Every observe but the decoy (one per configure) came back as its digest alone; a whole
      // observation sent with a digest other than the runner's recomputation would be malformed.
      expect(o.adapter.digests.asked).toBeGreaterThan(50);
      expect(o.adapter.digests.matched).toBe(o.adapter.digests.asked - o.adapter.report().totals.configures);
    } finally { await o.adapter.close(); }
  });

  it('v2 without iommu_free_global_pasid on out_free_iommu_mm: a short counterexample', async () => {
    const dir = planted('v2', 'v2-leaky', '\t\tif (iommu_mm->pasid_global)\n\t\t\tiommu_free_global_pasid(iommu_mm->pasid);\n', '');
    const r = await svacheck('kernel', '--tree', dir, '--variant', 'v2', '--runs', '30', '--seed', '3', '--setups', 'seed', '--no-fail-nth', '--out', path.join(scratch, 'out-leaky'));
    expect(r.code).toBe(1);
    const shrunk = /shrunk to (\d+) op/.exec(r.out) ?? /FAILED/.exec(r.out);
    expect(shrunk).not.toBeNull();
    expect(r.out).toMatch(/global PASIDs held|pasid/);
  });

  it('upstream without domain->users++: a short counterexample', async () => {
    const dir = planted('upstream', 'up-users', '\t\t\tdomain->users++;\n', '');
    const r = await svacheck('kernel', '--tree', dir, '--variant', 'upstream', '--runs', '50', '--seed', '5', '--setups', 'seed', '--no-fail-nth', '--no-library', '--out', path.join(scratch, 'out-users'));
    expect(r.code).toBe(1);
    const m = /shrunk to (\d+) op/.exec(r.out);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(6);
  });

  it('upstream without domain->users++, runs sent ahead (the default): the program dies on ops sent beyond the failing step, and the report is that of one op per line', async () => {
    const dir = planted('upstream', 'up-users-ahead', '\t\t\tdomain->users++;\n', '');
    const kernel = async (...extra: string[]) => {
      const out = path.join(scratch, `out-users-ahead${extra.length}`);
      const r = await svacheck('kernel', '--tree', dir, '--variant', 'upstream', '--runs', '50', '--seed', '5', '--setups', 'seed', '--no-fail-nth', '--no-library', '--out', out, ...extra);
      return { ...r, out: r.out.replace(/\d+ ms\b/g, 'T ms').replace(', cached)', ')').replaceAll(out, 'OUT') };
    };
    const single = await kernel('--no-pipeline'), ahead = await kernel();
    expect(single.code, single.out).toBe(1);
    expect(single.out).toMatch(/FAILED \((result|invariant|observation)\): step \d+ /);
    expect(ahead.out).toBe(single.out);
    expect(ahead.code).toBe(1);
    // What the default did: the harness broke on ops sent beyond a failing step (its domain,
    // freed at the first unbind, is still used), and fresh processes took its place.
    const read = await readKernelTree(dir);
    if (!read.ok) throw new Error(read.problem.message);
    const built = await buildKernelHarness(read.tree);
    if (!built.ok) throw new Error(built.headline);
    const o = await openExecAdapter(`exec:${built.program} --variant upstream`);
    if (!o.ok) throw new Error(`cannot start the harness: ${o.usage ?? o.failure?.detail}`);
    try {
      const r = await checkAdapter(o.adapter, { variant: 'upstream', setup: SEED_SETUP, runs: 50, seed: 5 });
      expect(r.failure?.check, r.failure?.message ?? r.broke).not.toBe('crash');
      expect(o.adapter.report().totals.restarts).toBeGreaterThan(0);
      expect(o.adapter.failed).toBeNull();
    } finally { await o.adapter.close(); }
  });

  it('v2 that forgets kfree(handle) on a failed attach: only fail-nth sees the leak', async () => {
    const dir = planted('v2', 'v2-handle-leak', 'out_free_handle:\n\tkfree(handle);\n', 'out_free_handle:\n');
    const r = await svacheck('kernel', '--tree', dir, '--variant', 'v2', '--runs', '10', '--seed', '2', '--setups', 'seed', '--no-library', '--out', path.join(scratch, 'out-hleak'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Random stateful runs[^\n]*\n[^\n]*ok/);
    expect(r.out).toMatch(/FAILED: after \w+ failed [^]*?still held: \d+ objects/);
    // The first failure is shrunk: a short prefix, then the operation whose call failed.
    const block = r.out.slice(r.out.indexOf('FAILED: after'));
    const steps = block.slice(0, block.indexOf('<- fallible call')).match(/^ +\d+\. /gm) ?? [];
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThanOrEqual(3);
    expect(r.out).toMatch(/replay: npx svacheck kernel --tree \S+ --variant v2/);
  });

  it('a double free crashes the built program: the crash is shrunk on fresh processes and replayable', async () => {
    const dir = planted('v2', 'v2-double-free', '\tmutex_unlock(&iommu_sva_lock);\n\tkfree(handle);\n}', '\tmutex_unlock(&iommu_sva_lock);\n\tkfree(handle);\n\tif (domain->users == 0)\n\t\tkfree(handle);\n}');
    const out = path.join(scratch, 'out-crash');
    const r = await svacheck('kernel', '--tree', dir, '--variant', 'v2', '--runs', '30', '--seed', '3', '--setups', 'seed', '--no-library', '--no-fail-nth', '--out', out);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/FAILED \(crash\)/);
    const m = /shrunk to (\d+) op/.exec(r.out);
    expect(Number(m![1])).toBeLessThanOrEqual(3);
    expect(r.out).toContain(`kernel bug at ${path.join(dir, 'drivers/iommu/iommu-sva.c')}`);   // the shim names the tree's line
    const file = /replay the file: +npx svacheck (kernel .*)$/m.exec(r.out)![1].split(' ');
    const again = await svacheck(...file);
    expect(again.code).toBe(3);
  });

  it('conform --fail-nth sweeps any exec: program announcing fail_nth and leaks, and refuses one that does not', async () => {
    const read = await readKernelTree(path.join(FIXTURES, 'v2'));
    if (!read.ok) throw new Error(read.problem.message);
    const built = await buildKernelHarness(read.tree);
    if (!built.ok) throw new Error(built.headline);
    const r = await svacheck('conform', '--impl', `exec:${built.program} --variant v2`, '--variant', 'v2', '--runs', '5', '--seed', '4', '--no-library', '--fail-nth');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Total: [\d,]+ injected, [\d,]+ held, 0 failed, 0 leaked/);
    const c = buildCExample();
    if (!c.ok) throw new Error(c.reason);
    const refused = await svacheck('conform', '--impl', `exec:${c.v2}`, '--variant', 'v2', '--runs', '1', '--no-library', '--fail-nth');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/does not announce the fail_nth and leaks capabilities/);
  });

  it('an unbuildable tree is exit 3 with the compiler message at the file and line', async () => {
    const dir = planted('v2', 'v2-broken', 'static DEFINE_MUTEX(iommu_sva_lock);', 'static DEFINE_MUTEX(iommu_sva_lock) this does not compile;');
    const r = await svacheck('kernel', '--tree', dir, '--variant', 'v2');
    expect(r.code).toBe(3);
    expect(r.out).toContain(`could not build ${path.join(dir, 'drivers/iommu/iommu-sva.c')}`);
    expect(r.out).toMatch(new RegExp(`${path.join(dir, 'drivers/iommu/iommu-sva.c').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: error`));
  });
});
