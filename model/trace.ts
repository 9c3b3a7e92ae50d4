/**
 * Traces: sequences of spec operations with their results, turned into named operations and
 * litmus files a person can run again (`svacheck litmus FILE`). Each successful bind names
 * its handle h1, h2, ... (a bind that returns an existing handle gets a new name aliasing
 * it); each unbind / get_pasid names a live handle of its slot.
 */
import { type Config, type SpecOp, type State } from '../spec/index.ts';
import { VARIANTS, formatOp, formatResult, type Op, type Result, type Setup, type VariantName } from '../vocab/index.ts';
import { writeLitmus, type LitmusDoc, type LitmusStep } from '../vocab/litmus.ts';

export interface TraceStep {
  readonly op: SpecOp;
  /** The result per variant run (one entry for check and walk, two for diff). */
  readonly results: Partial<Record<string, Result>>;
  readonly rule: string;
  /** Per variant: the deciding rule and the further rules the step carried out (S6, V7, ...). */
  readonly rules: Partial<Record<string, readonly string[]>>;
  /** The state after the step (of the first variant). */
  readonly after: State;
}

const slotKey = (g: number, p: number) => `${g}:${p}`;

/** Name the trace's operations as a caller would issue them. */
export function namedOps(cfg: Config, trace: readonly TraceStep[]): Op[] {
  const live = new Map<string, string[]>();
  let handles = 0;
  const out: Op[] = [];
  for (const s of trace) {
    const o = s.op;
    const first = Object.values(s.results)[0]!;
    switch (o.op) {
      case 'bind': case 'bind_pasid': {
        const dev = cfg.devices[o.dev].name, mm = cfg.mms[o.mm];
        const ok = Object.values(s.results).every((r) => r?.kind === 'pasid');
        const as = ok ? `h${++handles}` : undefined;
        if (ok && first.kind === 'pasid') {
          const key = slotKey(cfg.devices[o.dev].group, first.pasid);
          live.set(key, [...(live.get(key) ?? []), as!]);
        }
        out.push(o.op === 'bind' ? { op: 'bind', dev, mm, ...(as ? { as } : {}) } : { op: 'bind_pasid', dev, mm, pasid: o.pasid, ...(as ? { as } : {}) });
        break;
      }
      case 'unbind': case 'get_pasid': {
        const key = slotKey(o.group, o.pasid);
        const name = live.get(key)?.[0];
        if (name === undefined) throw new Error(`trace: ${o.op} of slot ${key} has no live handle name`);
        out.push({ op: o.op, handle: name });
        if (o.op === 'unbind' && s.after.slots[o.group].get(o.pasid)?.kind !== 'sva') live.delete(key);
        break;
      }
      case 'enqcmd_pasid': case 'mm_exit': out.push({ op: o.op, mm: cfg.mms[o.mm] }); break;
      case 'alloc_global': out.push({ op: 'alloc_global', dev: cfg.devices[o.dev].name }); break;
      case 'free_global': out.push({ op: 'free_global', pasid: o.pasid }); break;
      case 'attach_pasid': case 'detach_pasid': case 'dma': out.push({ op: o.op, dev: cfg.devices[o.dev].name, pasid: o.pasid }); break;
    }
  }
  return out;
}

export interface LitmusMeta {
  readonly name: string;
  readonly doc: string;
  readonly source: string;
  /** The variants run, in the order of the trace's results (planted, non-built-in ones too). */
  readonly variants: readonly string[];
  readonly violates?: Partial<Record<VariantName, readonly string[]>>;
  /** Comment lines on top: the replay command, the seed. */
  readonly comments?: readonly string[];
}

/** A litmus document of the trace; each step expects the result each variant gave. */
export function traceLitmus(setup: Setup, cfg: Config, trace: readonly TraceStep[], meta: LitmusMeta): { doc: LitmusDoc; text: string; ops: Op[] } {
  const ops = namedOps(cfg, trace);
  const steps: LitmusStep[] = ops.map((op, i) => {
    const rs = trace[i].results;
    const vals = meta.variants.map((v) => rs[v]!);
    const same = vals.every((r) => formatResult(r) === formatResult(vals[0]));
    return { op, expect: same ? vals[0] : Object.fromEntries(meta.variants.map((v) => [v, rs[v]!])) };
  });
  // A variant that is not built in (a planted bug) cannot be named in the file: the litmus
  // runner would reject it. Its results stay as plain expectations; a comment says whose.
  const builtin = meta.variants.every((v) => (VARIANTS as readonly string[]).includes(v));
  const doc: LitmusDoc = {
    name: meta.name, doc: meta.doc, source: meta.source, setup, steps,
    ...(builtin ? { variants: meta.variants as VariantName[] } : {}),
    ...(builtin && meta.violates ? { violates: meta.violates } : {}),
  };
  const comments = builtin ? meta.comments ?? [] : [...(meta.comments ?? []), `results of variant ${meta.variants.join(', ')} (not built in: run it through the model API)`];
  return { doc, text: writeLitmus(doc, comments), ops };
}

/** One line per step: `bind {dev: accel, mm: A} as h1 → 1  [S5-new S3]`. */
export function formatTrace(ops: readonly Op[], trace: readonly TraceStep[]): string[] {
  return ops.map((o, i) => {
    const names = Object.keys(trace[i].results);
    const many = names.length > 1;
    const results = names.map((v) => `${many ? `${v}: ` : ''}${formatResult(trace[i].results[v]!)}`).join(', ');
    const rules = names.map((v) => `${many ? `${v}: ` : ''}${(trace[i].rules[v] ?? [trace[i].rule]).join(' ')}`).join('; ');
    return `  ${i + 1}. ${formatOp(o)} → ${results}  [${rules}]`;
  });
}
