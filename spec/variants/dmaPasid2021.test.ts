/**
 * dma-pasid-2021 ("[PATCH 1/4] ioasid: Reserve a global PASID for in-kernel DMA", 2021-12-07):
 * the claims of its mail and review as scenarios on the spec, the bundled seed-small
 * configuration checked exhaustively with every invariant that applies, and the shortest
 * difference from upstream.
 */
import { describe, expect, it } from 'vitest';
import { check, diff, loadBundledConfig } from '../../model/index.ts';
import { DESIGNS_2026, formatResult, SEED_SETUP, type Op } from '../../vocab/index.ts';
import { rng } from '../../vocab/random.ts';
import { SpecDriver } from '../driver.ts';
import { dmaPasid2021, IOASID_DMA_PASID } from './dmaPasid2021.ts';
import { BUILTIN_VARIANTS } from './index.ts';
import { upstream } from './upstream.ts';

const run = (ops: Op[], variant = dmaPasid2021) => {
  const d = new SpecDriver(SEED_SETUP, variant);
  return ops.map((op) => { const a = d.apply(op); return `${formatResult(a.result)} ${a.rule}`; });
};

describe('dma-pasid-2021: the claims of the 2021 thread', () => {
  it('"This global IOASID is excluded from the IOASID allocator": SVA PASIDs start at IOASID_ALLOC_BASE (2)', () => {
    expect(run([{ op: 'bind', dev: 'accel', mm: 'A' }, { op: 'bind', dev: 'accel', mm: 'B' }, { op: 'bind', dev: 'accel', mm: 'C' }]))
      .toEqual(['2 S5-new', '3 S5-new', 'ENOMEM D2']);
  });

  it('alloc_global, too, never hands out the reserved id (D3); upstream gives it 1', () => {
    expect(run([{ op: 'alloc_global', dev: 'nic' }, { op: 'alloc_global', dev: 'accel' }, { op: 'alloc_global', dev: 'accel' }]))
      .toEqual(['2 D3', '3 D3', 'INVALID A1-none']);
    expect(run([{ op: 'alloc_global', dev: 'nic' }], upstream)).toEqual(['1 A1']);
  });

  it('a device with one SSID (only PASID 1 usable) can never be bound: its one PASID is the kernel\'s', () => {
    expect(run([{ op: 'bind', dev: 'dsp', mm: 'A' }])).toEqual(['ENOMEM D2']);
    // ... even with the 20-bit device's help: the mm's PASID 2 is beyond the DSP (S2).
    expect(run([{ op: 'bind', dev: 'nic', mm: 'A' }, { op: 'bind', dev: 'dsp', mm: 'A' }])).toEqual(['2 S5-new', 'EOVERFLOW S2']);
    expect(run([{ op: 'bind', dev: 'dsp', mm: 'A' }], upstream)).toEqual(['1 S5-new']);
  });

  it('in-kernel DMA at the reserved PASID and SVA on the same device do not collide (upstream: the lowest global id is taken, EBUSY)', () => {
    const ops: Op[] = [{ op: 'attach_pasid', dev: 'accel', pasid: IOASID_DMA_PASID }, { op: 'bind', dev: 'accel', mm: 'A' }];
    expect(run(ops)).toEqual(['ok B1', '2 S5-new']);
    expect(run(ops, upstream)).toEqual(['ok B1', 'EBUSY B1-busy']);
  });

  it('a process keeps one PASID on every device (the same id on the accelerator and the PCI device)', () => {
    expect(run([{ op: 'bind', dev: 'nic', mm: 'A' }, { op: 'bind', dev: 'accel', mm: 'A' }])).toEqual(['2 S5-new', '2 S5-reuse']);
  });

  it('no process is ever given the reserved PASID: 300 seeded random walks of 40 calls (seed 2021; replay: the same seed)', () => {
    const rnd = rng(2021);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    for (let walk = 0; walk < 300; walk++) {
      const d = new SpecDriver(SEED_SETUP, dmaPasid2021);
      const live: string[] = [];
      for (let i = 0; i < 40; i++) {
        const dev = pick(['accel', 'dsp', 'nic']), mm = pick(['A', 'B', 'C']), r = rnd();
        const op: Op = r < 0.45 ? { op: 'bind', dev, mm, as: `h${i}` }
          : r < 0.7 && live.length > 0 ? { op: 'unbind', handle: live.splice(Math.floor(rnd() * live.length), 1)[0] }
          : r < 0.85 ? { op: 'attach_pasid', dev, pasid: IOASID_DMA_PASID } : { op: 'mm_exit', mm };
        if (d.breach(op) !== null) continue;
        const res = d.apply(op).result;
        if (op.op === 'bind' && res.kind === 'pasid') live.push(op.as!);
        if (op.op === 'unbind' && d.isLive(op.handle)) live.push(op.handle);
        for (const m of d.state.mms) expect(m.data?.pasid, `walk ${walk}, step ${i}`).not.toBe(IOASID_DMA_PASID);
      }
    }
  });
});

describe('dma-pasid-2021 on the model checker', () => {
  it('seed-small, exhaustively: every invariant that applies holds; the state count is pinned', () => {
    const r = check(loadBundledConfig('seed-small'), dmaPasid2021, { continue: true });
    expect(r.exhaustive).toBe(true);
    expect(r.violations.filter((v) => !v.expected)).toEqual([]);
    expect(r.stats.distinct).toBe(DISTINCT);
  });

  it.each(DESIGNS_2026.map((v) => [v]))('differs from %s at the first bind: the 2026 design gives PASID 1, the 2021 design 2', (name) => {
    const r = diff(loadBundledConfig('seed-small'), BUILTIN_VARIANTS[name], dmaPasid2021);
    expect(r.status).toBe('different');
    expect(r.difference).toMatchObject({ step: 1, a: '1', b: '2' });
  });
});

/**
 * Distinct states of seed-small under dma-pasid-2021 (a change to the state space shows up
 * here): 656 since alloc_global, too, never hands out the reserved id (D3).
 */
const DISTINCT = 656;
