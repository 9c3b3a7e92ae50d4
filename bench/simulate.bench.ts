/**
 * Simulator throughput (npm run bench simulate), measured in this run: kernel calls simulated
 * per second on the seed workload, event scheduling and the drivers' pools included, on impl/
 * for each of its variants until at least 10^6 calls are made, and on the spec for a shorter
 * run of the same workload (the engine a variant without an implementation runs on).
 * Target (issue 14): >= 10^6 simulated operations in 10 s on impl/.
 */
import { VARIANT_CLASSES } from '../impl/index.ts';
import { seedWorkload, simulateRun, withParam, type Workload } from '../simulate/index.ts';

const SEED = Number(process.env.SVACHECK_SEED ?? 20260521);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/** Runs replications 0, 1, ... until `minOps` kernel calls are made; calls and seconds. */
function measure(w: Workload, variant: string, engine: 'impl' | 'spec', minOps: number): { ops: number; s: number } {
  let ops = 0, replication = 0;
  const t = performance.now();
  while (ops < minOps) ops += simulateRun(w, variant, { engine, seed: SEED, replication: replication++ }).ops;
  return { ops, s: (performance.now() - t) / 1000 };
}

export function run(): void {
  const w = { ...withParam(seedWorkload(), 'load', 8), horizon: 2000 };
  console.log(`seed workload at load 8, horizon 2000 per run, seed ${SEED}`);
  for (const variant of Object.keys(VARIANT_CLASSES)) {
    measure(w, variant, 'impl', 50_000);                                   // warm-up
    const impl = measure(w, variant, 'impl', 1_000_000);
    const spec = measure({ ...w, horizon: 200 }, variant, 'spec', 50_000);
    const rate = impl.ops / impl.s, specRate = spec.ops / spec.s;
    console.log(`${variant.padEnd(10)} impl ${fmt(impl.ops).padStart(9)} calls in ${impl.s.toFixed(2).padStart(5)} s = ${fmt(rate).padStart(9)} calls/s` +
      ` (10^6 in ${(1e6 / rate).toFixed(2)} s; target <= 10 s: ${1e6 / rate <= 10 ? 'met' : 'MISSED'})` +
      `   spec ${fmt(specRate).padStart(7)} calls/s   impl/spec ${(rate / specRate).toFixed(1)}x`);
  }
}
