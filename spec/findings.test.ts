// Each availability finding on a hand-built state, and the nearest state or errno that is not it.
import { describe, expect, it } from 'vitest';
import { resolveSetup } from '../vocab/setup.ts';
import { findingOf } from './findings.ts';
import { ObjectWorld } from './objectWorld.ts';
import type { Mm, Slot, State } from './state.ts';
import { SEED } from './testkit.ts';

const cfg = resolveSetup(SEED);                                          // accel: PASIDs 1..3, dsp: 1, nic: 1..2^20-1
const accel = 0, dsp = 1, nic = 2, A = 0, B = 1;
const mm = (data: Mm['data'] = null, domain = 0): Mm => ({ status: 'live', data, domains: [domain], asids: [domain > 0 ? 1 : 0] });
const bond = (m: number, dev: number): Slot => ({ kind: 'sva', mm: m, dev, users: 1 });
const state = (p: Partial<State> & { accel?: [number, Slot][]; dsp?: [number, Slot][] } = {}): ObjectWorld => new ObjectWorld(cfg, {
  mms: [mm(), mm(), mm()], ida: [], kernelHeld: [], ...p,
  slots: [new Map(p.accel ?? []), new Map(p.dsp ?? []), new Map()],
});
const bind = (dev: number) => ({ op: 'bind' as const, dev, mm: A });

describe('availability findings', () => {
  it('starved: ENOSPC with a PASID of the device free in its group', () => {
    expect(findingOf(state({ ida: [1] }), bind(dsp), 'ENOSPC')).toBe('starved');
    expect(findingOf(state({ ida: [1], dsp: [[1, bond(B, dsp)]] }), bind(dsp), 'ENOSPC')).toBeNull();      // every PASID of dsp is taken
    expect(findingOf(state({ ida: [1], mms: [mm({ pasid: 1, global: true }), mm(), mm()] }), bind(dsp), 'ENOSPC')).toBeNull();   // A has a PASID
    expect(findingOf(state({ ida: [1], dsp: [[1, bond(A, dsp)]] }), bind(dsp), 'ENOSPC')).toBeNull();      // A is bound there
  });

  it('starved on a 2^20-PASID device is decided by counting, not by visiting each PASID', () => {
    const t = performance.now();
    for (let i = 0; i < 100; i++) expect(findingOf(state(), bind(nic), 'ENOSPC')).toBe('starved');
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it("local-collision: the allocator's id sits under another mm's local bond, another PASID is free everywhere", () => {
    const local = { mms: [mm(), mm({ pasid: 1, global: false }, 1), mm()], accel: [[1, bond(B, accel)]] as [number, Slot][] };
    expect(findingOf(state(local), bind(accel), 'EBUSY')).toBe('local-collision');
    expect(findingOf(state(local), bind(accel), 'ENOSPC')).toBe('starved');
    expect(findingOf(state({ ...local, accel: [[1, bond(B, accel)], [2, bond(B, accel)], [3, bond(B, accel)]] }), bind(accel), 'EBUSY')).toBeNull();   // nothing free
    expect(findingOf(state({ ...local, ida: [2, 3] }), bind(accel), 'EBUSY')).toBeNull();   // the free PASIDs are the allocator's
    const global = { mms: [mm(), mm({ pasid: 1, global: true }, 1), mm()], accel: local.accel, kernelHeld: [], ida: [] };
    expect(findingOf(state(global), bind(accel), 'EBUSY')).toBeNull();   // B's own global PASID
  });

  it('attach-collision: the allocator\'s id sits under a caller-chosen attach', () => {
    const attached = { accel: [[1, { kind: 'kernel', dev: accel, handle: false }]] as [number, Slot][] };
    expect(findingOf(state(attached), bind(accel), 'EBUSY')).toBe('attach-collision');
    expect(findingOf(state({ ...attached, kernelHeld: [1] }), bind(accel), 'EBUSY')).toBeNull();   // the id's alloc_global holder attached it
    expect(findingOf(state({ ...attached, ida: [1] }), bind(accel), 'EBUSY')).toBeNull();          // the allocator hands out 2, which is free
  });

  it('idle-local-kept: bind_pasid ENOSPC with no SVA domain left and the asked slot free', () => {
    const ask = (pasid: number) => ({ op: 'bind_pasid' as const, dev: accel, mm: A, pasid });
    const idle = { mms: [mm({ pasid: 1, global: false }), mm(), mm()] };
    expect(findingOf(state(idle), ask(2), 'ENOSPC')).toBe('idle-local-kept');
    expect(findingOf(state({ mms: [mm({ pasid: 1, global: false }, 1), mm(), mm()] }), ask(2), 'ENOSPC')).toBeNull();   // A still has a domain
    expect(findingOf(state(idle), ask(4), 'ENOSPC')).toBeNull();                                                           // beyond accel's range
    expect(findingOf(state({ ...idle, accel: [[2, bond(B, accel)]] }), ask(2), 'ENOSPC')).toBeNull();                     // the slot is taken
    expect(findingOf(state(idle), ask(2), 'EINVAL')).toBeNull();
  });

  it('no finding without an errno, or for an operation that is not a bind', () => {
    expect(findingOf(state({ ida: [1] }), bind(dsp), null)).toBeNull();
    expect(findingOf(state({ ida: [1] }), { op: 'alloc_global', dev: dsp }, 'ENOSPC')).toBeNull();
  });
});
