/**
 * Model-checker throughput, measured in this run: single-threaded transitions/s and distinct
 * states/s of `check` (spec steps, canonical encoding, visited set, invariants on every new
 * state), bytes allocated per stored state, and the symmetry reduction factor, on a small, a
 * medium and a large configuration. A breakdown on the medium one separates the cost of the
 * spec's own transition function (the ceiling for any explorer over it) from the encoding.
 * Targets (issue): >= 2M transitions/s, <= 64 bytes per state, reduction >= 90% of ideal.
 */
import { fileURLToPath } from 'node:url';
import { step, variantByName, type State } from '../spec/index.ts';
import { check, loadBundledConfig, loadConfigFile, type CheckResult } from '../model/index.ts';
import { explore } from '../model/explore.ts';
import { beyondBounds, buildSpace, decode, enabled, encode } from '../model/space.ts';

const cfgPath = (n: string) => fileURLToPath(new URL(`./configs/${n}.yaml`, import.meta.url));
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

function line(label: string, r: CheckResult): void {
  const s = r.stats;
  console.log(`${label.padEnd(30)} ${fmt(s.transitions).padStart(11)} transitions ${fmt(s.distinct).padStart(9)} distinct ${s.seconds.toFixed(1).padStart(6)} s ` +
    `${fmt(s.transitionsPerSecond).padStart(9)} trans/s ${fmt(s.distinctPerSecond).padStart(7)} distinct/s ${s.bytesPerState.toFixed(1).padStart(6)} B/state (${4 * s.wordsPerState} B encoded)${r.exhaustive ? '' : '  NOT EXHAUSTIVE'}`);
}

export function run(): void {
  console.log(`node ${process.version}, single thread`);
  const small = loadBundledConfig('seed-small');
  const medium = loadConfigFile(cfgPath('medium'));
  const large = loadConfigFile(cfgPath('large'));

  check(loadBundledConfig('twins'), 'v2');                               // warm-up: JIT, not measured
  for (const v of ['upstream', 'v2', 'per-device'] as const) line(`small  seed-small ${v}`, check(small, v, { continue: true }));

  const mSym = check(medium, 'v2', { continue: true });
  line('medium v2 symmetry on', mSym);
  const mRaw = check(medium, 'v2', { continue: true, symmetry: false, maxSeconds: 240 });
  line('medium v2 symmetry off', mRaw);
  const order = mSym.symmetryOrder;
  if (mRaw.exhaustive) {
    const factor = mRaw.stats.distinct / mSym.stats.distinct;
    console.log(`symmetry reduction on medium: ${factor.toFixed(2)}x (ideal ${order} = 4! x 2!; ${(100 * factor / order).toFixed(1)}% of ideal). ` +
      'The canonical form is exact (one state per orbit), so this equals the mean orbit size: states with idle or identical processes have smaller orbits.');
  } else console.log(`symmetry reduction on medium: unreduced run not exhaustive within 240 s; factor not measured`);

  // Breakdown on medium: the spec's transition function alone, and encoding + lookup alone.
  const v = variantByName('v2')!;
  const space = buildSpace(medium, [v]);
  const ex = explore(space, [v], {});
  const sample: State[] = [];
  for (let i = 0; i < ex.store.size; i += Math.max(1, Math.floor(ex.store.size / 3000))) sample.push(decode(space, ex.store.get(i), 0));
  let n = 0, t0 = performance.now();
  const succ: State[] = [];
  for (const st of sample) for (const op of space.templates) {
    if (!enabled(space, v, st, op)) continue;
    const s = step(v, space.cfg, st, op);
    n++;
    if (s.state !== st && !beyondBounds(space, s.state) && succ.length < 200_000) succ.push(s.state);
  }
  const specRate = n / ((performance.now() - t0) / 1000);
  const buf = new Uint32Array(space.words);
  t0 = performance.now();
  for (const st of succ) { encode(space, [st], buf); ex.store.has(buf); }
  const encRate = succ.length / ((performance.now() - t0) / 1000);
  console.log(`medium breakdown: spec step + contract alone ${fmt(specRate)} transitions/s; canonical encode + lookup alone ${fmt(encRate)} successors/s (${space.groupPerms.length} device permutations)`);
  console.log(`explore only (no invariants, no availability): ${fmt(ex.stats.transitionsPerSecond)} transitions/s`);

  line('large  v2 (60 s budget)', check(large, 'v2', { continue: true, maxSeconds: 60 }));
  console.log('targets: >= 2,000,000 transitions/s single-threaded; <= 64 B/state; reduction >= 90% of ideal on medium');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) run();
