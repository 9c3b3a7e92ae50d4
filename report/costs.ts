/**
 * The report's section "What it costs users": the bind failure rates of the seed workload
 * (simulate/workloads/seed.yaml) for the report's variants at a few loads, short runs, and where
 * the plot of those rates was written, if it was.
 */
import { writeFileSync } from 'node:fs';
import { deviceBlocks, renderSvg, seedWorkload, shellLines, simulate, wrap, type SimulateResult } from '../simulate/index.ts';

/** Loads, runs and time per run of the report's simulation (the full default sweep is `svacheck simulate`). */
export const COSTS_RUN = { values: [1, 4, 16], replications: 4, horizon: 300 } as const;

export interface CostsData {
  readonly workload: string;
  readonly seed: number;
  readonly loads: readonly number[];
  readonly replications: number;
  readonly horizon: number;
  /** Per device and variant, at each load: failures, attempts, rate and 95% interval. */
  readonly rates: readonly {
    readonly device: string; readonly ssidBits: number; readonly variant: string; readonly load: number;
    readonly attempts: number; readonly failures: number; readonly rate: number | null; readonly lo: number | null; readonly hi: number | null;
    readonly why: Readonly<Record<string, number>>;
  }[];
  /** The SVG written, or null. */
  readonly plot: string | null;
  readonly replay: string;
  /** The rendered blocks (text), kept so text and markdown print the same table. */
  readonly lines: readonly string[];
}

export function buildCosts(variants: readonly string[], seed: number, plot: string | null): CostsData {
  const w = seedWorkload();
  const r: SimulateResult = simulate(w, {
    variants, seed, sweep: { param: 'load', values: COSTS_RUN.values }, replications: COSTS_RUN.replications, horizon: COSTS_RUN.horizon,
  });
  const replay = `npx svacheck simulate --variant ${variants.join(',')} --seed ${seed} --sweep load=${COSTS_RUN.values.join(',')} --replications ${COSTS_RUN.replications} --horizon ${COSTS_RUN.horizon}`;
  if (plot !== null) writeFileSync(plot, renderSvg(r, replay));
  const rates = r.points.flatMap((p) => p.byVariant.flatMap((v) => Object.entries(v.devices).map(([device, c]) => ({
    device, ssidBits: w.devices.find((d) => d.name === device)!.ssidBits, variant: v.variant, load: p.value,
    attempts: c.attempts, failures: c.failures, rate: c.rate, lo: c.lo, hi: c.hi, why: c.why,
  }))));
  return { workload: w.name, seed, loads: COSTS_RUN.values, replications: r.replications, horizon: r.horizon, rates, plot, replay, lines: deviceBlocks(r, (v) => (v.length <= 9 ? v : v === 'per-device' ? 'per-dev' : v.slice(0, 9))) };
}

/** The section's text lines (ASCII, at most 80 columns). */
export function costsText(c: CostsData): string[] {
  return [
    '6. What it costs users',
    '',
    ...wrap(`Binds failed, % +- the larger side of the 95% interval, on the ${c.workload} workload (svacheck simulate) at loads ${c.loads.join(', ')} (mean processes alive), ${c.replications} runs of ${c.horizon} s each, seed ${c.seed}.`, 80),
    ...c.lines,
    '',
    c.plot !== null ? `Plot written to ${c.plot}` : 'Plot: not written (npx svacheck report --plot costs.svg).',
    'The full sweep, with a plot: npx svacheck simulate --plot simulate.svg',
    'Replay these numbers:',
    ...shellLines(c.replay, 80, '  '),
  ];
}

export function costsMarkdown(c: CostsData): string[] {
  return [
    '## 6. What it costs users', '',
    `Binds failed on the \`${c.workload}\` workload at loads ${c.loads.join(', ')}, ${c.replications} runs of ${c.horizon} s each, seed ${c.seed}:`, '',
    '```', ...c.lines.filter((l, i) => i > 0 || l !== ''), '```', '',
    c.plot !== null ? `Plot written to \`${c.plot}\`.` : 'Plot: not written (`npx svacheck report --plot costs.svg`).', '',
    `Replay: \`${c.replay}\``, '',
  ];
}
