// The object backend's shared parts: a large setup's mm list kept in chunks, and a group's
// slots kept in a persistent map, are shared between the states of a run. Each step must
// give what the same step gives on a plain copy of the state before it (nothing shared), and
// no later step may change a state handed on.
import { describe, expect, it } from 'vitest';
import { SEED_SETUP, type Op, type Setup } from '../vocab/index.ts';
import { rng } from '../vocab/random.ts';
import { SpecDriver } from './driver.ts';
import { ObjectWorld, step } from './objectWorld.ts';
import type { State } from './state.ts';
import type { SpecOp } from './step.ts';
import { VARIANT_BY_NAME } from './variants/index.ts';

const SEED = Number(process.env.SVACHECK_SEED ?? 20261130);

/** A state as plain data, nothing shared with it: what it holds, slots ascending. */
const plain = (st: State) => ({
  mms: st.mms.map((m) => ({ status: m.status, data: m.data && { ...m.data }, domains: [...m.domains], asids: [...m.asids] })),
  slots: st.slots.map((g) => [...g].sort((a, b) => a[0] - b[0]).map(([p, s]) => [p, { ...s }] as const)),
  ida: [...st.ida],
  kernelHeld: [...st.kernelHeld],
});
/** A copy of st with plain lists and maps only: a step on it starts from nothing shared. */
const unshared = (st: State): State => {
  const p = plain(st);
  return { mms: p.mms, slots: p.slots.map((g) => new Map(g)), ida: p.ida, kernelHeld: p.kernelHeld };
};

/** The spec-level op the driver ran, rebuilt from the caller's op (devices and mms by index). */
function lowered(setup: Setup, driver: SpecDriver, op: Op): SpecOp | null {
  const dev = (name: string) => setup.devices.findIndex((d) => d.name === name), mm = (name: string) => setup.mms.indexOf(name);
  switch (op.op) {
    case 'bind': return { op: 'bind', dev: dev(op.dev), mm: mm(op.mm) };
    case 'bind_pasid': return { op: 'bind_pasid', dev: dev(op.dev), mm: mm(op.mm), pasid: op.pasid };
    case 'mm_exit': return { op: 'mm_exit', mm: mm(op.mm) };
    case 'alloc_global': return { op: 'alloc_global', dev: dev(op.dev) };
    case 'free_global': return { op: 'free_global', pasid: op.pasid };
    case 'attach_pasid': return { op: 'attach_pasid', dev: dev(op.dev), pasid: op.pasid, handle: false };
    default: return null;                                                // unbinds: the driver names their slot
  }
}

/**
 * The reads the backend answers from an index (a large setup's ASIDs in use, the allocator's
 * first free id) against their definitions over the plain reads; each disagreement is noted
 * in `differ`. Returns how many ASIDs in use it compared (the index has something to say).
 */
function readsAsDefined(cfg: SpecDriver['cfg'], st: State, differ: string[], at: number): number {
  const w = new ObjectWorld(cfg, st);
  const used = new Set<number>();
  for (let m = 0; m < cfg.mms.length; m++) for (let i = 0; i < cfg.iommus.length; i++) if (w.asid(m, i) !== 0) used.add(w.asid(m, i));
  for (let g = 0; g < cfg.groups.length; g++) for (let mm = 0; mm < cfg.mms.length; mm++) {
    const bound = w.slotPasids(g).filter((p) => w.slotKind(g, p) === 'sva' && w.slotMm(g, p) === mm);
    if (JSON.stringify(w.svaPasids(g, mm)) !== JSON.stringify(bound)) differ.push(`step ${at}: svaPasids(${g}, ${mm}) is ${JSON.stringify(w.svaPasids(g, mm))}, not ${JSON.stringify(bound)}`);
  }
  for (let asid = 1; asid <= used.size + 2; asid++)
    if (w.asidUsed(asid) !== used.has(asid)) differ.push(`step ${at}: asidUsed(${asid}) is ${w.asidUsed(asid)}`);
  for (const from of [1, 2, 3, ...st.ida.slice(0, 3), ...st.ida.slice(-2)]) {
    let c = from;
    while (w.allocated(c)) c++;
    if (w.firstUnallocated(from) !== c) differ.push(`step ${at}: firstUnallocated(${from}) is ${w.firstUnallocated(from)}, not ${c}`);
  }
  return used.size;
}

describe('ObjectWorld', () => {
  for (const [mms, variant] of [[3, 'v2'], [300, 'v2'], [3, 'per-device'], [300, 'per-device']] as const) {
    it(`shares parts between states without changing one: ${mms} processes, ${variant} (seed ${SEED}; replay: SVACHECK_SEED=${SEED})`, () => {
      const setup: Setup = { ...SEED_SETUP, mms: Array.from({ length: mms }, (_, i) => `m${i}`) };
      const random = rng(SEED), pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
      const driver = new SpecDriver(setup, VARIANT_BY_NAME[variant]);
      const history: [State, ReturnType<typeof plain>][] = [];
      const live: string[] = [];
      const differ: string[] = [];
      let names = 0, compared = 0, reads = 0;
      for (let i = 0; i < 1200; i++) {
        const r = random(), dev = pick(setup.devices).name, mm = pick(setup.mms);
        const op: Op = r < 0.35 ? { op: 'bind', dev, mm, as: `h${++names}` }
          : r < 0.5 ? { op: 'bind_pasid', dev, mm, pasid: 1 + Math.floor(random() * 6), as: `h${++names}` }
          : r < 0.7 && live.length > 0 ? { op: 'unbind', handle: live.splice(Math.floor(random() * live.length), 1)[0] }
          : r < 0.8 ? { op: 'alloc_global', dev }
          : r < 0.98 || mms < 100 ? { op: 'attach_pasid', dev, pasid: 1 + Math.floor(random() * 200) }
          : { op: 'mm_exit', mm };                                         // an exit is terminal: few mms would all be gone
        if (driver.breach(op) !== null) continue;
        const before = driver.state, spec = lowered(setup, driver, op);
        const result = driver.apply(op).result;
        if (spec !== null) {                                              // the same step on a plain copy
          const again = step(VARIANT_BY_NAME[variant], driver.cfg, unshared(before), spec);
          if (JSON.stringify(again.result) !== JSON.stringify(result) || JSON.stringify(plain(again.state)) !== JSON.stringify(plain(driver.state)))
            differ.push(`step ${i}: ${JSON.stringify(op)}`);
          compared++;
        }
        if ((op.op === 'bind' || op.op === 'bind_pasid') && result.kind === 'pasid') live.push(op.as!);
        if (i % 4 === 0) history.push([driver.state, plain(driver.state)]);
        if (i % 8 === 0) reads += readsAsDefined(driver.cfg, driver.state, differ, i);
      }
      expect(differ.slice(0, 5)).toEqual([]);
      expect(compared).toBeGreaterThan(700);
      expect(reads).toBeGreaterThan(100);
      expect(driver.state.mms.filter((m) => m.data !== null).length).toBeGreaterThan(2);
      // Every state handed on still holds what it held when it was made.
      const changed = history.filter(([st, then]) => JSON.stringify(plain(st)) !== JSON.stringify(then)).length;
      expect(changed).toBe(0);
      // A large setup's state reads as plain data: its mm list is a list, copied by a spread.
      const last = driver.state;
      expect(Array.isArray(last.mms) && last.mms.length).toBe(mms);
      expect({ ...last }.mms).toBe(last.mms);
    });
  }
});

describe('ObjectWorld id lists', () => {
  it(`allocate, release, hold and unhold keep each list ascending, each id once, as a set would (seed ${SEED}; replay: SVACHECK_SEED=${SEED})`, () => {
    const random = rng(SEED);
    const driver = new SpecDriver(SEED_SETUP, VARIANT_BY_NAME.upstream);
    const w = new ObjectWorld(driver.cfg, driver.state);
    let st = driver.state;
    const ida = new Set<number>(), held = new Set<number>();
    const history: [State, string][] = [];
    const differ: string[] = [];
    for (let i = 0; i < 3000; i++) {
      w.start(driver.cfg, st);
      for (let k = 0, n = 1 + Math.floor(random() * 3); k < n; k++) {  // a step may write a list more than once
        const id = 1 + Math.floor(random() * 600), r = random();
        if (r < 0.4) { w.allocate(id); ida.add(id); }
        else if (r < 0.55) { w.release(id); ida.delete(id); }
        else if (r < 0.85) { if (!held.has(id)) { w.hold(id); held.add(id); } }
        else { w.unhold(id); held.delete(id); }
      }
      st = w.st;
      const want = (s: Set<number>) => JSON.stringify([...s].sort((a, b) => a - b));
      if (JSON.stringify(st.ida) !== want(ida) || JSON.stringify(st.kernelHeld) !== want(held)) differ.push(`step ${i}`);
      if (i % 50 === 0) history.push([st, JSON.stringify([st.ida, st.kernelHeld])]);
    }
    expect(differ.slice(0, 5)).toEqual([]);
    expect(ida.size).toBeGreaterThan(200);                               // long lists: the copies and splices of hundreds of ids ran
    expect(history.filter(([s, then]) => JSON.stringify([s.ida, s.kernelHeld]) !== then)).toEqual([]);
  });
});
