/**
 * The abstraction: order does not matter, fault kinds do not matter, anything else does, and
 * every difference reads as one line naming what differs with the spec's value first.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { SpecDriver, VARIANT_BY_NAME, defaultProbes, pasidsInUse } from '../spec/index.ts';
import type { Observation } from '../vocab/index.ts';
import { abstractObservation, diffObservations } from './abstraction.ts';
import { scenarioArb, scenarioOps } from './check.ts';

/** The spec's observation after running a random scenario (contract-respecting prefix). */
const observationArb = scenarioArb('per-device', { maxSteps: 25 }).map((scenario): Observation => {
  const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME['per-device']);
  for (const op of scenarioOps(scenario)) if (driver.breach(op) === null) driver.apply(op);
  return driver.observe(defaultProbes(driver.cfg, pasidsInUse(driver.state)));
});

const shuffle = <T>(xs: readonly T[], seed: number): T[] => {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) { seed = (seed * 1103515245 + 12345) >>> 0; const j = seed % (i + 1); [out[i], out[j]] = [out[j], out[i]]; }
  return out;
};

describe('abstractObservation / diffObservations', () => {
  test.prop([observationArb, fc.nat()], { numRuns: 60 })('reordering every list changes nothing', (obs, seed) => {
    const shuffled: Observation = {
      bonds: shuffle(obs.bonds, seed), attaches: shuffle(obs.attaches, seed + 1),
      mms: shuffle(obs.mms.map((m) => ({ ...m, domains: shuffle(m.domains, seed + 2) })), seed + 3),
      globalPasids: shuffle(obs.globalPasids, seed + 4), dma: shuffle(obs.dma, seed + 5),
    };
    expect(diffObservations(obs, shuffled)).toEqual([]);
    expect(abstractObservation(shuffled)).toEqual(abstractObservation(obs));
  });

  test.prop([observationArb], { numRuns: 60 })('fault kinds are not compared; a changed DMA answer is', (obs) => {
    const kindless: Observation = { ...obs, dma: obs.dma.map((d) => (d.result.kind === 'fault' ? { ...d, result: { kind: 'fault' } } : d)) };
    expect(diffObservations(obs, kindless)).toEqual([]);
    const first = obs.dma[0];
    const changed: Observation = { ...obs, dma: [{ ...first, result: first.result.kind === 'mm' ? { kind: 'fault' } : { kind: 'mm', mm: 'Z' } }, ...obs.dma.slice(1)] };
    const diff = diffObservations(obs, changed);
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatch(new RegExp(`^dma \\{dev: ${first.dev}, pasid: ${first.pasid}\\}: spec `));
  });

  test.prop([observationArb.filter((o) => o.bonds.length > 0)], { numRuns: 40 })('a bond with another users count is one line naming the bond', (obs) => {
    const b = obs.bonds[0];
    const diff = diffObservations(obs, { ...obs, bonds: [{ ...b, users: b.users + 1 }, ...obs.bonds.slice(1)] });
    expect(diff).toEqual([`bond ${b.dev}@${b.pasid}: spec ${b.mm} on ${b.dev} at PASID ${b.pasid} (users ${b.users}), impl ${b.mm} on ${b.dev} at PASID ${b.pasid} (users ${b.users + 1})`]);
  });

  test('readable lines for mms, global PASIDs, attaches and missing bonds', () => {
    const spec: Observation = {
      bonds: [{ dev: 'accel', pasid: 1, mm: 'A', users: 1 }], attaches: [{ dev: 'nic', pasid: 2 }],
      mms: [{ mm: 'A', state: 'live', pasid: 1, global: true, domains: [{ iommu: 'smmu0', users: 1 }] }],
      globalPasids: [1, 2], dma: [],
    };
    const impl: Observation = { bonds: [], attaches: [], mms: [{ mm: 'A', state: 'exited', pasid: 1, global: true, domains: [] }], globalPasids: [2], dma: [] };
    expect(diffObservations(spec, impl)).toEqual([
      'bond accel@1: spec A on accel at PASID 1 (users 1), impl none',
      'non-SVA attaches: spec [nic@2], impl []',
      'mm A: spec live, pasid 1 (global), domains [smmu0:1], impl exited, pasid 1 (global), domains []',
      'global PASIDs held: spec [1, 2], impl [2]',
    ]);
  });
});
