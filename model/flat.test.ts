// The flat invariants (flatInvariants.ts) and
// the flat availability findings are second writings of spec/ and of their definitions; these
// tests hold them to the originals on every reachable state of the bundled configurations.
import { describe, expect, it } from 'vitest';
import { checkInvariants, maxPasids, observeSpec, variantByName, type Config, type SpecOp, type State } from '../spec/index.ts';
import { VARIANTS, type Result } from '../vocab/index.ts';
import { availabilityOf, type AvailabilityKind } from './availability.ts';
import { invariantsFor } from './check.ts';
import { loadBundledConfig } from './config.ts';
import type { ObjectEngine } from './engine.ts';
import { explore } from './explore.ts';
import { FlatInvariants } from './flatInvariants.ts';
import { RK_ERRNO } from './outcome.ts';
import { EncodingError, buildSpace, toFlat } from './space.ts';

describe('flat invariants', () => {
  const mc = loadBundledConfig('seed-small');
  const v2 = variantByName('v2')!;
  const space = buildSpace(mc, [v2]);
  const cfg = space.cfg;
  const accel = 0, dsp = 1, A = 0, B = 1;
  const live = (pasid: number | null, global = true, domains = [0]) => ({ status: 'live' as const, data: pasid === null ? null : { pasid, global }, domains, asids: domains.map((u) => (u > 0 ? 1 : 0)) });
  const bond = (mm: number, dev: number, users = 1) => ({ kind: 'sva' as const, mm, dev, users });
  const state = (p: Partial<State>): State => ({ mms: [live(null), live(null)], slots: [new Map(), new Map()], ida: [], kernelHeld: [], ...p });

  const cases: [string, State][] = [
    ['a clean state', state({ mms: [live(1, true, [1]), live(null)], slots: [new Map([[1, bond(A, accel)]]), new Map()], ida: [1] })],
    ['globalPasidHasExactlyOneOwner', state({ ida: [1] })],
    ['localPasidNeverFreedGlobally', state({ mms: [live(1), live(null)] })],
    // A's ENQCMD PASID 1 reaches B's bond on accel, where A is bound at 2.
    ['enqcmdPasidIsGlobalAndMeansItsMm', state({
      mms: [live(1, true, [1]), live(1, false, [1])], slots: [new Map([[1, bond(B, accel)], [2, bond(A, accel)]]), new Map()], ida: [1],
    })],
    ['domainUsersMatchAttachments', state({ mms: [live(1), live(null)], slots: [new Map([[1, bond(A, accel)]]), new Map()], ida: [1] })],
    ['goneMmHoldsNothing', state({ mms: [{ status: 'gone', data: null, domains: [1], asids: [1] }, live(null)], slots: [new Map([[1, bond(A, dsp)]]), new Map()] })],
    ['bondsUseTheMmPasid', state({ mms: [live(2, true, [1]), live(null)], slots: [new Map([[1, bond(A, accel)]]), new Map()], ida: [2] })],
  ];
  it.each(cases)('%s: the flat verdicts are the spec invariants\' verdicts', (name, st) => {
    const invs = invariantsFor(mc, v2);
    const flat = new FlatInvariants(space, invs);
    const f = new Int32Array(space.layout.n);
    toFlat(space, st, f, 0);
    const spec = checkInvariants({ cfg, variant: v2, obs: observeSpec(v2, cfg, st), kernelHeld: st.kernelHeld }).map((x) => x.invariant);
    expect(flat.broken(f, 0)).toEqual(spec);
    if (name === 'a clean state') expect(spec).toEqual([]);
    else expect(spec).toContain(name);
  });

  it('oneBondPerGroupAndMm (per-device): two bonds of one mm in a group', () => {
    const pd = variantByName('per-device')!;
    const sp = buildSpace(mc, [pd]);
    const st = state({ mms: [live(null, true, [2]), live(null)], slots: [new Map([[1, bond(A, accel)], [2, bond(A, accel)]]), new Map()] });
    const f = new Int32Array(sp.layout.n);
    toFlat(sp, st, f, 0);
    const spec = checkInvariants({ cfg, variant: pd, obs: observeSpec(pd, cfg, st), kernelHeld: [] }).map((x) => x.invariant);
    expect(spec).toContain('oneBondPerGroupAndMm');
    expect(new FlatInvariants(sp, invariantsFor(mc, pd)).broken(f, 0)).toEqual(spec);
  });

  it('a state the layout cannot hold is refused, not merged: a bond beyond its group\'s range', () => {
    const st = state({ mms: [live(3, false, [1]), live(null)], slots: [new Map(), new Map([[3, bond(A, dsp)]])] });
    expect(() => toFlat(space, st, new Int32Array(space.layout.n), 0)).toThrow(EncodingError);
  });
});

/** The availability definitions (availability.ts header) on spec states, as first written. */
function availabilityOnSpec(cfg: Config, before: State, op: SpecOp, result: Result): AvailabilityKind | null {
  if (result.kind !== 'errno' || (op.op !== 'bind' && op.op !== 'bind_pasid')) return null;
  const g = cfg.devices[op.dev].iommu === null ? null : cfg.devices[op.dev].group;
  if (g === null) return null;
  const mm = before.mms[op.mm];
  const slots = before.slots[g];
  const range = Math.min(...cfg.groups[g].devices.map((d) => maxPasids(cfg, d)));
  if (op.op === 'bind_pasid') {
    if (result.errno !== 'ENOSPC' || mm.domains.some((u) => u > 0)) return null;
    return op.pasid > 0 && op.pasid < range && !slots.has(op.pasid) ? 'idle-local-kept' : null;
  }
  if (mm.data !== null) return null;
  for (const s of slots.values()) if (s.kind === 'sva' && s.mm === op.mm) return null;
  if (result.errno === 'ENOSPC') {
    for (let p = 1; p < range; p++) if (!slots.has(p)) return 'starved';
    return null;
  }
  if (result.errno !== 'EBUSY') return null;
  let want = 1;
  for (const held of before.ida) { if (held > want) break; if (held === want) want++; }
  const at = slots.get(want);
  if (at === undefined) return null;
  let otherFree = false;
  for (let p = 1; p < range; p++) if (!slots.has(p) && !before.ida.includes(p)) { otherFree = true; break; }
  if (!otherFree) return null;
  if (at.kind === 'sva') return before.mms[at.mm].data?.pasid === want && before.mms[at.mm].data?.global ? null : 'local-collision';
  return before.kernelHeld.includes(want) ? null : 'attach-collision';
}

describe('availability findings on flat states', () => {
  // seed-small without per-device (the slowest under the spec engine) still shows every kind.
  it.each([['seed-small', ['upstream', 'v1', 'v2']], ['twins', VARIANTS]] as const)('%s: the same finding as the definition on spec states, on every failing bind', (name, variants) => {
    const mc = loadBundledConfig(name);
    const kinds = new Set<string>();
    let failing = 0;
    for (const vname of variants) {
      const v = variantByName(vname)!;
      const space = buildSpace(mc, [v]);
      explore(space, [v], {
        transition(_parent, t, engine) {
          const o = engine.out[0];
          if (o.rk !== RK_ERRNO) return false;
          failing++;
          const before = (engine as ObjectEngine).specStates[0];
          const want = availabilityOnSpec(space.cfg, before, space.templates[t], o.result(space.cfg.mms));
          expect(availabilityOf(space, engine.before, 0, t, o)).toBe(want);
          if (want) kinds.add(want);
          return false;
        },
      }, { engine: 'object' });
    }
    expect(failing).toBeGreaterThan(1000);
    expect([...kinds].sort()).toEqual(name === 'seed-small'
      ? ['attach-collision', 'idle-local-kept', 'local-collision', 'starved']
      : expect.arrayContaining(['starved']));
  });
});
