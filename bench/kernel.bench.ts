/**
 * The kernel harness: a kernel tree's own iommu-sva.c built against kernel/shim and driven
 * over the subprocess protocol (svacheck kernel), against impl/ in process, on the same
 * precomputed contract-respecting sequences, results checked against the spec; and the
 * fail-nth sweep's speed (injected failures checked per second). Uses the v2 fixture tree
 * beside the project; skipped with the reason where it or a C compiler is absent.
 * Run: npx tsx bench/index.ts kernel
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { failNthSweep, sweepTraces } from '../conformance/failnth.ts';
import { openExecAdapter } from '../conformance/protocol/index.ts';
import { PROTOCOL_TEST_SETUP } from '../conformance/protocol/gen.ts';
import { createBuiltinAdapter } from '../impl/index.ts';
import { buildKernelHarness } from '../kernel/build.ts';
import { readKernelTree } from '../kernel/tree.ts';
import { formatResult, SEED_SETUP } from '../vocab/index.ts';
import { measure, segments } from './protocol.bench.ts';

const TREE = fileURLToPath(new URL('../../shared/kernel/v2', import.meta.url));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);

export async function run(): Promise<void> {
  if (!existsSync(TREE)) { console.log(`kernel bench skipped: no kernel tree at ${TREE}`); return; }
  const read = await readKernelTree(TREE);
  if (!read.ok) { console.log(`kernel bench skipped: ${read.problem.message}`); return; }
  const built = await buildKernelHarness(read.tree);
  if (!built.ok) { console.log(`kernel bench skipped: ${built.headline}`); return; }
  const segs = segments(42);
  const open = async (batch: boolean) => {
    const o = await openExecAdapter(`exec:${built.program} --variant v2`, { batch });
    if (!o.ok) throw new Error(`cannot start ${built.program}: ${o.failure?.detail ?? o.usage}`);
    return o.adapter;
  };
  const unbatched = await open(false), batched = await open(true);
  try {
    await measure(unbatched, segs.slice(0, 4), false);
    await measure(batched, segs.slice(0, 4), true);
    const u = await measure(unbatched, segs, false);
    const b = await measure(batched, segs, true);

    // impl/ in process on the same sequences (apply only, results checked).
    const impl = createBuiltinAdapter();
    const t0 = performance.now();
    let n = 0;
    for (const s of segs) {
      impl.configure(PROTOCOL_TEST_SETUP, 'v2');
      s.ops.forEach((op, i) => { if (formatResult(impl.apply(op) as never) !== s.expected[i]) throw new Error(`impl disagrees with the spec at ${i}`); });
      n += s.ops.length;
    }
    const inProcess = n / ((performance.now() - t0) / 1000);

    const traces = sweepTraces('v2', [SEED_SETUP], 30, 7, 50);
    const t1 = performance.now();
    const sweep = await failNthSweep(batched, 'v2', traces);
    const perSecond = sweep.injected / ((performance.now() - t1) / 1000);
    if (sweep.failed > 0) throw new Error(`the v2 fixture failed the fail-nth sweep: ${sweep.failures[0]?.message}`);

    console.log(`kernel harness (the v2 fixture's iommu-sva.c over the protocol) vs impl/ in process, ${n} ops, results checked:`);
    console.log(`  kernel harness, unbatched:   ${fmt(u)} ops/s`);
    console.log(`  kernel harness, batched:     ${fmt(b)} ops/s`);
    console.log(`  impl/ in process:            ${fmt(inProcess)} ops/s   (impl / kernel batched: ${(inProcess / b).toFixed(1)}x)`);
    console.log(`  fail-nth sweep:              ${fmt(perSecond)} injected failures checked/s (${sweep.injected} over ${traces.length} runs of the seed setup)`);
  } finally {
    await unbatched.close();
    await batched.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
