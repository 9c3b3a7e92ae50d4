/**
 * Failure rates with 95% confidence intervals from independent replications.
 *
 * Binds in one run are not independent (a full device stays full for a while), so a binomial
 * interval on the pooled counts alone is too narrow. The rate is the pooled ratio
 * p = sum(failures) / sum(attempts); its replication interval is the ratio estimator's
 * t-interval, p +- t(R-1) * sqrt(sum((f_r - p n_r)^2) / (R )) / mean(n_r). When every
 * replication saw the same rate (e.g. no failure at all) that interval has width zero, so the
 * interval reported is the wider of it and the Wilson score interval on the pooled counts.
 */

export interface Rate {
  readonly attempts: number;
  readonly failures: number;
  /** failures / attempts, or null without attempts. */
  readonly rate: number | null;
  /** 95% interval, or null without attempts. */
  readonly lo: number | null;
  readonly hi: number | null;
}

/** Two-sided 95% Student t quantiles for 1..30 degrees of freedom; 1.96 beyond. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
export const t95 = (dof: number): number => (dof <= 0 ? Infinity : dof <= 30 ? T95[dof - 1] : 1.96);

/** Wilson score interval (95%) for f failures in n attempts. */
export function wilson(f: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959964, p = f / n, z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The pooled rate of per-replication (failures, attempts) pairs, with its interval. */
export function rateOf(reps: readonly { failures: number; attempts: number }[]): Rate {
  const n = reps.reduce((s, r) => s + r.attempts, 0);
  const f = reps.reduce((s, r) => s + r.failures, 0);
  if (n === 0) return { attempts: 0, failures: 0, rate: null, lo: null, hi: null };
  const p = f / n;
  let [lo, hi] = wilson(f, n);
  const R = reps.length;
  if (R >= 2) {
    const ss = reps.reduce((s, r) => s + (r.failures - p * r.attempts) ** 2, 0);
    const half = (t95(R - 1) * Math.sqrt(ss / (R * (R - 1)))) / (n / R);
    lo = Math.min(lo, Math.max(0, p - half));
    hi = Math.max(hi, Math.min(1, p + half));
  }
  return { attempts: n, failures: f, rate: p, lo, hi };
}

/** Erlang's loss formula B(c, a): the share of Poisson arrivals finding all c servers busy. */
export function erlangB(c: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return b;
}

/**
 * Engset's formula, blocked calls cleared: the share of attempts blocked when `n` sources,
 * each starting at rate `beta` times the service rate while idle, share `c` servers.
 */
export function engset(n: number, c: number, beta: number): number {
  let binom = 1, num = 0, den = 0;
  for (let i = 0; i <= c; i++) {
    if (i > 0) binom = (binom * (n - 1 - (i - 1))) / i;   // C(n-1, i)
    const term = binom * beta ** i;
    den += term;
    if (i === c) num = term;
  }
  return num / den;
}
