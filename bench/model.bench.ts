/**
 * Model-checker throughput, measured in this run: single-threaded transitions/s and distinct
 * states/s of `check` (transitions, canonical packing, visited set, invariants on every new
 * state, availability findings on every failing bind), bytes allocated per stored state, and
 * the symmetry reduction factor, on a small, a medium and a large configuration; and the
 * flat backend against the object backend on the same run.
 * Targets (issue 5): >= 2M transitions/s, <= 64 bytes per state, reduction >= 90% of ideal.
 *
 * Runs on a shared machine are noisy and a medium run lasts half a second, so each figure is
 * the median of several runs after a warm-up, with the spread printed beside it.
 */
import { fileURLToPath } from 'node:url';
import { variantByName } from '../spec/index.ts';
import { check, loadBundledConfig, loadConfigFile, type CheckOptions, type CheckResult, type ModelConfig } from '../model/index.ts';
import { explore } from '../model/explore.ts';
import { Packer, buildSpace } from '../model/space.ts';
import type { VariantName } from '../vocab/index.ts';

const cfgPath = (n: string) => fileURLToPath(new URL(`./configs/${n}.yaml`, import.meta.url));
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/** Median run of `runs` (by transitions/s), with the slowest and fastest rates. */
function measure(mc: ModelConfig, v: VariantName, runs: number, opts: CheckOptions = {}): { r: CheckResult; lo: number; hi: number } {
  const all = Array.from({ length: runs }, () => check(mc, v, { continue: true, ...opts }));
  all.sort((a, b) => a.stats.transitionsPerSecond - b.stats.transitionsPerSecond);
  return { r: all[Math.floor(runs / 2)], lo: all[0].stats.transitionsPerSecond, hi: all[runs - 1].stats.transitionsPerSecond };
}

function line(label: string, { r, lo, hi }: { r: CheckResult; lo: number; hi: number }): void {
  const s = r.stats;
  const spread = lo === hi ? '' : ` (${fmt(lo / 1000)}k..${fmt(hi / 1000)}k)`;
  console.log(`${label.padEnd(34)} ${fmt(s.transitions).padStart(11)} trans ${fmt(s.distinct).padStart(9)} distinct ${s.seconds.toFixed(2).padStart(6)} s ` +
    `${fmt(s.transitionsPerSecond).padStart(10)} trans/s${spread} ${fmt(s.distinctPerSecond).padStart(8)} distinct/s ` +
    `${s.bytesPerState.toFixed(1).padStart(5)} B/state (${4 * s.wordsPerState} B packed) [${r.engine}]${r.exhaustive ? '' : '  NOT EXHAUSTIVE'}`);
}

/**
 * Orbit sizes on the unreduced space: each state's canonical form counted. The mean orbit
 * size is the best reduction any exact symmetry reduction can reach on this space.
 */
function orbits(mc: ModelConfig, v: VariantName): { states: number; orbits: number; sizes: Map<number, number> } {
  const variant = variantByName(v)!;
  const plain = buildSpace(mc, [variant], { symmetry: false });
  const sym = buildSpace(mc, [variant], { symmetry: true });
  const ex = explore(plain, [variant], {});
  const packPlain = new Packer(plain), packSym = new Packer(sym);
  const f = new Int32Array(plain.layout.n), w = new Uint32Array(sym.words);
  const members = new Map<string, number>();
  for (let i = 0; i < ex.store.size; i++) {
    packPlain.unpack(ex.store.get(i), 0, f);
    packSym.pack(f, w);
    const key = w.join(',');
    members.set(key, (members.get(key) ?? 0) + 1);
  }
  const sizes = new Map<number, number>();
  for (const n of members.values()) sizes.set(n, (sizes.get(n) ?? 0) + 1);
  return { states: ex.store.size, orbits: members.size, sizes };
}

export function run(): void {
  console.log(`node ${process.version}, single thread; each figure the median of the runs, (slowest..fastest) beside it`);
  const small = loadBundledConfig('seed-small');
  const medium = loadConfigFile(cfgPath('medium'));
  const large = loadConfigFile(cfgPath('large'));

  for (let i = 0; i < 3; i++) check(medium, 'per-device', { continue: true });   // warm-up: JIT, not measured
  for (const v of ['upstream', 'v2', 'per-device'] as const) line(`small  seed-small ${v}`, measure(small, v, 3));
  const mV2 = measure(medium, 'v2', 7);
  line('medium v2', mV2);
  const mPd = measure(medium, 'per-device', 7);
  line('medium per-device', mPd);
  const spec = measure(medium, 'v2', 3, { engine: 'object' });
  line('medium v2 on the object backend (reference)', spec);
  console.log(`flat backend / object backend on medium v2: ${(mV2.r.stats.transitionsPerSecond / spec.r.stats.transitionsPerSecond).toFixed(1)}x`);
  const raw = measure(medium, 'v2', 1, { symmetry: false });
  line('medium v2 symmetry off', raw);

  const order = mV2.r.symmetryOrder;
  const factor = raw.r.stats.distinct / mV2.r.stats.distinct;
  const o = orbits(medium, 'v2');
  const full = o.sizes.get(order) ?? 0;
  console.log(`symmetry reduction on medium v2: ${factor.toFixed(2)}x; ideal (group order 4! x 2!) ${order}: ${(100 * factor / order).toFixed(1)}% of ideal.`);
  console.log(`  orbits of the ${fmt(o.states)} unreduced states: ${fmt(o.orbits)} (= states stored with symmetry: ${o.orbits === mV2.r.stats.distinct ? 'yes' : 'NO'}); ` +
    `mean orbit ${(o.states / o.orbits).toFixed(2)} = the most any exact reduction reaches here: ${(100 * factor / (o.states / o.orbits)).toFixed(1)}% of that.`);
  console.log(`  orbit sizes (size: orbits): ${[...o.sizes].sort((a, b) => b[0] - a[0]).map(([s, n]) => `${s}: ${fmt(n)}`).join(', ')}; ` +
    `${(100 * full / o.orbits).toFixed(1)}% of orbits have the full ${order} states (no two processes, no two identical devices alike).`);

  line('large  v2 (30 s budget)', measure(large, 'v2', 1, { maxSeconds: 30 }));
  line('large  per-device (30 s budget)', measure(large, 'per-device', 1, { maxSeconds: 30 }));
  console.log('targets: >= 2,000,000 transitions/s single-threaded; <= 64 B/state; reduction >= 90% of ideal on medium');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) run();
