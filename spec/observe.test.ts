/**
 * observe.ts's probes and observation, held to their definitions written the plain way: the
 * probes as defaultProbes' comment says them (sets and a sort per device), and the spec's
 * observation with its DMA answers each asked of a world of its own (observeSpec reuses one
 * world and one list of lowered DMAs between calls).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { scenarioArb, scenarioOps } from '../conformance/check.ts';
import type { DmaProbe } from '../vocab/index.ts';
import { SpecDriver } from './driver.ts';
import { ObjectWorld } from './objectWorld.ts';
import { defaultProbes, observeSpec, pasidsInUse } from './observe.ts';
import { act } from './ops.ts';
import type { Config } from './state.ts';
import { VARIANT_BY_NAME } from './variants/index.ts';
import { maxPasidsOf } from './world.ts';

/** Per device, PASIDs 0..min(max, 8), its first out-of-range PASID among them, and every PASID in use up to max, ascending. */
function probesAsDefined(cfg: Config, used: readonly number[]): DmaProbe[] {
  return cfg.devices.flatMap((d, dev) => {
    const max = maxPasidsOf(cfg, dev), set = new Set<number>();
    for (let p = 0; p <= Math.min(max, 8); p++) set.add(p);
    for (const p of used) if (p <= max) set.add(p);
    return [...set].sort((a, b) => a - b).map((pasid) => ({ dev: d.name, pasid }));
  });
}

test.prop([scenarioArb('per-device', { maxSteps: 40 }), fc.array(fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 2 ** 20 })), { maxLength: 6 }).map((xs) => [...xs, ...xs])], { numRuns: 60 })(
  'defaultProbes and observeSpec give what their definitions say, in every state of random runs',
  (scenario, extra) => {
    const driver = new SpecDriver(scenario[0], VARIANT_BY_NAME['per-device']);
    const check = () => {
      const used = [...pasidsInUse(driver.state), ...extra];
      const probes = defaultProbes(driver.cfg, used);
      expect(probes).toEqual(probesAsDefined(driver.cfg, used));
      const obs = observeSpec(driver.variant, driver.cfg, driver.state, probes);
      const index = new Map(driver.cfg.devices.map((d, i) => [d.name, i]));
      expect(obs.dma).toEqual(probes.map((p) => {
        const w = new ObjectWorld(driver.cfg, driver.state);
        act(driver.variant, w, { op: 'dma', dev: index.get(p.dev)!, pasid: p.pasid });
        return { ...p, result: w.result };
      }));
    };
    check();
    for (const op of scenarioOps(scenario)) if (driver.breach(op) === null) { driver.apply(op); check(); }
  },
);
