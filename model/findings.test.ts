// The availability findings (spec/findings.ts) are written once against the state reads; here
// they are held to their definitions as first written over spec states, on every failing bind
// of the bundled configurations the model checker explores.
import { describe, expect, it } from 'vitest';
import { ObjectWorld, findingOf, maxPasidsOf, variantByName, type Config, type FindingKind, type SpecOp, type State } from '../spec/index.ts';
import { ERRNOS, VARIANTS, type Result } from '../vocab/index.ts';
import { loadBundledConfig } from './config.ts';
import { explore } from './explore.ts';
import { RK_ERRNO } from './outcome.ts';
import { buildSpace, fromFlat } from './space.ts';

/** The availability definitions (spec/findings.ts header) on spec states, as first written. */
function availabilityOnSpec(cfg: Config, before: State, op: SpecOp, result: Result): FindingKind | null {
  if (result.kind !== 'errno' || (op.op !== 'bind' && op.op !== 'bind_pasid')) return null;
  const g = cfg.devices[op.dev].iommu === null ? null : cfg.devices[op.dev].group;
  if (g === null) return null;
  const mm = before.mms[op.mm];
  const slots = before.slots[g];
  const range = Math.min(...cfg.groups[g].devices.map((d) => maxPasidsOf(cfg, d)));
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

describe('availability findings', () => {
  it.each([['seed-small', VARIANTS], ['twins', VARIANTS]] as const)('%s: the same finding as the definition on spec states, on every failing bind', (name, variants) => {
    const mc = loadBundledConfig(name);
    const kinds = new Set<string>();
    let failing = 0;
    for (const vname of variants) {
      const v = variantByName(vname)!;
      const space = buildSpace(mc, [v]);
      explore(space, [v], {
        transition(_parent, t, engine) {
          const o = engine.out[0], op = space.templates[t];
          if (o.rk !== RK_ERRNO) return false;
          failing++;
          const before = fromFlat(space, engine.before, 0);
          const want = availabilityOnSpec(space.cfg, before, op, o.result(space.cfg.mms));
          expect(findingOf(new ObjectWorld(space.cfg, before), op, ERRNOS[o.rv])).toBe(want);
          if (want) kinds.add(want);
          return false;
        },
      });
    }
    expect(failing).toBeGreaterThan(1000);
    expect([...kinds].sort()).toEqual(name === 'seed-small'
      ? ['attach-collision', 'idle-local-kept', 'local-collision', 'starved']
      : expect.arrayContaining(['starved']));
  });
});
