// The caller contract (rules C1-C6): sequences no correct kernel caller issues are refused
// with the rule and a reason; they never reach the transition functions.
import { describe, expect, it } from 'vitest';
import { ContractError, SpecDriver } from './driver.ts';
import { VARIANT_BY_NAME } from './variants/index.ts';
import { SEED, bind, detach, enqcmd, exit, freeGlobal, getPasid, run, unbind, attach, allocGlobal } from './testkit.ts';
import type { Op } from '../vocab/index.ts';

function refusal(v: 'upstream' | 'v2', ops: Op[]): { rule: string; message: string } {
  try { run(v, SEED, ops); } catch (e) {
    if (e instanceof ContractError) return { rule: e.breach.rule, message: e.message };
    throw e;
  }
  throw new Error('no contract breach');
}

describe('caller contract', () => {
  it('C1: unbinding an unknown handle', () => {
    expect(refusal('v2', [unbind('nope')])).toMatchObject({ rule: 'C1', message: expect.stringContaining("unknown handle 'nope'") });
  });
  it('C1: unbinding a released handle, even if the slot is bound again', () => {
    const r = refusal('v2', [bind('accel', 'A', 'h'), unbind('h'), bind('accel', 'A', 'k'), unbind('h')]);
    expect(r).toMatchObject({ rule: 'C1', message: expect.stringContaining('released') });
  });
  it('C1: an alias of a handle may be unbound as often as it was bound', () => {
    const r = run('v2', SEED, [bind('accel', 'A', 'h'), bind('accel', 'A', 'h2'), unbind('h'), unbind('h')]);
    expect(r.results).toEqual(['1', '1', 'ok', 'ok']);
    expect(() => r.driver.apply(getPasid('h2'))).toThrow(ContractError);
  });
  it('C2: binding or querying an mm after it exited', () => {
    expect(refusal('v2', [exit('A'), bind('accel', 'A')]).rule).toBe('C2');
    expect(refusal('v2', [exit('A'), enqcmd('A')]).rule).toBe('C2');
  });
  it('C3: freeing a global PASID nobody got from alloc_global', () => {
    expect(refusal('v2', [bind('accel', 'A'), freeGlobal(1)]).rule).toBe('C3');
    expect(refusal('v2', [allocGlobal('accel'), freeGlobal(1), freeGlobal(1)]).rule).toBe('C3');
  });
  it('C4: detaching where no kernel domain is attached', () => {
    expect(refusal('v2', [bind('accel', 'A'), detach('accel', 1)]).rule).toBe('C4');
    expect(run('v2', SEED, [attach('accel', 2), detach('accel', 2)]).results).toEqual(['ok', 'ok']);
  });
  it('C6: alloc_global on a device behind no IOMMU (iommu_alloc_global_pasid reads a NULL dev->iommu)', () => {
    const plain = { devices: [{ name: 'plain', ssidBits: 4, iommu: null }, { name: 'z', ssidBits: 0 }], mms: ['A'] };
    for (const v of ['upstream', 'v2'] as const) {
      expect(() => run(v, plain, [allocGlobal('plain')])).toThrow(/caller contract C6/);
      expect(run(v, plain, [allocGlobal('z')]).results).toEqual(['INVALID']);   // behind an IOMMU, no PASIDs: INVALID
    }
  });
  it('C5: unknown names, bad PASIDs, an operation the variant lacks', () => {
    expect(refusal('v2', [bind('gpu', 'A')]).message).toContain("unknown device 'gpu'");
    expect(refusal('v2', [bind('accel', 'Z')]).message).toContain("unknown mm 'Z'");
    expect(refusal('v2', [{ op: 'dma', dev: 'accel', pasid: -1 }]).rule).toBe('C5');
    expect(refusal('upstream', [{ op: 'bind_pasid', dev: 'accel', mm: 'A', pasid: 1 }]).message).toContain('has no bind_pasid');
  });
});

// breach() then apply() of the same op object: apply() checks again whatever happened between.
describe('an op breach() allowed is checked again by apply()', () => {
  const start = () => {
    const d = new SpecDriver(SEED, VARIANT_BY_NAME.v2);
    d.apply(bind('accel', 'A', 'h'));
    return d;
  };
  const thrown = (f: () => unknown): string | null => { try { f(); return null; } catch (e) { return e instanceof ContractError ? e.breach.rule : String(e); } };

  it('allowed, then applied: as without the breach', () => {
    const d = start(), op = unbind('h');
    expect(d.breach(op)).toBeNull();
    expect(d.apply(op).result).toEqual({ kind: 'ok' });
    expect(thrown(() => d.apply(op))).toBe('C1');                      // the same op object again: released now
  });

  it('another op applied in between: checked again', () => {
    const d = start(), op = unbind('h');
    expect(d.breach(op)).toBeNull();
    d.apply(unbind('h'));
    expect(thrown(() => d.apply(op))).toBe('C1');
  });

  it('the state set in between: as a driver never asked', () => {
    const asked = start(), never = start(), op = unbind('h');
    const fresh = new SpecDriver(SEED, VARIANT_BY_NAME.v2).state;          // the slot is empty there
    expect(asked.breach(op)).toBeNull();
    asked.state = fresh;
    never.state = fresh;
    const outcome = (d: SpecDriver) => { try { return d.apply(op); } catch (e) { return e instanceof ContractError ? e.breach.rule : String(e); } };
    expect(outcome(asked)).toEqual(outcome(never));
  });
});
