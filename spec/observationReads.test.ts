// The state invariants are written once, against the state reads (world.ts). Conformance asks
// them of an implementation's report read as a state (observationReads.ts), the model checker
// of its states: on random spec states — reachable or not, so that every invariant breaks —
// both backends must give each invariant the same answer, reason included. The seed is random
// per run and printed; SVACHECK_SEED=n replays one.
import { describe, expect, it } from 'vitest';
import { rng } from '../vocab/random.ts';
import { resolveSetup } from '../vocab/setup.ts';
import { INVARIANTS, type StateInvariant } from './invariants.ts';
import { ObjectWorld } from './objectWorld.ts';
import { observeSpec } from './observe.ts';
import { ObservationReads } from './observationReads.ts';
import type { Config, Mm, Slot, State } from './state.ts';
import { maxPasidsOf } from './world.ts';
import { VARIANT_BY_NAME } from './variants/index.ts';

const SEED = Number(process.env.SVACHECK_SEED ?? Math.floor(Math.random() * 2 ** 32));
console.log(`spec/observationReads.test.ts: seed ${SEED} (replay: SVACHECK_SEED=${SEED})`);

/** Two SMMUs, a group of two devices, a device behind no IOMMU, small ranges so slots collide. */
const cfg: Config = resolveSetup({
  devices: [
    { name: 'accel', ssidBits: 2, group: 'g0' }, { name: 'twin', ssidBits: 3, group: 'g0' },
    { name: 'dsp', ssidBits: 1 }, { name: 'nic', ssidBits: 3, iommu: 'smmu1' }, { name: 'gpu', ssidBits: 2, iommu: null },
  ],
  iommus: [{ name: 'smmu0' }, { name: 'smmu1' }],
  mms: ['A', 'B', 'C'],
});

const STATE_INVARIANTS = INVARIANTS.filter((i): i is StateInvariant => i.scope === 'state');

/** A random state of cfg: each field drawn on its own, most of them empty, so that invariants both hold and break. */
function randomState(rand: () => number): State {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const chance = (p: number) => rand() < p;
  const ids = (): number[] => [1, 2, 3, 4, 5].filter(() => chance(0.3));
  const mms: Mm[] = cfg.mms.map(() => {
    const domains = cfg.iommus.map(() => (chance(0.7) ? 0 : pick([1, 1, 2])));
    return {
      status: pick(['live', 'live', 'exited', 'gone'] as const),
      data: chance(0.4) ? null : { pasid: pick([1, 1, 2, 3, 4]), global: chance(0.7) },
      domains, asids: domains.map((u, i) => (u > 0 ? i + 1 : 0)),
    };
  });
  const slots = cfg.groups.map((g) => {
    const range = Math.min(...g.devices.map((d) => maxPasidsOf(cfg, d)));
    const m = new Map<number, Slot>();
    for (let p = chance(0.05) ? 0 : 1; p <= range; p++) {                 // now and then PASID 0 or one beyond the range
      if (p === range && chance(0.9)) break;
      if (chance(0.55)) continue;
      const dev = pick(g.devices);
      m.set(p, chance(0.75) ? { kind: 'sva', mm: pick([0, 1, 2]), dev, users: pick([0, 1, 1, 1, 2]) } : { kind: 'kernel', dev, handle: chance(0.5) });
    }
    return m;
  });
  if (chance(0.5)) {                                                     // half the time, domains that count their bonds
    for (const m of mms) (m.domains as number[]).fill(0);
    for (const g of slots) for (const [p, x] of g) if (x.kind === 'sva') {
      g.set(p, { ...x, users: Math.max(1, x.users) });
      (mms[x.mm].domains as number[])[cfg.devices[x.dev].iommu!]++;
    }
    for (const m of mms) m.asids.forEach((_, i, a) => { (a as number[])[i] = m.domains[i] > 0 ? i + 1 : 0; });
  }
  return { mms, slots, ida: ids(), kernelHeld: ids() };
}

describe('the observation backend reads a spec state as the object backend does', () => {
  it('every state invariant gives the same answer on both, on 3000 random states', () => {
    const rand = rng(SEED);
    const v = VARIANT_BY_NAME.v2;
    const tally = new Map(STATE_INVARIANTS.map((i) => [i.name, { held: 0, broke: 0 }]));
    for (let k = 0; k < 3000; k++) {
      const st = randomState(rand);
      const object = new ObjectWorld(cfg, st);
      const observed = new ObservationReads(cfg, observeSpec(v, cfg, st), st.kernelHeld);
      for (const inv of STATE_INVARIANTS) {
        const want = inv.check(object);
        expect(inv.check(observed), `seed ${SEED}, state ${k}, ${inv.name} in ${JSON.stringify(st, (_k, x) => (x instanceof Map ? [...x] : x))}`).toBe(want);
        tally.get(inv.name)![want === null ? 'held' : 'broke']++;
      }
    }
    // The comparison means something only if each invariant both held and broke.
    for (const [name, t] of tally) {
      expect(t.held, `${name} held (seed ${SEED})`).toBeGreaterThan(10);
      expect(t.broke, `${name} broke (seed ${SEED})`).toBeGreaterThan(10);
    }
  });

  it('a report it cannot read as a state throws a TypeError naming what is wrong', () => {
    const st: State = { mms: cfg.mms.map(() => ({ status: 'live', data: null, domains: [0, 0], asids: [0, 0] })), slots: cfg.groups.map(() => new Map()), ida: [], kernelHeld: [] };
    const obs = observeSpec(VARIANT_BY_NAME.v2, cfg, st);
    const read = (o: typeof obs) => () => new ObservationReads(cfg, o, []);
    expect(read(obs)).not.toThrow();
    expect(read({ ...obs, bonds: [{ dev: 'gpu', pasid: 1, mm: 'A', users: 1 }] })).toThrow(new TypeError('a bond on gpu, which sits behind no IOMMU'));
    expect(read({ ...obs, attaches: [{ dev: 'fpga', pasid: 1 }] })).toThrow(new TypeError("unknown device 'fpga'"));
    expect(read({ ...obs, bonds: [{ dev: 'nic', pasid: 1, mm: 'Z', users: 1 }] })).toThrow(new TypeError("a bond of unknown mm 'Z'"));
    expect(read({ ...obs, mms: obs.mms.map((m) => ({ ...m, domains: [{ iommu: 'smmu9', users: 1 }] })) })).toThrow(new TypeError("mm A has an SVA domain on unknown IOMMU 'smmu9'"));
  });

  it('the first owner listed at a slot holds it; two domains of an mm behind one IOMMU add up; an mm not listed is as it starts', () => {
    const st: State = { mms: cfg.mms.map(() => ({ status: 'live', data: null, domains: [0, 0], asids: [0, 0] })), slots: cfg.groups.map(() => new Map()), ida: [], kernelHeld: [] };
    const obs = observeSpec(VARIANT_BY_NAME.v2, cfg, st);
    const r = new ObservationReads(cfg, {
      ...obs,
      bonds: [{ dev: 'twin', pasid: 2, mm: 'B', users: 1 }, { dev: 'accel', pasid: 2, mm: 'A', users: 1 }],
      attaches: [{ dev: 'accel', pasid: 2 }, { dev: 'accel', pasid: 3 }],
      mms: obs.mms.filter((m) => m.mm !== 'C').map((m) => (m.mm === 'B' ? { ...m, domains: [{ iommu: 'smmu0', users: 1 }, { iommu: 'smmu0', users: 2 }] } : m)),
    }, []);
    expect([r.slotKind(0, 2), r.slotMm(0, 2), r.slotDev(0, 2), r.slotKind(0, 3)]).toEqual(['sva', 1, 1, 'kernel']);
    expect(r.slotPasids(0)).toEqual([2, 3]);
    expect(r.domainUsers(1, 0)).toBe(3);
    expect([r.status(2), r.pasid(2), r.isGlobal(2), r.domainUsers(2, 0), r.domainUsers(2, 1)]).toEqual(['live', -1, false, 0, 0]);
  });
});
