/**
 * The operations every variant shares, and `act`, which dispatches one operation on a World.
 * Each function: guards first, each naming the kernel check it mirrors; then the effect.
 */
import { lowestFreeGlobal, attachRefusal } from './sva.ts';
import type { ApiRuleId } from './rules.ts';
import type { SpecOp, Variant } from './step.ts';
import { NONE, groupOfDev, hasSvaDomain, maxPasidsOf, type World } from './world.ts';

/** __mmdrop → mm_pasid_drop: the mm is gone; its PASID goes back if the variant says so (U3, V9). */
function mmGone(v: Variant, w: World, mm: number, rule: ApiRuleId): void {
  const pasid = w.pasid(mm);
  const frees = pasid !== NONE && v.freesOnDrop({ pasid, global: w.isGlobal(mm) });
  if (frees) w.release(pasid);
  w.setStatus(mm, 'gone');
  if (pasid !== NONE) w.dropData(mm);
  w.ok(rule);
  if (pasid !== NONE && !frees) w.also('V9');                           // a local PASID is not freed
}

/** iommu_sva_unbind_device (U1, U2, U3). The handle is the SVA bond in slot (group, pasid). */
function unbind(v: Variant, w: World, group: number, pasid: number): void {
  if (w.slotKind(group, pasid) !== 'sva') throw new Error('unbind of an empty slot: a caller-contract violation reached the spec');
  const users = w.slotUsers(group, pasid);
  if (users > 1) { w.setSlotUsers(group, pasid, users - 1); return w.ok('U1'); }   // --handle->users
  const mm = w.slotMm(group, pasid), iommu = w.cfg.devices[w.slotDev(group, pasid)].iommu!;
  w.clearSlot(group, pasid);                                             // iommu_detach_device_pasid
  const left = w.domainUsers(mm, iommu) - 1;
  w.setDomain(mm, iommu, left, left > 0 ? w.asid(mm, iommu) : 0);        // --domain->users; at 0 freed, its ASID too
  if (w.status(mm) === 'exited' && !hasSvaDomain(w, mm)) return mmGone(v, w, mm, 'U3');  // last mmdrop
  w.ok('U2');
}

/** iommu_alloc_global_pasid (A1). The caller becomes the id's holder (ghost state). */
function allocGlobal(w: World, dev: number): void {
  if (w.cfg.fault === 'global_pasid') return w.invalid('N2');           // the IDA cannot allocate
  const pasid = lowestFreeGlobal(w, dev);
  if (pasid === NONE) return w.invalid('A1-none');                       // ida_alloc_range fails / no PASIDs
  w.allocate(pasid);
  w.hold(pasid);
  w.gave(pasid, 'A1');
}

/** iommu_free_global_pasid (A3). */
function freeGlobal(w: World, pasid: number): void {
  w.release(pasid);
  w.unhold(pasid);
  w.ok('A3');
}

/** iommu_attach_device_pasid of a non-SVA domain, bare or with an attach handle (B1). */
function attachPasid(w: World, dev: number, pasid: number, handle: boolean): void {
  const group = groupOfDev(w.cfg, dev);
  if (group === null) return w.errno('ENODEV', 'B1-nodev');              // !group
  const refusal = attachRefusal(w, group, pasid);
  if (refusal === 'B1-busy') return w.errno('EBUSY', refusal);
  if (refusal !== null) return w.errno('EINVAL', refusal);
  if (w.cfg.fault === 'attach') return w.errno('ENOMEM', 'N5');          // pasid_array entry or CD table
  w.putAttach(group, pasid, dev, handle);
  w.ok('B1');
}

/** iommu_detach_device_pasid (B3). */
function detachPasid(w: World, dev: number, pasid: number): void {
  w.clearSlot(groupOfDev(w.cfg, dev)!, pasid);
  w.ok('B3');
}

/** Process exit: CDs fault from now on (U3-exit); without SVA domains the mm is gone (U3). */
function mmExit(v: Variant, w: World, mm: number): void {
  w.setStatus(mm, 'exited');
  if (!hasSvaDomain(w, mm)) return mmGone(v, w, mm, 'U3');
  w.ok('U3-exit');
}

/** A DMA by dev at pasid, as the SMMUv3 walks STE and CD table (M1-M5, B2). */
function dma(w: World, dev: number, pasid: number): void {
  if (pasid >= maxPasidsOf(w.cfg, dev)) return pasid === 0 ? w.kernel('M5') : w.fault('bad_substream', 'M1');
  if (pasid === 0) return w.kernel('M5');                                // CD 0: RID traffic
  const group = groupOfDev(w.cfg, dev)!;
  const kind = w.slotKind(group, pasid);
  if (kind === 'empty') return w.fault('bad_cd', 'M2');
  if (kind !== 'sva') w.kernel('M5');
  else if (w.status(w.slotMm(group, pasid)) !== 'live') w.fault('translation', 'M3');
  else w.reached(w.slotMm(group, pasid), 'M4');
  if (w.slotDev(group, pasid) !== dev) w.also('B2');                     // reached through a group sibling
}

/** One operation of variant v on w. The caller has checked the contract (contract.ts). */
export function act(v: Variant, w: World, op: SpecOp): void {
  if (v.own?.(w, op)) return;                                            // the design states it itself
  switch (op.op) {
    case 'bind': return v.bind(w, op.dev, op.mm);
    case 'bind_pasid':
      if (!v.bindPasid) throw new Error(`variant ${v.name} has no bind_pasid`);
      return v.bindPasid(w, op.dev, op.mm, op.pasid);
    case 'unbind': return unbind(v, w, op.group, op.pasid);
    case 'get_pasid': return v.getPasid(w, op.group, op.pasid);
    case 'enqcmd_pasid': return v.enqcmdPasid(w, op.mm);
    case 'alloc_global': return allocGlobal(w, op.dev);
    case 'free_global': return freeGlobal(w, op.pasid);
    case 'attach_pasid': return attachPasid(w, op.dev, op.pasid, op.handle);
    case 'detach_pasid': return detachPasid(w, op.dev, op.pasid);
    case 'mm_exit': return mmExit(v, w, op.mm);
    case 'dma': return dma(w, op.dev, op.pasid);
    default: throw new Error(`variant ${v.name} states no ${op.op}`);   // an earlier design's own operation (Variant.own)
  }
}

/**
 * The action of one operation, its dispatch done once: what the model checker runs for each
 * of its operation templates (act, without the switch per transition).
 */
export function actionOf(v: Variant, op: SpecOp): (w: World) => void {
  const own = v.own;
  if (own !== undefined) return (w) => { if (!own(w, op)) sharedActionOf(v, op)(w); };
  return sharedActionOf(v, op);
}

function sharedActionOf(v: Variant, op: SpecOp): (w: World) => void {
  switch (op.op) {
    case 'bind': { const { dev, mm } = op; const bind = v.bind; return (w) => bind(w, dev, mm); }
    case 'bind_pasid': {
      const { dev, mm, pasid } = op, bindPasid = v.bindPasid;
      if (!bindPasid) return () => { throw new Error(`variant ${v.name} has no bind_pasid`); };
      return (w) => bindPasid(w, dev, mm, pasid);
    }
    case 'unbind': { const { group, pasid } = op; return (w) => unbind(v, w, group, pasid); }
    case 'get_pasid': { const { group, pasid } = op, get = v.getPasid; return (w) => get(w, group, pasid); }
    case 'enqcmd_pasid': { const { mm } = op, enqcmd = v.enqcmdPasid; return (w) => enqcmd(w, mm); }
    case 'alloc_global': { const { dev } = op; return (w) => allocGlobal(w, dev); }
    case 'free_global': { const { pasid } = op; return (w) => freeGlobal(w, pasid); }
    case 'attach_pasid': { const { dev, pasid, handle } = op; return (w) => attachPasid(w, dev, pasid, handle); }
    case 'detach_pasid': { const { dev, pasid } = op; return (w) => detachPasid(w, dev, pasid); }
    case 'mm_exit': { const { mm } = op; return (w) => mmExit(v, w, mm); }
    case 'dma': { const { dev, pasid } = op; return (w) => dma(w, dev, pasid); }
    default: return () => { throw new Error(`variant ${v.name} states no ${op.op}`); };
  }
}
