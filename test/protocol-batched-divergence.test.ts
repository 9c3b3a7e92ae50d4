/**
 * Batching and digests keep the exact step of a divergence, end to end over exec: the C example
 * behind a proxy that plants a divergence right after its k-th operation
 * (conformance/protocol/fixtures/extra-op.mjs). Sent ahead in batch lines with digests
 * (PROTOCOL.md §8, §12), the run reports it at step k with the very failure (check, message,
 * diff) that one op per line with whole observations reports.
 *
 * The operations are seeded; replay with: SVACHECK_SEED=<n> npx vitest run test/protocol-batched-divergence.test.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { checkAdapter } from '../conformance/check.ts';
import { runTrace } from '../conformance/lockstep.ts';
import { buildCExample, openExecAdapter, type ExecAdapter } from '../conformance/protocol/index.ts';
import { nextOp, PROTOCOL_TEST_SETUP, rng } from '../conformance/protocol/gen.ts';
import { SpecDriver, VARIANT_BY_NAME } from '../spec/index.ts';
import type { Op } from '../vocab/index.ts';

const build = buildCExample();
if (!build.ok && build.noCompiler) console.warn(`SKIPPED test/protocol-batched-divergence.test.ts: ${build.reason}`);
const suite = build.ok || !build.noCompiler ? describe : describe.skip;

const SEED = Number(process.env.SVACHECK_SEED ?? 15);
console.log(`test/protocol-batched-divergence.test.ts: seed ${SEED} (replay: SVACHECK_SEED=${SEED} npx vitest run test/protocol-batched-divergence.test.ts)`);
const random = rng(SEED);
const spec = new SpecDriver(PROTOCOL_TEST_SETUP, VARIANT_BY_NAME.v2);
const ops: Op[] = [];
for (let i = 0; i < 250; i++) { const op = nextOp(spec, PROTOCOL_TEST_SETUP, random, VARIANT_BY_NAME.v2.ops); spec.apply(op); ops.push(op); }

async function planted(k: number, batch: boolean): Promise<ExecAdapter> {
  const o = await openExecAdapter(`exec:node conformance/protocol/fixtures/extra-op.mjs ${k}`, { batch });
  if (!o.ok) throw new Error(`cannot start the fixture: ${o.usage ?? o.failure?.detail}`);
  return o.adapter;
}

suite('a divergence planted after op k, over exec:', () => {
  for (const k of [1, 37, 200]) {
    it(`is reported at step ${k} when sent ahead in batches with digests, as one op per line with whole observations reports it`, async () => {
      expect(build, build.ok ? '' : build.reason).toMatchObject({ ok: true });
      const fast = await planted(k, true), slow = await planted(k, false);
      try {
        expect(fast.capabilities).toMatchObject({ batch: 1, digest: 1 });
        const batched = await runTrace(fast, PROTOCOL_TEST_SETUP, 'v2', ops, { pipeline: true });
        const single = await runTrace(slow, PROTOCOL_TEST_SETUP, 'v2', ops, { digest: false });
        expect(single.failure?.step, single.failure?.message).toBe(k);
        expect(['invariant', 'observation']).toContain(single.failure?.check);
        expect(batched.failure).toEqual(single.failure);
        expect(batched.trace).toEqual(single.trace);
        // Every op and observe went out ahead; those after steps 1..k-1 were answered by their
        // digest alone (the initial one carried the decoy, §12; and some after step k may be:
        // a diverged state can meet the spec's again).
        expect(fast.report().totals.opsSent).toBe(ops.length);
        expect(fast.digests.matched).toBeGreaterThanOrEqual(k - 1);
        expect(slow.digests.asked).toBe(0);
      } finally { await fast.close(); await slow.close(); }
    }, 60_000);
  }
});

suite('a program that dies on an op sent after its first failing step, over exec:', () => {
  it('conform (runs sent ahead by default) reports what --no-pipeline reports: the failing step, its shrunk trace and replay, not a crash', async () => {
    expect(build, build.ok ? '' : build.reason).toMatchObject({ ok: true });
    const conform = async (extra: string[]) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'svacheck-died-'));
      const io = bufferIo(process.cwd());
      const code = await main(['conform', '--impl', 'exec:node conformance/protocol/fixtures/extra-op.mjs 3 5', '--variant', 'v2',
        '--no-library', '--runs', '20', '--seed', String(SEED), '--out', dir, ...extra], io);
      // The same report but for the time taken and the folder written to.
      return { code, out: io.stdout.replace(/\d+ ms\b/g, 'T ms').replaceAll(dir, 'OUT'), err: io.stderr };
    };
    const single = await conform(['--no-pipeline']), ahead = await conform([]);
    expect(single.code, single.out).toBe(1);                            // failed, not broke (3)
    expect(single.out).toMatch(/FAILED \(invariant\): step 3 /);
    expect(ahead.out).toBe(single.out);
    expect(ahead.code).toBe(1);
    expect(ahead.err).toBe(single.err);
  }, 120_000);
});

suite('a program that dies after answering everything sent before an op beyond its failing step, over exec:', () => {
  // One request per line (maxBatch 1), sent ahead: the answers of steps 1..3 come back, then
  // the process exits on op 6, found dead after the run has failed at step 3, or while the next
  // configure waits behind the answers still owed.
  const open = async (maxBatch?: number) => {
    const o = await openExecAdapter('exec:node conformance/protocol/fixtures/extra-op.mjs 3 6', maxBatch ? { maxBatch } : {});
    if (!o.ok) throw new Error(`cannot start the fixture: ${o.usage ?? o.failure?.detail}`);
    return o.adapter;
  };

  it('the next configure starts a fresh process: every run after the failing one checks as one op per line does', async () => {
    expect(build, build.ok ? '' : build.reason).toMatchObject({ ok: true });
    const ahead = await open(1), single = await open();
    try {
      for (let i = 0; i < 3; i++) {
        const a = await runTrace(ahead, PROTOCOL_TEST_SETUP, 'v2', ops, { pipeline: true });
        const s = await runTrace(single, PROTOCOL_TEST_SETUP, 'v2', ops);
        expect(a.failure?.step, a.failure?.message).toBe(3);
        expect(a.failure).toEqual(s.failure);
      }
      // A replay one op per line (as counterexampleOf runs one) after a run sent ahead.
      const replay = await runTrace(ahead, PROTOCOL_TEST_SETUP, 'v2', ops);
      expect(replay.failure).toEqual((await runTrace(single, PROTOCOL_TEST_SETUP, 'v2', ops)).failure);
      expect(ahead.report().totals.restarts).toBeGreaterThanOrEqual(3);
      expect(single.report().totals.restarts).toBe(0);
      expect(ahead.failed).toBeNull();
    } finally { await ahead.close(); await single.close(); }
  }, 60_000);

  it('checkAdapter sent ahead finds, shrinks and replays what one op per line does', async () => {
    expect(build, build.ok ? '' : build.reason).toMatchObject({ ok: true });
    const ahead = await open(1), single = await open();
    try {
      const a = await checkAdapter(ahead, { variant: 'v2', runs: 20, seed: SEED });
      const s = await checkAdapter(single, { variant: 'v2', runs: 20, seed: SEED, pipeline: false });
      expect(s.failure?.step).toBe(3);
      expect({ ...a, timeMs: 0 }).toEqual({ ...s, timeMs: 0 });
      expect(ahead.report().totals.restarts).toBeGreaterThan(0);
      expect(ahead.failed).toBeNull();
    } finally { await ahead.close(); await single.close(); }
  }, 60_000);
});

suite('a program that crashes only on requests sent ahead (conformance/protocol/fixtures/batch-crash.mjs)', () => {
  it('fails the run with that crash, said so, where one op per line passes: never a pass', async () => {
    expect(build, build.ok ? '' : build.reason).toMatchObject({ ok: true });
    const open = async () => {
      const o = await openExecAdapter('exec:node conformance/protocol/fixtures/batch-crash.mjs 4');
      if (!o.ok) throw new Error(`cannot start the fixture: ${o.usage ?? o.failure?.detail}`);
      return o.adapter;
    };
    const ahead = await open(), single = await open();
    try {
      const sent = await checkAdapter(ahead, { variant: 'v2', setup: PROTOCOL_TEST_SETUP, seed: SEED, runs: 20 });
      const one = await checkAdapter(single, { variant: 'v2', setup: PROTOCOL_TEST_SETUP, seed: SEED, runs: 20, pipeline: false });
      expect(one.ok, one.failure?.message).toBe(true);
      expect(sent.ok).toBe(false);
      expect(sent.failure?.check).toBe('crash');
      expect(sent.failure?.message).toMatch(/requests sent ahead in batch lines, on a fresh process; one op at a time \(--no-pipeline\) the same run passes/);
    } finally { await ahead.close(); await single.close(); }
  }, 120_000);
});
