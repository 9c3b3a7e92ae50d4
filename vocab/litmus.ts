/**
 * The litmus scenario format (docs/litmus.md), as data, and its writer. The parser,
 * with located errors, lives in conformance/litmus; every engine that prints a counterexample
 * writes it with `writeLitmus` so a person can run it again with `svacheck litmus FILE`.
 */
import { Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { formatResult, type Op, type Result, type Setup, type VariantName } from './index.ts';

/** What a step expects: a result, `any` (not checked), or nothing (must succeed). */
export type Expectation = Result | 'any';

export interface LitmusStep {
  readonly op: Op;
  /** One expectation for every variant, or one per variant (absent variants: must succeed). */
  readonly expect?: Expectation | Partial<Record<VariantName, Expectation>>;
}

export interface LitmusDoc {
  readonly name: string;
  /** What the scenario shows, for a person (optional in a user's file). */
  readonly doc?: string;
  /** A public source: kernel file and function, or a mail's subject and date (optional). */
  readonly source?: string;
  readonly variants?: readonly VariantName[];
  readonly setup: Setup;
  readonly steps: readonly LitmusStep[];
  /** Invariants a variant is expected to break (documented findings), by invariant name. */
  readonly violates?: Partial<Record<VariantName, readonly string[]>>;
}

const expectationValue = (e: Expectation): string | number =>
  e === 'any' ? 'any' : e.kind === 'pasid' ? e.pasid : formatResult(e);

function opValue(op: Op): Record<string, unknown> {
  switch (op.op) {
    case 'bind': return { bind: { dev: op.dev, mm: op.mm } };
    case 'bind_pasid': return { bind_pasid: { dev: op.dev, mm: op.mm, pasid: op.pasid } };
    case 'unbind': return { unbind: op.handle };
    case 'get_pasid': return { get_pasid: op.handle };
    case 'enqcmd_pasid': return { enqcmd_pasid: op.mm };
    case 'mm_exit': return { mm_exit: op.mm };
    case 'alloc_global': return { alloc_global: op.dev };
    case 'free_global': return { free_global: op.pasid };
    case 'attach_pasid': return { attach_pasid: { dev: op.dev, pasid: op.pasid, ...(op.handle ? { handle: true } : {}) } };
    case 'detach_pasid': case 'dma': return { [op.op]: { dev: op.dev, pasid: op.pasid } };
    case 'bind_private': return { bind_private: { dev: op.dev, mm: op.mm } };
    case 'mm_exit_done': return { mm_exit_done: op.handle };
    case 'ioasid_alloc': return { ioasid_alloc: { set: op.set, dev: op.dev } };
    case 'ioasid_free_set': return { ioasid_free_set: op.set };
    case 'ioasid_adjust_set': return { ioasid_adjust_set: { set: op.set, quota: op.quota } };
  }
}

/** The YAML text of a litmus file; comment lines (e.g. the seed and replay command) go on top. */
export function writeLitmus(doc: LitmusDoc, comments: readonly string[] = []): string {
  const devices: Record<string, Record<string, unknown>> = {};
  for (const d of doc.setup.devices) {
    const entry: Record<string, unknown> = { ssid_bits: d.ssidBits };
    if (d.group !== undefined) entry.group = d.group;
    if (d.iommu !== undefined) entry.iommu = d.iommu;
    if (d.minPasid !== undefined) entry.min_pasid = d.minPasid;
    if (d.maxPasid !== undefined) entry.max_pasid = d.maxPasid;
    devices[d.name] = entry;
  }
  const iommus: Record<string, Record<string, unknown>> = {};
  for (const i of doc.setup.iommus ?? []) {
    const entry: Record<string, unknown> = {};
    if (i.asidBits !== undefined) entry.asid_bits = i.asidBits;
    if (i.sva !== undefined) entry.sva = i.sva;
    iommus[i.name] = entry;
  }
  const steps = doc.steps.map((s) => {
    const out: Record<string, unknown> = opValue(s.op);
    if ((s.op.op === 'bind' || s.op.op === 'bind_pasid' || s.op.op === 'bind_private') && s.op.as !== undefined) out.as = s.op.as;
    if (s.expect !== undefined) {
      if (s.expect === 'any' || 'kind' in s.expect) out.expect = expectationValue(s.expect as Expectation);
      else out.expect = Object.fromEntries(Object.entries(s.expect).map(([v, e]) => [v, expectationValue(e as Expectation)]));
    }
    return out;
  });
  const body: Record<string, unknown> = { name: doc.name };
  if (doc.doc !== undefined) body.doc = doc.doc;
  if (doc.source !== undefined) body.source = doc.source;
  if (doc.variants) body.variants = [...doc.variants];
  body.devices = devices;
  if (Object.keys(iommus).length > 0) body.iommus = iommus;
  const ia = doc.setup.ioasid;
  if (ia !== undefined) {
    body.ioasid = {
      ...(ia.capacity !== undefined ? { capacity: ia.capacity } : {}), ...(ia.systemQuota !== undefined ? { system_quota: ia.systemQuota } : {}),
      ...(ia.sets?.length ? { sets: Object.fromEntries(ia.sets.map((s) => [s.name, s.quota])) } : {}),
    };
  }
  body.mms = [...doc.setup.mms];
  body.steps = steps;
  if (doc.violates) body.violates = doc.violates;
  const yaml = new Document(body);
  // Short collections read best inline, as in docs/litmus.md: `bind: { dev: accel, mm: A }`.
  const flow = (node: unknown) => { if (isMap(node) || isSeq(node)) node.flow = true; };
  for (const key of ['devices', 'iommus']) {
    const map = yaml.get(key) as YAMLMap | undefined;
    for (const item of map?.items ?? []) flow(item.value);
  }
  flow(yaml.get('mms'));
  flow((yaml.get('ioasid') as YAMLMap | undefined)?.get('sets'));
  flow(yaml.get('variants'));
  for (const step of (yaml.get('steps') as YAMLSeq<YAMLMap>).items) for (const item of step.items) flow(item.value);
  const violates = yaml.get('violates') as YAMLMap | undefined;
  for (const item of violates?.items ?? []) flow(item.value);
  const head = comments.map((c) => `# ${c}\n`).join('');
  return head + yaml.toString({ lineWidth: 100 });
}
