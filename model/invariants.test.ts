// The checker's invariants (invariantsFor: the configuration's state invariants that apply to
// the variant) on hand-built states: each breaks exactly where it should, and a state the flat
// layout cannot hold is refused rather than merged. Then the flat backend held to the object
// one on the invariants and findings, over every reachable state of the bundled configurations.
import { describe, expect, it } from 'vitest';
import { INVARIANTS, ObjectWorld, findingOf, stateInvariantsFor, variantByName, type State } from '../spec/index.ts';
import { ERRNOS, VARIANTS } from '../vocab/index.ts';
import { invariantsFor } from './check.ts';
import { bundledConfigNames, loadBundledConfig } from './config.ts';
import { explore } from './explore.ts';
import { FlatWorld } from './flatWorld.ts';
import { RK_ERRNO } from './outcome.ts';
import { EncodingError, buildSpace, fromFlat, toFlat } from './space.ts';

describe("the checker's invariants", () => {
  const mc = loadBundledConfig('seed-small');
  const v2 = variantByName('v2')!;
  const space = buildSpace(mc, [v2]);
  const cfg = space.cfg;
  const accel = 0, dsp = 1, A = 0, B = 1;
  const live = (pasid: number | null, global = true, domains = [0]) => ({ status: 'live' as const, data: pasid === null ? null : { pasid, global }, domains, asids: domains.map((u) => (u > 0 ? 1 : 0)) });
  const bond = (mm: number, dev: number, users = 1) => ({ kind: 'sva' as const, mm, dev, users });
  const state = (p: Partial<State>): State => ({ mms: [live(null), live(null)], slots: [new Map(), new Map()], ida: [], kernelHeld: [], ...p });
  const broken = (v: typeof v2, st: State) => invariantsFor(mc, v).filter((inv) => inv.check(new ObjectWorld(cfg, st)) !== null).map((inv) => inv.name);

  it('asks only state invariants: the observation ones hold by construction on every state', () => {
    expect(invariantsFor(mc, v2).every((inv) => inv.scope === 'state')).toBe(true);
    expect(invariantsFor(mc, v2).map((inv) => inv.name)).not.toContain('noTwoOwnersShareADeviceSlot');
  });

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
  it.each(cases)('%s', (name, st) => {
    if (name === 'a clean state') expect(broken(v2, st)).toEqual([]);
    else expect(broken(v2, st)).toContain(name);
  });

  it('oneBondPerGroupAndMm (per-device): two bonds of one mm in a group', () => {
    const pd = variantByName('per-device')!;
    const st = state({ mms: [live(null, true, [2]), live(null)], slots: [new Map([[1, bond(A, accel)], [2, bond(A, accel)]]), new Map()] });
    expect(broken(pd, st)).toEqual(['oneBondPerGroupAndMm']);
  });

  it("a state the layout cannot hold is refused, not merged: a bond beyond its group's range", () => {
    const st = state({ mms: [live(3, false, [1]), live(null)], slots: [new Map(), new Map([[3, bond(A, dsp)]])] });
    expect(() => toFlat(space, st, new Int32Array(space.layout.n), 0)).toThrow(EncodingError);
  });
});

describe('the flat and the object backend give the invariants and findings the same answers', () => {
  // check() asks them of its flat states in place (FlatWorld); trace reconstruction, walk and
  // conformance ask them of objects. On every reachable state and failing bind, both agree.
  it.each(bundledConfigNames())('%s, every variant, every reachable state and failing bind', (name) => {
    const mc = loadBundledConfig(name);
    let states = 0, broken = 0, found = 0;
    for (const vname of mc.variants) {
      const v = variantByName(vname)!;
      const space = buildSpace(mc, [v]);
      const flat = new FlatWorld(space);
      const invs = stateInvariantsFor(INVARIANTS.map((i) => i.name), v);
      explore(space, [v], {
        newState(_idx, engine) {
          states++;
          const object = new ObjectWorld(space.cfg, fromFlat(space, engine.after, 0));
          for (const inv of invs) {
            const want = inv.check(object);
            expect(inv.check(flat.view(engine.after, 0)), inv.name).toBe(want);
            if (want !== null) broken++;
          }
          return false;
        },
        transition(_parent, t, engine) {
          const o = engine.out[0], op = space.templates[t];
          if (o.rk !== RK_ERRNO) return false;
          const want = findingOf(new ObjectWorld(space.cfg, fromFlat(space, engine.before, 0)), op, ERRNOS[o.rv]);
          expect(findingOf(flat.view(engine.before, 0), op, ERRNOS[o.rv])).toBe(want);
          if (want !== null) found++;
          return false;
        },
      });
    }
    expect(states).toBeGreaterThan(100);
    expect(found).toBeGreaterThan(0);
    if (name !== 'groups' && mc.variants.includes('per-device')) expect(broken).toBeGreaterThan(0);  // per-device's documented G2 finding
  });
});
