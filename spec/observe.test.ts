/**
 * observe.ts's probes and observation, held to their definitions written the plain way: the
 * probes as defaultProbes' comment says them (sets and a sort per device), and the spec's
 * observation with its DMA answers each asked of a world of its own (the driver reuses one
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
import { BUILTIN_VARIANTS, VARIANT_BY_NAME } from './variants/index.ts';
import type { VariantName } from '../vocab/index.ts';
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

/** The reads observeSpec's reuse of earlier answers relies on: a DMA asks nothing else of the world. */
const DMA_READS = new Set(['cfg', 'slotKind', 'slotMm', 'slotDev', 'status']);
/** What the action may say of its outcome (the outcome is read back by observeSpec, not by the rule). */
const OUTCOMES = new Set(['kernel', 'fault', 'reached', 'also', 'errno', 'gave', 'invalid', 'ok', 'failed', 'result', 'rule', 'effects']);

for (const name of Object.keys(BUILTIN_VARIANTS) as VariantName[]) {
  test.prop([scenarioArb(name, { maxSteps: 40 })], { numRuns: 25 })(
    `${name}: a DMA reads only its slot, the slot's mm's status and the configuration; observeSpec reusing an earlier observation gives the observation asked afresh`,
    (scenario) => {
      const driver = new SpecDriver(scenario[0], BUILTIN_VARIANTS[name]);
      let before = driver.state, probes = defaultProbes(driver.cfg, [...pasidsInUse(before), 9, 40]);
      let obs = observeSpec(driver.variant, driver.cfg, before, probes);
      for (const op of scenarioOps(scenario)) {
        if (driver.breach(op) !== null) continue;
        driver.apply(op);
        const st = driver.state;
        // Every DMA of this state on a world that records what it is asked.
        const index = new Map(driver.cfg.devices.map((d, i) => [d.name, i]));
        for (const p of probes) {
          const asked = new Set<string>(), plain = new ObjectWorld(driver.cfg, st);
          const spy = new Proxy(plain, { get(target, key, receiver) { if (typeof key === 'string') asked.add(key); const v = Reflect.get(target, key, receiver); return typeof v === 'function' ? v.bind(target) : v; } });
          act(driver.variant, spy, { op: 'dma', dev: index.get(p.dev)!, pasid: p.pasid });
          for (const key of asked) if (!OUTCOMES.has(key)) expect(DMA_READS, `${name}: a DMA asked ${key}`).toContain(key);
        }
        const afresh = observeSpec(driver.variant, driver.cfg, st, probes);
        const reused = driver.observe(probes, { st: before, probes, obs });   // as the runner asks: the driver's world, its lowered probes
        expect(reused).toEqual(afresh);
        before = st; obs = reused;
        if (st.slots.some((g) => g.size > 3)) { probes = defaultProbes(driver.cfg, pasidsInUse(st)); obs = observeSpec(driver.variant, driver.cfg, st, probes); }
      }
    });
}
