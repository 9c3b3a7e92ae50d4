/**
 * Operations per second through the subprocess protocol against the C example
 * (examples/c/build/sva-v2), unbatched (one request line and one round trip per op) and
 * batched (batch lines of up to 128 requests), measured in the same run on the same
 * precomputed contract-respecting sequences: results alone, then checked end to end with
 * whole observations and with digests (PROTOCOL.md §12). Run: npm run bench protocol
 */
import { buildCExample, openExecAdapter, type ExecAdapter } from '../conformance/protocol/index.ts';
import { nextOp, PROTOCOL_TEST_SETUP, rng } from '../conformance/protocol/gen.ts';
import { checkAdapter } from '../conformance/check.ts';
import { runTrace } from '../conformance/lockstep.ts';
import { SpecDriver, VARIANT_BY_NAME } from '../spec/index.ts';
import { formatResult, type Op } from '../vocab/index.ts';
import { recordGoal } from './goals.ts';
import { median, runnerCpuMs, statCpuMs } from './cpu.ts';

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

/** CPU time the implementation's process used so far, in ms (Linux /proc; 0 where there is none). */
const childCpuMs = (a: ExecAdapter): number => statCpuMs(`/proc/${a.report().pid}/stat`);
const n0 = (x: number) => Math.round(x).toLocaleString('en-US').padStart(9);

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
    // End to end through the runner: runTrace checks every step (result, every invariant, the
    // observation against the spec's), so each op is followed by an observe. Unbatched: one
    // line and one round trip each, as conform --no-pipeline runs. Batched: the runner issues a
    // segment's ops and observes ahead (Lockstep.issue, as conform runs by default) in batch
    // lines, then checks step by step. Digests (PROTOCOL.md §12): each observe carries the
    // digest of the spec's observation and comes back as that digest alone when the C agrees;
    // whole: every observe answered with the whole observation. Median of 3 passes.
    // CPU per checked op of each side, for the batched passes: on a shared machine the wall
    // clock shows what the two cores were left to do; these show what each side costs.
    const cpu = { runner: 0, others: 0, impl: 0, ops: 0 };
    const checked = async (a: ExecAdapter, pipeline: boolean, digest: boolean, which: typeof segs, count = false) => {
      const t0 = performance.now(), c0 = runnerCpuMs(), i0 = childCpuMs(a);
      let n = 0;
      for (const s of which) {
        const r = await runTrace(a, PROTOCOL_TEST_SETUP, 'v2', s.ops, { pipeline, digest });
        if (r.failure) throw new Error(`C disagrees with the spec: ${r.failure.message}`);
        n += r.checked;
      }
      if (count) { const c = runnerCpuMs(); cpu.runner += c.main - c0.main; cpu.others += c.others - c0.others; cpu.impl += childCpuMs(a) - i0; cpu.ops += n; }
      return n / ((performance.now() - t0) / 1000);
    };
    const passes = async (a: ExecAdapter, pipeline: boolean, digest: boolean, count = false) => {
      // Warm-up: a whole pass when sent ahead (a few hundred ms), so that the CPU counted is the
      // runner's steady state and not the compiler's threads still optimizing it; a tenth
      // unbatched (seconds per pass).
      await checked(a, pipeline, digest, pipeline ? segs : segs.slice(0, 4));
      const one = () => checked(a, pipeline, digest, segs, count);
      return median([await one(), await one(), await one()]);
    };
    const spread = (m: { lo: number; hi: number }) => `(${Math.round(m.lo).toLocaleString('en-US')}..${Math.round(m.hi).toLocaleString('en-US')})`;
    // The default path (batched, digests: what conform runs) is measured first in this bench:
    // measured after the whole-observation passes, its runner used about half as much CPU
    // again per op (its code and heap shaped by the other path), which a conform run, digests
    // throughout, never pays.
    const bd = await passes(batched, true, true, true);
    await measure(unbatched, segs.slice(0, 4), false);                   // warm-up
    await measure(batched, segs.slice(0, 4), true);
    const u = await measure(unbatched, segs, false);
    const b = await measure(batched, segs, true);
    const ops = SEGMENT * SEGMENTS;
    console.log(`protocol, C example (v2), ${ops} ops in ${SEGMENTS} configures, results only (no observe), checked against the spec:`);
    console.log(`  unbatched (1 line per op):                       ${n0(u)} ops/s`);
    console.log(`  batched (lines of up to 128 ops):                ${n0(b)} ops/s   (${(b / u).toFixed(1)}x)`);

    // The other three rows take turns, pass by pass, so that a change in the machine's load
    // falls on all of them alike: measured one after the other, the two unbatched rows swapped
    // places from run to run (interleaved in one process, digests cost the runner about half as
    // much per op unbatched: a whole observation is about 1.5 KB of JSON to parse and compare).
    const rows = [[unbatched, false, false], [unbatched, false, true], [batched, true, false]] as const;
    for (const [a, pipeline, digest] of rows) await checked(a, pipeline, digest, pipeline ? segs : segs.slice(0, 4));   // warm-up
    const rates: number[][] = rows.map(() => []);
    for (let pass = 0; pass < 3; pass++) for (const [i, [a, pipeline, digest]] of rows.entries()) rates[i].push(await checked(a, pipeline, digest, segs));
    const [uw, ud, bw] = rates.map(median);
    console.log(`checked end to end (runTrace: result, invariants, observation after every op), ${ops} ops, median of 3:`);
    console.log(`  unbatched, whole observations (2 round trips per op): ${n0(uw.mid)} checked ops/s ${spread(uw)}`);
    console.log(`  unbatched, digests (2 round trips per op):            ${n0(ud.mid)} checked ops/s ${spread(ud)}   no goal`);
    console.log(`  batched, whole observations (issued ahead):          ${n0(bw.mid)} checked ops/s ${spread(bw)}`);
    console.log(`  batched, digests (issued ahead, checked per step):   ${n0(bd.mid)} checked ops/s ${spread(bd)}   goal >= 50,000`);
    if (cpu.impl > 0) {
      // The runner's main thread and the C example work in turn on each op but overlap across
      // ops (the runner checks a step while the C answers later ones): on two idle cores the
      // slower of the two sets the pace, and all three (the runner's other threads too) must
      // fit in two cores' time.
      const per = (ms: number) => ms * 1000 / cpu.ops, us = (ms: number) => per(ms).toFixed(1);
      const best = Math.min(1e6 / Math.max(per(cpu.runner), per(cpu.impl)), 2e6 / (per(cpu.runner) + per(cpu.others) + per(cpu.impl)));
      console.log(`    CPU per checked op, batched with digests: runner ${us(cpu.runner)} us (main thread; its other threads ${us(cpu.others)} us), C example ${us(cpu.impl)} us ` +
        `(on two idle cores at best ${n0(best).trim()} checked ops/s)`);
    }
    recordGoal('exec: C example, unbatched (one op per line), digests', ud.mid, null);
    recordGoal('exec: C example, batched (sent ahead, the default), digests', bd.mid, 50_000);

    // The property loop over exec: (svacheck conform): short random sequences on the seed
    // setup, a configure and an initial observe each, one op at a time (--no-pipeline) or sent
    // ahead (the default).
    const loop = async (a: ExecAdapter, pipeline: boolean) => {
      const r = await checkAdapter(a, { variant: 'v2', seed: 42, runs: 200, pipeline });
      if (!r.ok) throw new Error(`C disagrees with the spec: ${r.failure?.message ?? r.broke}`);
      return { rate: r.checked / (r.timeMs / 1000), checked: r.checked };
    };
    const lu = await loop(unbatched, false), lb = await loop(batched, true);
    console.log(`property loop over exec: (conform, v2, 200 sequences, ${lu.checked} ops; a configure and an initial observe per sequence; digests):`);
    console.log(`  one op at a time (--no-pipeline): ${n0(lu.rate)} checked ops/s`);
    console.log(`  sent ahead (the default):         ${n0(lb.rate)} checked ops/s   (${(lb.rate / lu.rate).toFixed(1)}x)`);
  } finally {
    await unbatched.close();
    await batched.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
