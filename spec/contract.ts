/**
 * The caller contract, apart from API errors: whether a correct kernel caller may issue this
 * call in this state, and if not, which contract rule (C1-C6 in rules.ts) it breaks. Inputs
 * that break it are rejected; generators never produce them. Written once against the state
 * interface's reads (world.ts): the model checker asks it on its flat states.
 */
import type { ContractRuleId } from './rules.ts';
import type { SpecOp, Variant } from './step.ts';
import { groupOfDev, type Reads } from './world.ts';

export interface ContractBreach { readonly rule: ContractRuleId; readonly reason: string }

const breach = (rule: ContractRuleId, reason: string): ContractBreach => ({ rule, reason });
const U32 = 2 ** 32;

/** The rule op breaks in w, or null; the reason is built only for a breach. */
export function contractBreach(v: Variant, w: Reads, op: SpecOp): ContractBreach | null {
  const rule = contractRule(v, w, op);
  return rule === null ? null : breach(rule, reasonOf(v, w, op, rule));
}

/** The contract rule op breaks in w, or null. */
export function contractRule(v: Variant, w: Reads, op: SpecOp): ContractRuleId | null {
  return staticContractRule(v, op) ?? stateContractRule(w, op) ?? v.contract?.(w, op) ?? null;
}

/** The state-dependent contract of op for variant v (the shared rules, then the design's own), dispatched once. */
export function variantContractOf(v: Variant, op: SpecOp): (w: Reads) => ContractRuleId | null {
  const shared = stateContractOf(op), own = v.contract;
  return own === undefined ? shared : (w) => shared(w) ?? own(w, op);
}

/** C5, which no state changes: an operation the variant lacks, a PASID that is no u32. */
export function staticContractRule(v: Variant, op: SpecOp): 'C5' | null {
  if (!v.ops.includes(op.op)) return 'C5';
  if ('pasid' in op && (!Number.isInteger(op.pasid) || op.pasid < 0 || op.pasid >= U32)) return 'C5';
  return null;
}

type StateRule<K extends SpecOp['op']> = (w: Reads, op: Extract<SpecOp, { op: K }>) => ContractRuleId | null;

/** C2: the caller holds mm_users. */
const mmHeld = (w: Reads, op: { mm: number }): 'C2' | null => (w.status(op.mm) !== 'live' ? 'C2' : null);
/** C1: a handle not yet released (its bond still in its slot). */
const handleHeld = (w: Reads, op: { group: number; pasid: number }): 'C1' | null => (w.slotKind(op.group, op.pasid) !== 'sva' ? 'C1' : null);
/** C6: dev->iommu->max_pasids, unchecked by iommu_alloc_global_pasid. */
const behindIommu = (w: Reads, op: { dev: number }): 'C6' | null => (w.cfg.devices[op.dev].iommu === null ? 'C6' : null);
/** C3: only the holder frees an id alloc_global handed out. */
const pasidHeld = (w: Reads, op: { pasid: number }): 'C3' | null => (!w.held(op.pasid) ? 'C3' : null);
/** C4: a non-SVA domain is attached there. */
function nonSvaAttached(w: Reads, op: { dev: number; pasid: number }): 'C4' | null {
  const group = groupOfDev(w.cfg, op.dev);
  if (group === null) return 'C4';
  const kind = w.slotKind(group, op.pasid);
  return kind === 'kernel' || kind === 'handle' ? null : 'C4';
}

/** The state-dependent rule each operation answers to, said once: what both dispatchers below read. */
const STATE_RULES: { readonly [K in SpecOp['op']]?: StateRule<K> } = {
  bind: mmHeld, bind_pasid: mmHeld, bind_private: mmHeld, enqcmd_pasid: mmHeld, mm_exit: mmHeld,
  unbind: handleHeld, get_pasid: handleHeld, mm_exit_done: handleHeld,
  alloc_global: behindIommu,
  free_global: pasidHeld,
  detach_pasid: nonSvaAttached,
};

const ruleOf = (op: SpecOp): ((w: Reads, op: SpecOp) => ContractRuleId | null) | undefined =>
  STATE_RULES[op.op] as ((w: Reads, op: SpecOp) => ContractRuleId | null) | undefined;

/** The rules that depend on the state: the op's (STATE_RULES), looked up per call, no closure made. */
export function stateContractRule(w: Reads, op: SpecOp): ContractRuleId | null {
  const rule = ruleOf(op);
  return rule === undefined ? null : rule(w, op);
}

/**
 * The state-dependent contract of one operation, its rule looked up once: what the model
 * checker asks of each of its operation templates per transition.
 */
export function stateContractOf(op: SpecOp): (w: Reads) => ContractRuleId | null {
  const rule = ruleOf(op);
  return rule === undefined ? () => null : (w) => rule(w, op);
}

function reasonOf(v: Variant, w: Reads, op: SpecOp, rule: ContractRuleId): string {
  const cfg = w.cfg;
  if (rule === 'C5') return !v.ops.includes(op.op) ? `variant ${v.name} has no ${op.op}` : `PASID ${'pasid' in op ? op.pasid : '?'} is not a 32-bit unsigned integer`;
  switch (op.op) {
    case 'bind': case 'bind_pasid': case 'bind_private': case 'enqcmd_pasid': case 'mm_exit':
      return `mm ${cfg.mms[op.mm]} has exited: no caller holds a reference to its mm_users`;
    case 'unbind': case 'get_pasid': case 'mm_exit_done':
      if (rule === 'C7') return w.status(w.slotMm(op.group, op.pasid)) === 'live'
        ? `mm ${cfg.mms[w.slotMm(op.group, op.pasid)]} has not exited: the core has called no mm_exit callback`
        : `mm ${cfg.mms[w.slotMm(op.group, op.pasid)]} has exited: its bond is released when the driver's mm_exit callback returns (mm_exit_done)`;
      return 'the handle was released by its last unbind';
    case 'alloc_global':
      return `${cfg.devices[op.dev].name} sits behind no IOMMU: iommu_alloc_global_pasid would dereference its NULL dev->iommu`;
    case 'free_global':
      if (rule === 'C8') return `PASID ${op.pasid} belongs to an IOASID set: it is freed with its set (ioasid_free_set)`;
      return `PASID ${op.pasid} is not held by an alloc_global caller: freeing it would create a second owner later`;
    case 'detach_pasid':
      return `no non-SVA domain is attached to ${cfg.devices[op.dev].name} at PASID ${op.pasid}`;
    default:
      return rule;
  }
}
