/**
 * The operations every variant shares, and `step`, which dispatches one operation. Each
 * function: guards first, each naming the kernel check it mirrors; then the effect.
 */
import { R } from '../vocab/index.ts';
import { freeGlobal, lowestFreeGlobal, attachRefusal, takeGlobal } from './sva.ts';
import { groupOf, hasSvaDomain, insertSorted, maxPasids, removeOne, slotAt, withDomainUsers, withMm, withSlot, type Config, type State } from './state.ts';
import type { ApiRuleId } from './rules.ts';
import { also, done, fail, type SpecOp, type Step, type Variant } from './step.ts';

/** __mmdrop → mm_pasid_drop: the mm is gone; its PASID goes back if the variant says so (U3, V9). */
function mmGone(v: Variant, st: State, mm: number, rule: ApiRuleId): Step {
  const data = st.mms[mm].data;
  const freed = data !== null && v.freesOnDrop(data) ? freeGlobal(st, data.pasid) : st;
  const gone = done(withMm(freed, mm, { status: 'gone', data: null }), R.ok, rule);
  return data !== null && !v.freesOnDrop(data) ? also(gone, 'V9') : gone;   // a local PASID is not freed
}

/** iommu_sva_unbind_device (U1, U2, U3). The handle is the SVA bond in slot (group, pasid). */
function unbind(v: Variant, cfg: Config, st: State, group: number, pasid: number): Step {
  const slot = slotAt(st, group, pasid);
  if (slot?.kind !== 'sva') throw new Error('unbind of an empty slot: a caller-contract violation reached the spec');
  if (slot.users > 1) return done(withSlot(st, group, pasid, { ...slot, users: slot.users - 1 }), R.ok, 'U1');
  const iommu = cfg.devices[slot.dev].iommu!;
  let next = withSlot(st, group, pasid, null);                           // iommu_detach_device_pasid
  next = withDomainUsers(next, slot.mm, iommu, next.mms[slot.mm].domains[iommu] - 1);
  const m = next.mms[slot.mm];
  if (m.status === 'exited' && !hasSvaDomain(m)) return mmGone(v, next, slot.mm, 'U3');  // last mmdrop
  return done(next, R.ok, 'U2');
}

/** iommu_alloc_global_pasid (A1). The caller becomes the id's holder (ghost state). */
function allocGlobal(cfg: Config, st: State, dev: number): Step {
  if (cfg.fault === 'global_pasid') return done(st, R.invalid, 'N2');     // the IDA cannot allocate
  const pasid = lowestFreeGlobal(cfg, st, dev);
  if (pasid === null) return done(st, R.invalid, 'A1-none');             // ida_alloc_range fails / no PASIDs
  return done({ ...takeGlobal(st, pasid), kernelHeld: insertSorted(st.kernelHeld, pasid) }, R.pasid(pasid), 'A1');
}

/** iommu_free_global_pasid (A3). */
function freeGlobalOp(st: State, pasid: number): Step {
  return done({ ...freeGlobal(st, pasid), kernelHeld: removeOne(st.kernelHeld, pasid) }, R.ok, 'A3');
}

/** iommu_attach_device_pasid of a non-SVA domain, bare or with an attach handle (B1). */
function attachPasid(cfg: Config, st: State, dev: number, pasid: number, handle: boolean): Step {
  const group = groupOf(cfg, dev);
  if (group === null) return fail(st, 'ENODEV', 'B1-nodev');             // !group
  const refusal = attachRefusal(cfg, st, group, pasid);
  if (refusal === 'B1-busy') return fail(st, 'EBUSY', refusal);
  if (refusal !== null) return fail(st, 'EINVAL', refusal);
  if (cfg.fault === 'attach') return fail(st, 'ENOMEM', 'N5');           // pasid_array entry or CD table
  return done(withSlot(st, group, pasid, { kind: 'kernel', dev, handle }), R.ok, 'B1');
}

/** iommu_detach_device_pasid (B3). */
function detachPasid(cfg: Config, st: State, dev: number, pasid: number): Step {
  return done(withSlot(st, groupOf(cfg, dev)!, pasid, null), R.ok, 'B3');
}

/** Process exit: CDs fault from now on (U3-exit); without SVA domains the mm is gone (U3). */
function mmExit(v: Variant, st: State, mm: number): Step {
  const exited = withMm(st, mm, { status: 'exited' });
  if (!hasSvaDomain(st.mms[mm])) return mmGone(v, exited, mm, 'U3');
  return done(exited, R.ok, 'U3-exit');
}

/** A DMA by dev at pasid, as the SMMUv3 walks STE and CD table (M1-M5, B2). */
function dma(cfg: Config, st: State, dev: number, pasid: number): Step {
  if (pasid >= maxPasids(cfg, dev)) return done(st, pasid === 0 ? R.kernel : R.fault('bad_substream'), pasid === 0 ? 'M5' : 'M1');
  if (pasid === 0) return done(st, R.kernel, 'M5');                      // CD 0: RID traffic
  const slot = slotAt(st, groupOf(cfg, dev)!, pasid);
  if (slot === undefined) return done(st, R.fault('bad_cd'), 'M2');
  const step = slot.kind === 'kernel' ? done(st, R.kernel, 'M5')
    : st.mms[slot.mm].status !== 'live' ? done(st, R.fault('translation'), 'M3')
    : done(st, R.mm(cfg.mms[slot.mm]), 'M4');
  return slot.dev === dev ? step : also(step, 'B2');                     // reached through a group sibling
}

/** One operation of variant v. The caller has checked the contract (contract.ts). */
export function step(v: Variant, cfg: Config, st: State, op: SpecOp): Step {
  switch (op.op) {
    case 'bind': return v.bind(cfg, st, op.dev, op.mm);
    case 'bind_pasid':
      if (!v.bindPasid) throw new Error(`variant ${v.name} has no bind_pasid`);
      return v.bindPasid(cfg, st, op.dev, op.mm, op.pasid);
    case 'unbind': return unbind(v, cfg, st, op.group, op.pasid);
    case 'get_pasid': return v.getPasid(cfg, st, op.group, op.pasid);
    case 'enqcmd_pasid': return v.enqcmdPasid(cfg, st, op.mm);
    case 'alloc_global': return allocGlobal(cfg, st, op.dev);
    case 'free_global': return freeGlobalOp(st, op.pasid);
    case 'attach_pasid': return attachPasid(cfg, st, op.dev, op.pasid, op.handle);
    case 'detach_pasid': return detachPasid(cfg, st, op.dev, op.pasid);
    case 'mm_exit': return mmExit(v, st, op.mm);
    case 'dma': return dma(cfg, st, op.dev, op.pasid);
  }
}
