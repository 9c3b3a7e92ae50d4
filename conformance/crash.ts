/**
 * Shrinking a crash. When an `exec:` implementation crashes, exits or hangs in a random run,
 * the process is gone and fast-check cannot go on shrinking with it; so the runner takes the
 * operations sent since the last configure, and shrinks them itself, starting a fresh process
 * for every attempt: first dropping halves, then quarters, ... then single operations
 * (delta debugging), keeping a candidate only when it still breaks the implementation the same
 * way. Operations the caller contract forbids after a removal are skipped, as everywhere.
 */
import type { Op, Setup, SvaAdapter, VariantName } from '../vocab/index.ts';
import { runTrace, type StepFailure } from './lockstep.ts';

export interface Restartable { readonly adapter: SvaAdapter; readonly brokeHow: () => string | null; close(): Promise<void> }

export interface ShrunkCrash {
  readonly trace: readonly Op[];
  readonly failure: StepFailure;
  /** How the implementation broke on the shrunk trace (a protocol failure kind). */
  readonly how: string;
  readonly attempts: number;
}

/** Run ops on a fresh process; how it broke, or null if it did not. */
async function brokeOn(open: () => Promise<Restartable | null>, setup: Setup, variant: VariantName, ops: readonly Op[]) {
  const r = await open();
  if (r === null) return null;
  try {
    const run = await runTrace(r.adapter, setup, variant, ops);
    const how = r.brokeHow();
    return how !== null && run.failure?.check === 'crash' ? { how, trace: run.trace, failure: run.failure } : null;
  } finally { await r.close(); }
}

/** The shortest trace found that breaks the implementation as `ops` did (null if `ops` no longer does). */
export async function shrinkCrash(open: () => Promise<Restartable | null>, setup: Setup, variant: VariantName, ops: readonly Op[],
  budget = { attempts: 400, ms: 60_000 }): Promise<ShrunkCrash | null> {
  const until = Date.now() + budget.ms;
  const more = () => attempts < budget.attempts && Date.now() < until;
  let attempts = 1;
  let best = await brokeOn(open, setup, variant, ops);
  if (best === null) return null;
  const how = best.how;
  let chunk = Math.max(1, Math.floor(best.trace.length / 2));
  while (chunk >= 1 && more()) {
    let shrunk = false;
    for (let at = 0; at < best.trace.length && more(); at += chunk) {
      const candidate = [...best.trace.slice(0, at), ...best.trace.slice(at + chunk)];
      if (candidate.length === 0) continue;
      attempts++;
      const again = await brokeOn(open, setup, variant, candidate);
      if (again !== null && again.how === how && again.trace.length < best.trace.length) { best = again; shrunk = true; at -= chunk; }
    }
    if (!shrunk) chunk = Math.floor(chunk / 2);
  }
  return { trace: best.trace, failure: best.failure, how, attempts };
}
