/**
 * The caller contract, apart from API errors: whether a correct kernel caller may issue this
 * call in this state, and if not, which contract rule (C1-C6 in rules.ts) it breaks. Inputs
 * that break it are rejected; generators never produce them.
 */
import { groupOf, slotAt, type Config, type State } from './state.ts';
import type { ContractRuleId } from './rules.ts';
import type { SpecOp, Variant } from './step.ts';

export interface ContractBreach { readonly rule: ContractRuleId; readonly reason: string }

const breach = (rule: ContractRuleId, reason: string): ContractBreach => ({ rule, reason });
const U32 = 2 ** 32;

export function contractBreach(v: Variant, cfg: Config, st: State, op: SpecOp): ContractBreach | null {
  if (!v.ops.includes(op.op)) return breach('C5', `variant ${v.name} has no ${op.op}`);
  if ('pasid' in op && (!Number.isInteger(op.pasid) || op.pasid < 0 || op.pasid >= U32))
    return breach('C5', `PASID ${op.pasid} is not a 32-bit unsigned integer`);
  switch (op.op) {
    case 'bind': case 'bind_pasid': case 'enqcmd_pasid': case 'mm_exit': {
      const status = st.mms[op.mm].status;
      if (status !== 'live') return breach('C2', `mm ${cfg.mms[op.mm]} has exited: no caller holds a reference to its mm_users`);
      return null;
    }
    case 'unbind': case 'get_pasid': {
      const slot = slotAt(st, op.group, op.pasid);
      if (slot?.kind !== 'sva') return breach('C1', 'the handle was released by its last unbind');
      return null;
    }
    case 'alloc_global':
      if (cfg.devices[op.dev].iommu === null)                            // dev->iommu->max_pasids, unchecked
        return breach('C6', `${cfg.devices[op.dev].name} sits behind no IOMMU: iommu_alloc_global_pasid would dereference its NULL dev->iommu`);
      return null;
    case 'free_global':
      if (!st.kernelHeld.includes(op.pasid))
        return breach('C3', `PASID ${op.pasid} is not held by an alloc_global caller: freeing it would create a second owner later`);
      return null;
    case 'detach_pasid': {
      const group = groupOf(cfg, op.dev);
      if (group === null || slotAt(st, group, op.pasid)?.kind !== 'kernel')
        return breach('C4', `no non-SVA domain is attached to ${cfg.devices[op.dev].name} at PASID ${op.pasid}`);
      return null;
    }
    default:
      return null;
  }
}
