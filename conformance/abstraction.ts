/**
 * The abstraction from an implementation's observation to the spec's, in one place.
 *
 * An implementation may list bonds, mms, domains and probes in any order; fault kinds are a
 * report detail (sameResult ignores them). So the abstraction sorts every list, drops the
 * fault kind, and then the two observations must be equal as values. `diffObservations`
 * says what differs, one readable line per difference, spec first.
 */
import { formatResult, type MmObservation, type Observation, type Result } from '../vocab/index.ts';

/** An observation with every list in a canonical order and DMA answers without fault kinds. */
export interface AbstractObservation {
  readonly bonds: readonly { dev: string; pasid: number; mm: string; users: number }[];
  readonly attaches: readonly { dev: string; pasid: number }[];
  readonly mms: readonly MmObservation[];
  readonly globalPasids: readonly number[];
  readonly dma: readonly { dev: string; pasid: number; result: string }[];
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T): number => {
  const ka = key(a), kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};
const pad = (n: number): string => String(n).padStart(10, '0');
const slotKey = (x: { dev: string; pasid: number }): string => `${x.dev}\u0000${pad(x.pasid)}`;

/** The canonical form both sides are compared in. */
export function abstractObservation(obs: Observation): AbstractObservation {
  return {
    bonds: obs.bonds.map((b) => ({ dev: b.dev, pasid: b.pasid, mm: b.mm, users: b.users }))
      .sort(byKey((b) => `${slotKey(b)}\u0000${b.mm}\u0000${pad(b.users)}`)),
    attaches: obs.attaches.map((a) => ({ dev: a.dev, pasid: a.pasid })).sort(byKey(slotKey)),
    mms: obs.mms.map((m) => ({
      mm: m.mm, state: m.state, pasid: m.pasid, global: m.global,
      domains: m.domains.map((d) => ({ iommu: d.iommu, users: d.users })).sort(byKey((d) => `${d.iommu}\u0000${pad(d.users)}`)),
    })).sort(byKey((m) => m.mm)),
    globalPasids: [...obs.globalPasids].sort((a, b) => a - b),
    dma: obs.dma.map((d) => ({ dev: d.dev, pasid: d.pasid, result: dmaAnswer(d.result) })).sort(byKey(slotKey)),
  };
}

/** A DMA answer as compared: the litmus spelling, fault kind dropped. */
const dmaAnswer = (r: Result): string => formatResult(r);

const bondText = (b: { dev: string; pasid: number; mm: string; users: number }) => `${b.mm} on ${b.dev} at PASID ${b.pasid} (users ${b.users})`;
const mmText = (m: MmObservation): string =>
  `${m.state}, pasid ${m.pasid ?? 'none'}${m.global === null ? '' : m.global ? ' (global)' : ' (local)'}, domains [${m.domains.map((d) => `${d.iommu}:${d.users}`).join(', ')}]`;

/** Lines `what: spec X, impl Y` for every difference; empty when the observations agree. */
export function diffObservations(spec: Observation, impl: Observation): string[] {
  const s = abstractObservation(spec), i = abstractObservation(impl);
  const out: string[] = [];

  const sBonds = new Map(s.bonds.map((b) => [slotKey(b), b]));
  const iBonds = new Map(i.bonds.map((b) => [slotKey(b), b]));
  if (s.bonds.length !== sBonds.size || i.bonds.length !== iBonds.size)
    out.push(`bonds: spec [${s.bonds.map(bondText).join('; ')}], impl [${i.bonds.map(bondText).join('; ')}]`);
  else {
    for (const [k, b] of sBonds) {
      const o = iBonds.get(k);
      if (!o) out.push(`bond ${b.dev}@${b.pasid}: spec ${bondText(b)}, impl none`);
      else if (o.mm !== b.mm || o.users !== b.users) out.push(`bond ${b.dev}@${b.pasid}: spec ${bondText(b)}, impl ${bondText(o)}`);
    }
    for (const [k, o] of iBonds) if (!sBonds.has(k)) out.push(`bond ${o.dev}@${o.pasid}: spec none, impl ${bondText(o)}`);
  }

  const sAtt = s.attaches.map((a) => `${a.dev}@${a.pasid}`), iAtt = i.attaches.map((a) => `${a.dev}@${a.pasid}`);
  if (sAtt.join() !== iAtt.join()) out.push(`non-SVA attaches: spec [${sAtt.join(', ')}], impl [${iAtt.join(', ')}]`);

  const iMms = new Map(i.mms.map((m) => [m.mm, m]));
  for (const m of s.mms) {
    const o = iMms.get(m.mm);
    if (!o) out.push(`mm ${m.mm}: spec ${mmText(m)}, impl not reported`);
    else if (mmText(o) !== mmText(m)) out.push(`mm ${m.mm}: spec ${mmText(m)}, impl ${mmText(o)}`);
    iMms.delete(m.mm);
  }
  for (const o of iMms.values()) out.push(`mm ${o.mm}: spec not reported, impl ${mmText(o)}`);

  if (s.globalPasids.join() !== i.globalPasids.join())
    out.push(`global PASIDs held: spec [${s.globalPasids.join(', ')}], impl [${i.globalPasids.join(', ')}]`);

  const iDma = new Map(i.dma.map((d) => [slotKey(d), d]));
  for (const d of s.dma) {
    const o = iDma.get(slotKey(d));
    if (!o) out.push(`dma {dev: ${d.dev}, pasid: ${d.pasid}}: spec ${d.result}, impl not answered`);
    else if (o.result !== d.result) out.push(`dma {dev: ${d.dev}, pasid: ${d.pasid}}: spec ${d.result}, impl ${o.result}`);
    iDma.delete(slotKey(d));
  }
  for (const o of iDma.values()) out.push(`dma {dev: ${o.dev}, pasid: ${o.pasid}}: spec not asked, impl ${o.result}`);
  return out;
}

/** The probes whose DMA answers differ (used to add witness `dma` steps to a litmus file). */
export function dmaDifferences(spec: Observation, impl: Observation): { dev: string; pasid: number; spec: Result; impl: Result | null }[] {
  const iDma = new Map(impl.dma.map((d) => [slotKey(d), d]));
  const out: { dev: string; pasid: number; spec: Result; impl: Result | null }[] = [];
  for (const d of spec.dma) {
    const o = iDma.get(slotKey(d));
    if (!o || dmaAnswer(o.result) !== dmaAnswer(d.result)) out.push({ dev: d.dev, pasid: d.pasid, spec: d.result, impl: o?.result ?? null });
  }
  return out;
}

const sameAnswer = (a: Result, b: Result): boolean => {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'pasid': return a.pasid === (b as typeof a).pasid;
    case 'mm': return a.mm === (b as typeof a).mm;
    case 'errno': return a.errno === (b as typeof a).errno;
    default: return true;                                                 // fault kinds are not compared
  }
};

/** Lists this long or shorter are matched item by item when their orders differ; longer ones go to the diff. */
const MATCH_LIMIT = 64;

/**
 * Whether two lists hold the same items (by `eq`, an equivalence) as multisets: in the same
 * order (one pass), or, for short lists, in any order (each item of `b` takes an unused equal
 * item of `a`; with an equivalence that greedy matching is exact). False otherwise, which
 * only means "not shown equal here".
 */
function sameItems<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  let k = 0;
  while (k < a.length && eq(a[k], b[k])) k++;
  if (k === a.length) return true;
  if (a.length > MATCH_LIMIT) return false;
  const used = new Array<boolean>(a.length).fill(false);
  for (let j = k; j < b.length; j++) {
    let found = false;
    for (let i = k; i < a.length && !found; i++) if (!used[i] && eq(a[i], b[j])) { used[i] = true; found = true; }
    if (!found) return false;
  }
  return true;
}

type Bond = Observation['bonds'][number];
type Attach = Observation['attaches'][number];
type Domain = MmObservation['domains'][number];
type Dma = Observation['dma'][number];
const sameBond = (s: Bond, i: Bond): boolean => s.dev === i.dev && s.pasid === i.pasid && s.mm === i.mm && s.users === i.users;
const sameAttach = (s: Attach, i: Attach): boolean => s.dev === i.dev && s.pasid === i.pasid;
const sameDomain = (s: Domain, i: Domain): boolean => s.iommu === i.iommu && s.users === i.users;
const sameMm = (s: MmObservation, i: MmObservation): boolean =>
  s.mm === i.mm && s.state === i.state && s.pasid === i.pasid && s.global === i.global && sameItems(s.domains, i.domains, sameDomain);
const samePasid = (s: number, i: number): boolean => s === i;
const sameDma = (s: Dma, i: Dma): boolean => s.dev === i.dev && s.pasid === i.pasid && sameAnswer(s.result, i.result);

/**
 * The cheap test the lockstep runs every step before the full diff: whether `impl` holds the
 * spec's observation's items, list by list, field by field (fault kinds aside) — in the same
 * order in one pass, or in another order for lists of up to 64 items. It answers "equal" only
 * where diffObservations finds no difference (equal multisets are equal once sorted), so a
 * step it passes has nothing to report. Anything else, including a long list in another
 * order, goes to diffObservations, which decides: every step is compared, and only a step
 * that may differ pays for the sorted diff.
 *
 * That needs the spec's lists to name each key once (one bond per device and PASID, one entry
 * per mm, per probe, per IOMMU in an mm's domains): observeSpec builds them from maps and from
 * the probe set, and abstraction.test.ts checks the implication on random states.
 */
export function sameAsSpec(spec: Observation, impl: Observation): boolean {
  return sameItems(spec.bonds, impl.bonds, sameBond)
    && sameItems(spec.attaches, impl.attaches, sameAttach)
    && sameItems(spec.mms, impl.mms, sameMm)
    && sameItems(spec.globalPasids, impl.globalPasids, samePasid)
    && sameItems(spec.dma, impl.dma, sameDma);
}
