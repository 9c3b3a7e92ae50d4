/**
 * The observation digest (PROTOCOL.md §12) says "equal" where the abstraction does: it does
 * not see list order nor fault kinds, and it sees every other change of the observation (the
 * changes lockstep.test.ts makes to test sameAsSpec).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { SpecDriver, VARIANT_BY_NAME, defaultProbes, pasidsInUse } from '../../spec/index.ts';
import type { Observation } from '../../vocab/index.ts';
import { diffObservations } from '../abstraction.ts';
import { scenarioArb, scenarioOps } from '../check.ts';
import { observationDigest } from './digest.ts';

const observationArb = scenarioArb('per-device', { maxSteps: 25 }).map((scenario): Observation => {
  const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME['per-device']);
  for (const op of scenarioOps(scenario)) if (driver.breach(op) === null) driver.apply(op);
  return driver.observe(defaultProbes(driver.cfg, pasidsInUse(driver.state)));
});
const reorder = <T>(xs: readonly T[], seed: number): T[] => xs.map((x, i) => [x, (i * 7919 + seed) % 101] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x);

test.prop([observationArb, fc.nat(), fc.integer({ min: 0, max: 8 })], { numRuns: 200 })('equal digests exactly where the abstraction sees no difference', (spec, seed, change) => {
  const b = spec.bonds[0], d = spec.dma[seed % Math.max(1, spec.dma.length)], m = spec.mms[seed % spec.mms.length];
  const impl: Observation = [
    { ...spec, bonds: reorder(spec.bonds, seed), attaches: reorder(spec.attaches, seed), mms: reorder(spec.mms, seed).map((x) => ({ ...x, domains: reorder(x.domains, seed) })), globalPasids: reorder(spec.globalPasids, seed), dma: reorder(spec.dma, seed) },
    { ...spec, bonds: b ? [{ ...b, users: b.users + 1 }, ...spec.bonds.slice(1)] : [{ dev: 'nic', pasid: 1, mm: 'A', users: 1 }] },
    { ...spec, bonds: b ? [b, ...spec.bonds] : spec.bonds, attaches: [...spec.attaches, { dev: 'nic', pasid: 9 }] },
    { ...spec, globalPasids: [...spec.globalPasids, 1 + (seed % 8)] },
    { ...spec, dma: d ? spec.dma.map((x) => (x === d ? { ...x, result: x.result.kind === 'fault' ? { kind: 'kernel' as const } : { kind: 'fault' as const } } : x)) : [{ dev: 'nic', pasid: 0, result: { kind: 'kernel' as const } }] },
    { ...spec, mms: spec.mms.map((x) => (x === m ? { ...x, state: x.state === 'live' ? 'exited' as const : 'live' as const } : x)) },
    { ...spec, dma: spec.dma.map((x, i) => (x.result.kind === 'fault' ? { ...x, result: { kind: 'fault' as const, ...(i % 2 ? { fault: 'bad_cd' as const } : {}) } } : x)) },
    { ...spec, mms: spec.mms.map((x) => (x === m ? { ...x, domains: [...x.domains, { iommu: 'smmu0', users: 1 }] } : x)) },
    { ...spec, mms: spec.mms.map((x) => (x === m ? { ...x, pasid: x.pasid === null ? 5 : null } : x)) },
  ][change];
  const same = diffObservations(spec, impl).length === 0;
  expect(observationDigest(impl) === observationDigest(spec)).toBe(same);
  if (change === 0 || change === 6) expect(same).toBe(true);
});
