/**
 * Test helpers: scenarios written as litmus-like lines, `bind accel A as h1 => 1`, run through
 * the built-in adapter. Lives beside the tests; not exported from impl/index.ts.
 */
import { expect } from 'vitest';
import { type DmaProbe, type Observation, type Op, type Result, type Setup, type SvaAdapter, type VariantName, formatOp, formatResult } from '../vocab/index.ts';
import { createBuiltinAdapter } from './adapter.ts';

export function parseOp(line: string): Op {
  const w = line.trim().split(/\s+/);
  const asAt = w.indexOf('as');
  const as = asAt >= 0 ? w[asAt + 1] : undefined;
  const n = (i: number): number => Number(w[i]);
  switch (w[0]) {
    case 'bind': return { op: 'bind', dev: w[1], mm: w[2], ...(as ? { as } : {}) };
    case 'bind_pasid': return { op: 'bind_pasid', dev: w[1], mm: w[2], pasid: n(3), ...(as ? { as } : {}) };
    case 'unbind': case 'get_pasid': return { op: w[0], handle: w[1] };
    case 'enqcmd_pasid': case 'mm_exit': return { op: w[0], mm: w[1] };
    case 'alloc_global': return { op: 'alloc_global', dev: w[1] };
    case 'free_global': return { op: 'free_global', pasid: n(1) };
    case 'attach_pasid': return { op: 'attach_pasid', dev: w[1], pasid: n(2), ...(w[3] === 'handle' ? { handle: true } : {}) };
    case 'detach_pasid': case 'dma': return { op: w[0], dev: w[1], pasid: n(2) };
    default: throw new Error(`bad step '${line}'`);
  }
}

/**
 * Configure a fresh built-in adapter (or `adapter`) and run `steps` on it; see `more`.
 */
export function run(variant: VariantName, setup: Setup, steps: readonly string[], adapter: SvaAdapter = createBuiltinAdapter()): SvaAdapter {
  adapter.configure(setup, variant);
  return more(adapter, variant, steps);
}

/**
 * Continue on a configured adapter: each step is "op => expected"; a step without "=>" must
 * succeed (a PASID or ok). Every result is asserted, with the step in the message.
 */
export function more(adapter: SvaAdapter, variant: VariantName, steps: readonly string[]): SvaAdapter {
  steps.forEach((step, i) => {
    const [opText, want] = step.split('=>').map((s) => s.trim());
    const op = parseOp(opText);
    const got = formatResult(adapter.apply(op) as Result); // the built-in adapter is synchronous
    const where = `${variant} step ${i + 1}: ${formatOp(op)}`;
    if (want === undefined) expect(got, where).toMatch(/^(ok|\d+)$/);
    else expect(got, where).toBe(want);
  });
  return adapter;
}

/** The built-in adapter's observation (synchronous). */
export const observe = (a: SvaAdapter, probes: readonly DmaProbe[] = []): Observation => a.observe(probes) as Observation;

/** An mm's observed PASID state, compactly. */
export function mmOf(a: SvaAdapter, mm: string) {
  const m = observe(a).mms.find((x) => x.mm === mm);
  if (!m) throw new Error(`no mm ${mm}`);
  return m;
}
