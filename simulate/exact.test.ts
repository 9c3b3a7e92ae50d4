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
 * - Two classes on one allocator, by exhaustive enumeration: upstream, processes binding the
 *   3-SSID accelerator and processes binding a 20-bit device draw from the same lowest-free
 *   global ids. Only ids 1..3 matter to the accelerator, and each is free, an accelerator
 *   user's or a PCI user's (a PCI user above 3 never moves down), so the 27 occupancy states
 *   of ids 1..3 form a Markov chain; its stationary distribution, solved exactly, gives the
 *   accelerator's failure rate P(ids 1..3 all held).
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

/** Stationary distribution of a CTMC with generator q (rows sum to 0), by Gaussian elimination. */
function stationary(q: number[][]): number[] {
  const n = q.length;
  // Solve pi Q = 0 with sum(pi) = 1: the transposed system, last equation replaced by the sum.
  const a = Array.from({ length: n }, (_, i) => [...Array.from({ length: n }, (_, j) => (i === n - 1 ? 1 : q[j][i])), i === n - 1 ? 1 : 0]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c || a[r][c] === 0) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

/** Upstream, ids 1..3 each free (0), an accelerator user's (1) or a PCI user's (2): the accelerator's failure rate. */
function accelFailureExact(lamA: number, lamN: number): number {
  const states: number[][] = [];
  for (let s = 0; s < 27; s++) states.push([s % 3, Math.floor(s / 3) % 3, Math.floor(s / 9)]);
  const index = (o: number[]) => o[0] + 3 * o[1] + 9 * o[2];
  const q = states.map(() => new Array(27).fill(0) as number[]);
  states.forEach((o, i) => {
    const free = o.indexOf(0);
    const to = (next: number[], rate: number) => { const j = index(next); if (j !== i) { q[i][j] += rate; q[i][i] -= rate; } };
    if (free >= 0) {
      to(o.map((x, k) => (k === free ? 1 : x)), lamA);                   // an accelerator user takes the lowest free id
      to(o.map((x, k) => (k === free ? 2 : x)), lamN);                   // so does a PCI user
    }
    o.forEach((x, k) => { if (x !== 0) to(o.map((y, m) => (m === k ? 0 : y)), 1); });   // holds of mean 1
  });
  const pi = stationary(q);
  return states.reduce((s, o, i) => s + (o.includes(0) ? 0 : pi[i]), 0);
}

describe('holders held for good, and processes that stay', () => {
  it('a permanent kernel DMA PASID (alloc_global takes id 1) starves a 1-SSID device under upstream: every bind fails; v2: B(1, a)', () => {
    const w = parseWorkload(`
name: permanent
devices: { dsp: { ssid_bits: 1 }, nic: { ssid_bits: 20 } }
processes: { audio: { rate: 0.5, hold: 1, binds: { dsp: bind_pasid } } }
holders: { dma: { device: nic, permanent: 1 } }
horizon: 8000
warmup: 100
replications: 5
`, 'permanent');
    const r = simulate(w, { variants: ['upstream', 'v2'], seed: SEED, sweep: ONE_POINT });
    const up = rateOf(r, 'upstream', 'dsp');
    expect(up.failures).toBe(up.attempts);
    expect(up.why).toEqual({ ENOSPC: up.attempts });
    expectExact(r, 'v2', 'dsp', erlangB(1, 0.5));
  });

  it('on_fail stay: under v2 a process refused the PCI device (EBUSY, no mixing) keeps its accelerator PASID, so the accelerator fails more than when it leaves', () => {
    const text = (onFail: string) => `
name: mixed
devices: { accel: { ssid_bits: 2 }, nic: { ssid_bits: 20 } }
processes: { mixed: { rate: 2, hold: 1, binds: { accel: bind_pasid, nic: bind } } }
on_fail: ${onFail}
horizon: 3000
warmup: 100
replications: 3
`;
    const leave = simulate(parseWorkload(text('leave'), 'leave'), { variants: ['v2', 'per-device'], seed: SEED, sweep: ONE_POINT });
    const stay = simulate(parseWorkload(text('stay'), 'stay'), { variants: ['v2', 'per-device'], seed: SEED, sweep: ONE_POINT });
    // Every accelerator bind that succeeds is followed by a refused global bind under v2.
    expect(rateOf(leave, 'v2', 'nic').rate).toBe(1);
    // Leaving at once frees the PASID: nobody holds it, so the accelerator never fails.
    expect(rateOf(leave, 'v2', 'accel').failures).toBe(0);
    // Staying holds it for a lifetime: 3 PASIDs offered 2 Erlangs, as per-device (which mixes freely).
    expectExact(stay, 'v2', 'accel', erlangB(3, 2));
    expectExact(stay, 'per-device', 'accel', erlangB(3, 2));
    expect(rateOf(stay, 'per-device', 'nic').failures).toBe(0);
  });
});

describe('exhaustive enumeration', () => {
  it('upstream: accelerator and PCI users on one allocator, the 27-state chain of ids 1..3; v2 with a pool: Erlang B', () => {
    const w = parseWorkload(`
name: two-classes
devices: { accel: { ssid_bits: 2 }, nic: { ssid_bits: 20 } }
processes:
  ml:  { rate: 1, hold: 1, binds: { accel: bind_pasid } }
  net: { rate: 2, hold: 1, binds: { nic: bind } }
horizon: 8000
warmup: 100
replications: 5
`, 'two-classes');
    const r = simulate(w, { variants: ['upstream', 'v2'], seed: SEED, sweep: ONE_POINT });
    const exact = accelFailureExact(1, 2);
    expect(exact).toBeGreaterThan(erlangB(3, 1) + 0.1);                  // the PCI users' share is visible
    expectExact(r, 'upstream', 'accel', exact);
    expectExact(r, 'v2', 'accel', erlangB(3, 1));
    // The chain without PCI users is Erlang's: the enumeration and the formula agree.
    expect(accelFailureExact(2, 0)).toBeCloseTo(erlangB(3, 2), 12);
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
