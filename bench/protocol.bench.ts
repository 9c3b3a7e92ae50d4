/**
 * Operations per second through the subprocess protocol against the C example
 * (examples/c/build/sva-v2), unbatched (one request line and one round trip per op) and
 * batched (one batch line per segment of ops), measured in the same run on the same
 * precomputed contract-respecting sequences. Run: npx tsx bench/index.ts protocol
 */
import { buildCExample, openExecAdapter, type ExecAdapter } from '../conformance/protocol/index.ts';
import { nextOp, PROTOCOL_TEST_SETUP, rng } from '../conformance/protocol/gen.ts';
import { checkAdapter } from '../conformance/check.ts';
import { runTrace } from '../conformance/lockstep.ts';
import { SpecDriver, VARIANT_BY_NAME } from '../spec/index.ts';
import { formatResult, type Op } from '../vocab/index.ts';

const SEGMENT = 250;           // ops between two configures (the mms exit over time)
const SEGMENTS = 40;           // 10 000 ops

export function segments(seed: number): { ops: Op[]; expected: string[] }[] {
  const random = rng(seed);
  return Array.from({ length: SEGMENTS }, () => {
    const spec = new SpecDriver(PROTOCOL_TEST_SETUP, VARIANT_BY_NAME.v2);
    const ops: Op[] = [], expected: string[] = [];
    for (let i = 0; i < SEGMENT; i++) {
      const op = nextOp(spec, PROTOCOL_TEST_SETUP, random, VARIANT_BY_NAME.v2.ops);
      ops.push(op);
      expected.push(formatResult(spec.apply(op).result));
    }
    return { ops, expected };
  });
}

export async function measure(a: ExecAdapter, segs: ReturnType<typeof segments>, batched: boolean): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for (const s of segs) {
    await a.configure(PROTOCOL_TEST_SETUP, 'v2');
    const results = batched ? await a.applyBatch(s.ops) : [];
    if (!batched) for (const op of s.ops) results.push(await a.apply(op));
    results.forEach((r, i) => { if (formatResult(r) !== s.expected[i]) throw new Error(`C disagrees with the spec at ${i}`); });
    n += s.ops.length;
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function run(): Promise<void> {
  const build = buildCExample();
  if (!build.ok) { console.log(`protocol bench skipped: ${build.reason}`); return; }
  const segs = segments(42);
  const open = async (batch: boolean) => {
    const o = await openExecAdapter(`exec:${build.v2}`, { batch });
    if (!o.ok) throw new Error(`cannot start ${build.v2}: ${o.failure?.detail ?? o.usage}`);
    return o.adapter;
  };
  const unbatched = await open(false), batched = await open(true);
  try {
    await measure(unbatched, segs.slice(0, 4), false);                   // warm-up
    await measure(batched, segs.slice(0, 4), true);
    const u = await measure(unbatched, segs, false);
    const b = await measure(batched, segs, true);
    const ops = SEGMENT * SEGMENTS;
    console.log(`protocol, C example (v2), ${ops} ops in ${SEGMENTS} configures, results checked against the spec:`);
    console.log(`  unbatched (1 line per op):            ${Math.round(u).toLocaleString('en-US').padStart(9)} ops/s`);
    console.log(`  batched (1 line per ${SEGMENT} ops):        ${Math.round(b).toLocaleString('en-US').padStart(9)} ops/s`);
    console.log(`  batched / unbatched:                  ${(b / u).toFixed(1)}x`);

    // End to end through the runner: runTrace checks every step (result, every invariant on
    // the implementation's observation, the observation against the spec's), so each op is
    // followed by an observe. Unbatched: one line and one round trip each. Batched: the runner
    // issues a segment's ops and observes ahead (Lockstep.issue) in batch lines, then checks.
    const checked = async (a: ExecAdapter, pipeline: boolean, which: typeof segs) => {
      const t0 = performance.now();
      let n = 0;
      for (const s of which) {
        const r = await runTrace(a, PROTOCOL_TEST_SETUP, 'v2', s.ops, { pipeline });
        if (r.failure) throw new Error(`C disagrees with the spec: ${r.failure.message}`);
        n += r.checked;
      }
      return n / ((performance.now() - t0) / 1000);
    };
    await checked(unbatched, false, segs.slice(0, 4));                  // warm-up
    await checked(batched, true, segs.slice(0, 4));
    const cu = await checked(unbatched, false, segs);
    const cb = await checked(batched, true, segs);
    console.log(`checked end to end (runTrace: result, invariants, observation after every op), ${ops} ops:`);
    console.log(`  unbatched (op, observe: 2 round trips per op): ${Math.round(cu).toLocaleString('en-US').padStart(9)} checked ops/s`);
    console.log(`  batched (issued ahead, checked per step):      ${Math.round(cb).toLocaleString('en-US').padStart(9)} checked ops/s   goal >= 50,000`);
    console.log(`  batched / unbatched:                           ${(cb / cu).toFixed(1)}x`);

    // The property loop over exec: (svacheck conform): short random sequences on the seed
    // setup, a configure and an initial observe each, one op at a time or --pipeline.
    const loop = async (a: ExecAdapter, pipeline: boolean) => {
      const r = await checkAdapter(a, { variant: 'v2', seed: 42, runs: 200, pipeline });
      if (!r.ok) throw new Error(`C disagrees with the spec: ${r.failure?.message ?? r.broke}`);
      return { rate: r.checked / (r.timeMs / 1000), checked: r.checked };
    };
    const lu = await loop(unbatched, false), lb = await loop(batched, true);
    console.log(`property loop over exec: (conform, v2, 200 sequences, ${lu.checked} ops; a configure and an initial observe per sequence):`);
    console.log(`  one op at a time:   ${Math.round(lu.rate).toLocaleString('en-US').padStart(9)} checked ops/s`);
    console.log(`  --pipeline:         ${Math.round(lb.rate).toLocaleString('en-US').padStart(9)} checked ops/s   (${(lb.rate / lu.rate).toFixed(1)}x)`);
  } finally {
    await unbatched.close();
    await batched.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
