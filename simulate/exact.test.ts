/**
 * The simulator's rates against exact values on tiny workloads, where queueing theory gives
 * them in closed form. Each check: the exact value lies inside the reported 95% interval, and
 * the estimate is within 1.5 points of it. Seeds are fixed, so the runs are deterministic; a
 * simulator that counted, scheduled or allocated wrongly would miss by far more.
 *
 * - Erlang's loss formula B(c, a): Poisson arrivals offering a Erlangs to a device with c free
 *   PASIDs, each process binding it alone, blocked processes leaving. The seen-by-arrivals
 *   failure rate is B(c, a) (PASTA), under bind_pasid from the driver's pool (v2, per-device)
 *   and under upstream's global allocator alike, when no one else takes global ids.
 * - Engset's formula: a closed population of n processes, each starting after an exponential
 *   think time and leaving at once when refused (blocked calls cleared).
 * - The seed's starvation, exactly: upstream, a 1-SSID DSP whose users and a kernel driver's
 *   DMA PASIDs (alloc_global on a 20-bit device) compete for global id 1. Id 1 is free, held
 *   by a DSP process, or held by a kernel holder; a kernel holder takes it only when it is
 *   free (lowest free id first) and never moves to it later, so id 1 is a three-state Markov
 *   chain and a DSP bind fails with probability (aK + aD) / (1 + aK + aD), aK and aD the two
 *   offered loads. Under v2 the DSP's PASID comes from its own pool: B(1, aD).
 */
import { describe, expect, it } from 'vitest';
import { engset, erlangB, parseWorkload, simulate, type SimulateResult } from './index.ts';

const SEED = 20260521;
/** The workload as written: load 1. */
const ONE_POINT = { param: 'load', values: [1] };

function rateOf(r: SimulateResult, variant: string, dev: string) {
  const i = r.variants.findIndex((v) => v.name === variant);
  return r.points[0].byVariant[i].devices[dev];
}

function expectExact(r: SimulateResult, variant: string, dev: string, exact: number): void {
  const c = rateOf(r, variant, dev);
  const replay = `simulate seed ${r.seed}, variant ${variant}, device ${dev}`;
  expect(c.attempts, replay).toBeGreaterThan(10_000);
  expect(c.lo!, `${replay}: interval [${c.lo}, ${c.hi}] vs exact ${exact}`).toBeLessThanOrEqual(exact);
  expect(c.hi!, `${replay}: interval [${c.lo}, ${c.hi}] vs exact ${exact}`).toBeGreaterThanOrEqual(exact);
  expect(Math.abs(c.rate! - exact), `${replay}: rate ${c.rate} vs exact ${exact}`).toBeLessThan(0.015);
}

describe('closed forms', () => {
  it('Erlang B: 3 PASIDs, 2 Erlangs offered, bind_pasid pool or the global allocator', () => {
    const w = parseWorkload(`
name: erlang
devices: { accel: { ssid_bits: 2 } }
processes: { ml: { rate: 2, hold: 1, binds: { accel: bind_pasid } } }
horizon: 8000
warmup: 100
replications: 5
`, 'erlang');
    const r = simulate(w, { variants: ['upstream', 'v2', 'per-device'], seed: SEED, sweep: ONE_POINT });
    const exact = erlangB(3, 2);
    expect(exact).toBeCloseTo(0.2105, 4);
    for (const v of ['upstream', 'v2', 'per-device']) expectExact(r, v, 'accel', exact);
  });

  it('Engset: 4 processes with think time 2 share one PASID', () => {
    const w = parseWorkload(`
name: engset
devices: { dsp: { ssid_bits: 1 } }
processes: { audio: { population: 4, think: 2, hold: 1, binds: { dsp: bind_pasid } } }
horizon: 8000
warmup: 100
replications: 5
`, 'engset');
    const r = simulate(w, { variants: ['upstream', 'v2'], seed: SEED, sweep: ONE_POINT });
    const exact = engset(4, 1, 0.5);
    expect(exact).toBeCloseTo(0.6, 10);
    for (const v of ['upstream', 'v2']) expectExact(r, v, 'dsp', exact);
  });

  it('the seed starvation: kernel DMA PASIDs take global id 1 from a 1-SSID device under upstream, not under v2', () => {
    const w = parseWorkload(`
name: starve
devices: { dsp: { ssid_bits: 1 }, nic: { ssid_bits: 20 } }
processes: { audio: { rate: 0.5, hold: 1, binds: { dsp: bind_pasid } } }
holders: { dma: { device: nic, rate: 0.2, hold: 2, attach: true } }
horizon: 30000
warmup: 100
replications: 5
`, 'starve');
    const r = simulate(w, { variants: ['upstream', 'v2', 'per-device'], seed: SEED, sweep: ONE_POINT });
    const aK = 0.4, aD = 0.5;
    expectExact(r, 'upstream', 'dsp', (aK + aD) / (1 + aK + aD));
    expectExact(r, 'v2', 'dsp', erlangB(1, aD));
    expectExact(r, 'per-device', 'dsp', erlangB(1, aD));
  });
});

describe('the formulas themselves', () => {
  it('Erlang B and Engset on hand-computed values', () => {
    expect(erlangB(1, 1)).toBeCloseTo(0.5, 12);
    expect(erlangB(2, 1)).toBeCloseTo(0.2, 12);                          // (1/2) / (1 + 1 + 1/2)
    expect(engset(2, 1, 1)).toBeCloseTo(0.5, 12);                        // C(1,1) / (1 + 1)
    expect(engset(3, 2, 1)).toBeCloseTo(1 / 4, 12);                      // C(2,2) / (1 + 2 + 1)
  });
});
