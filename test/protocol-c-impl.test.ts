/**
 * The reference C implementation (examples/c), built here with the system cc, driven through
 * the exec adapter and compared with the spec: scripted sequences, seeded random
 * contract-respecting sequences (results every step, observations every few steps), batched
 * and unbatched, and the planted v1 reuse bug, which must disagree with the spec.
 *
 * Replay a random failure with the seed it prints: SVACHECK_SEED=<n> npx vitest run test/protocol-c-impl.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffObservations } from '../conformance/abstraction.ts';
import { buildCExample, openExecAdapter, type ExecAdapter } from '../conformance/protocol/index.ts';
import { nextOp, PROTOCOL_TEST_SETUP, rng } from '../conformance/protocol/gen.ts';
import { SpecDriver, BUILTIN_VARIANTS, VARIANT_BY_NAME, defaultProbes, pasidsInUse } from '../spec/index.ts';
import { formatOp, formatResult, sameResult, SEED_SETUP, type Op, type Result, type Setup, type VariantName } from '../vocab/index.ts';

const build = buildCExample();
if (!build.ok && build.noCompiler) console.warn(`SKIPPED test/protocol-c-impl.test.ts: ${build.reason}`);
const suite = build.ok || !build.noCompiler ? describe : describe.skip;

async function open(path: string, batch = true): Promise<ExecAdapter> {
  const o = await openExecAdapter(`exec:${path}`, { batch });
  if (!o.ok) throw new Error(`could not open ${path}: ${o.usage ?? o.failure?.detail}`);
  return o.adapter;
}

const SEEDS = process.env.SVACHECK_SEED ? [Number(process.env.SVACHECK_SEED)] : [1, 2, 3];
const replay = (seed: number) => `replay: SVACHECK_SEED=${seed} npx vitest run test/protocol-c-impl.test.ts`;

suite('examples/c reference implementation over the protocol', () => {
  let c: ExecAdapter;
  beforeAll(async () => {
    expect(build, build.ok ? '' : build.reason).toMatchObject({ ok: true });
    c = await open(build.ok ? build.v2 : '');
  });
  afterAll(async () => { await c?.close(); });

  it('announces itself, protocol 1, v2/v1/upstream and every op', () => {
    expect(c.name).toBe('sva-c (examples/c)');
    expect(c.hello?.protocol).toBe(1);
    expect([...c.variants].sort()).toEqual(['upstream', 'v1', 'v2']);
    expect(c.ops).toHaveLength(11);
  });

  /** Run ops on the spec and on C; every result must agree. Returns the C results. */
  async function scripted(setup: Setup, variant: VariantName, ops: readonly Op[]): Promise<string[]> {
    const spec = new SpecDriver(setup, BUILTIN_VARIANTS[variant]);
    await c.configure(setup, variant);
    const out: string[] = [];
    for (const op of ops) {
      const want = spec.apply(op).result;
      const got = await c.apply(op);
      expect(formatResult(got), `${variant}: ${formatOp(op)}`).toBe(formatResult(want));
      out.push(formatResult(got));
    }
    const probes = defaultProbes(spec.cfg, pasidsInUse(spec.state));
    expect(diffObservations(spec.observe(probes), await c.observe(probes))).toEqual([]);
    return out;
  }

  it('v2: local PASID reuse after unbind, no mixing, ENOSPC for a second local PASID', async () => {
    const r = await scripted(SEED_SETUP, 'v2', [
      { op: 'bind_pasid', dev: 'accel', mm: 'A', pasid: 1, as: 'h1' },
      { op: 'bind_pasid', dev: 'dsp', mm: 'A', pasid: 2, as: 'h2' },
      { op: 'bind', dev: 'nic', mm: 'A', as: 'h3' },
      { op: 'enqcmd_pasid', mm: 'A' },
      { op: 'unbind', handle: 'h1' },
      { op: 'bind_pasid', dev: 'accel', mm: 'A', pasid: 3, as: 'h1' },
      { op: 'dma', dev: 'accel', pasid: 3 },
      { op: 'dma', dev: 'accel', pasid: 1 },
      { op: 'bind_pasid', dev: 'accel', mm: 'B', pasid: 0, as: 'h4' },
    ]);
    expect(r).toEqual(['1', 'ENOSPC', 'EBUSY', 'INVALID', 'ok', '3', 'A', 'fault', 'EINVAL']);
  });

  it('upstream: a failed first bind keeps its PASID; exit with live bonds faults DMA', async () => {
    const r = await scripted(SEED_SETUP, 'upstream', [
      { op: 'alloc_global', dev: 'dsp' },
      { op: 'attach_pasid', dev: 'accel', pasid: 2 },
      { op: 'bind', dev: 'accel', mm: 'A', as: 'h1' },
      { op: 'enqcmd_pasid', mm: 'A' },
      { op: 'bind', dev: 'dsp', mm: 'B', as: 'h2' },
      { op: 'bind', dev: 'nic', mm: 'A', as: 'h3' },
      { op: 'mm_exit', mm: 'A' },
      { op: 'dma', dev: 'nic', pasid: 2 },
      { op: 'unbind', handle: 'h3' },
    ]);
    expect(r).toEqual(['1', 'ok', 'EBUSY', '2', 'ENOSPC', '2', 'ok', 'fault', 'ok']);
  });

  for (const variant of ['v2', 'v1', 'upstream'] as const) {
    for (const seed of SEEDS) {
      it(`${variant}: 400 seeded random ops agree with the spec step by step (seed ${seed})`, async () => {
        const random = rng(seed);
        const ops = BUILTIN_VARIANTS[variant].ops;
        let checked = 0, errnos = 0;
        for (let segment = 0; segment < 5; segment++) {
          const spec = new SpecDriver(PROTOCOL_TEST_SETUP, BUILTIN_VARIANTS[variant]);
          await c.configure(PROTOCOL_TEST_SETUP, variant);
          for (let i = 0; i < 80; i++) {
            const op = nextOp(spec, PROTOCOL_TEST_SETUP, random, ops);
            const want = spec.apply(op).result;
            const got = await c.apply(op);
            const where = `${variant} seed ${seed}, segment ${segment + 1}, op ${i + 1}: ${formatOp(op)} (${replay(seed)})`;
            expect(formatResult(got), where).toBe(formatResult(want));
            if (want.kind === 'errno') errnos++;
            checked++;
            if (i % 5 === 4) {
              const probes = defaultProbes(spec.cfg, pasidsInUse(spec.state));
              expect(diffObservations(spec.observe(probes), await c.observe(probes)), where).toEqual([]);
            }
          }
        }
        expect(checked).toBe(400);
        expect(errnos, 'the sequences reach error paths').toBeGreaterThan(20);
      });
    }
  }

  it('v2: the same random ops sent as batches give the same results as the spec', async () => {
    const random = rng(SEEDS[0] + 1000);
    const spec = new SpecDriver(PROTOCOL_TEST_SETUP, VARIANT_BY_NAME.v2);
    const ops: Op[] = [];
    const want: Result[] = [];
    for (let i = 0; i < 300; i++) {
      const op = nextOp(spec, PROTOCOL_TEST_SETUP, random, VARIANT_BY_NAME.v2.ops);
      ops.push(op);
      want.push(spec.apply(op).result);
    }
    await c.configure(PROTOCOL_TEST_SETUP, 'v2');
    const got = await c.applyBatch(ops);
    expect(got.map(formatResult)).toEqual(want.map(formatResult));
    expect(got.every((g, i) => sameResult(g, want[i]))).toBe(true);
    // Three request lines (batches of up to 128, the default maxBatch) and three response lines carried all 300 operations.
    const lines = c.report().lines.slice(-6);
    expect(lines.filter((l) => /^> \{"id":\d+,"type":"batch","requests":\[/.test(l))).toHaveLength(3);
    expect(lines.filter((l) => /^< \{"id":\d+,"responses":\[/.test(l))).toHaveLength(3);
    const probes = defaultProbes(spec.cfg, pasidsInUse(spec.state));
    expect(diffObservations(spec.observe(probes), await c.observe(probes))).toEqual([]);
  });

  it('unbatched mode sends one line per op and still agrees', async () => {
    const u = await open(build.ok ? build.v2 : '', false);
    try {
      await u.configure(SEED_SETUP, 'v2');
      const pending = [u.apply({ op: 'alloc_global', dev: 'nic' }), u.apply({ op: 'alloc_global', dev: 'nic' })];
      expect((await Promise.all(pending)).map(formatResult)).toEqual(['1', '2']);
      expect(u.report().lines.filter((l) => l.includes('"type":"batch"'))).toHaveLength(0);
    } finally { await u.close(); }
  });
});

suite('the planted v1 reuse bug (-DPLANT_V1_REUSE_BUG)', () => {
  it('disagrees with the v2 spec on bind_pasid with a new PASID after the last unbind', async () => {
    expect(build.ok).toBe(true);
    if (!build.ok) return;
    const ops: Op[] = [
      { op: 'bind_pasid', dev: 'accel', mm: 'A', pasid: 1, as: 'h1' },
      { op: 'unbind', handle: 'h1' },
      { op: 'bind_pasid', dev: 'accel', mm: 'A', pasid: 2, as: 'h2' },
    ];
    const spec = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME.v2);
    const want = ops.map((op) => formatResult(spec.apply(op).result));
    const results: Record<string, string[]> = {};
    for (const [name, path] of [['correct', build.v2], ['planted', build.planted]] as const) {
      const a = await open(path);
      try {
        await a.configure(SEED_SETUP, 'v2');
        results[name] = [];
        for (const op of ops) results[name].push(formatResult(await a.apply(op)));
      } finally { await a.close(); }
    }
    expect(want).toEqual(['1', 'ok', '2']);
    expect(results.correct).toEqual(want);
    expect(results.planted).toEqual(['1', 'ok', 'ENOSPC']);
  });
});
