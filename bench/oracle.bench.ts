/**
 * The shared regression oracle as benchmark: configurations B1 and B2 of ../shared/bench
 * (read in place, never copied; skipped with a reason where the folder is absent), their
 * exact counts checked against the table of its README, and the throughput of each engine on
 * the same run: spec/ on the flat backend (the model checker), the model checker as it ran
 * before the rules were written once (bench/baseline: the compiled second writing, flat
 * invariants and findings), and spec/ on the object backend (a bounded run: its rate, not its
 * counts).
 * `npm run bench oracle` runs only this file. B2 without symmetry (~16.5 M states) runs only
 * with SVACHECK_BENCH_FULL=1.
 *
 * The model checker runs with its visited set on a second thread (model/parallel.ts) and on one
 * thread; the baseline ran on one.
 * Rows: config, symmetry, engine, transitions, distinct states, seconds, transitions/s,
 * bytes allocated per stored state, and whether the counts equal the oracle's. Then, per
 * configuration, the transition loop alone of both engines on the same states, taking turns
 * (bench/baseline/check.ts transitionLoops): the cost per transition of running spec/ through
 * the state interface against the compiled second writing, as a ratio the machine's load
 * does not skew.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { check, loadConfigFile, type CheckResult } from '../model/index.ts';
import type { Stats } from '../model/stats.ts';
import { checkBefore, transitionLoops } from './baseline/check.ts';

const BENCH = fileURLToPath(new URL('../../shared/bench/', import.meta.url));
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
/** Seconds the spec engine runs per row: enough for a steady rate. */
const SPEC_SECONDS = 30;

function oracle(name: string): { off: number; transitions: number; on: number } | null {
  const row = readFileSync(`${BENCH}README.md`, 'utf8').split('\n').find((l) => l.startsWith(`| ${name} `));
  if (!row) return null;
  const c = row.split('|').map((x) => x.trim()), num = (s: string) => Number(s.replace(/,/g, ''));
  return { off: num(c[5]), transitions: num(c[6]), on: num(c[7]) };
}

function line(label: string, r: { stats: Stats; exhaustive: boolean }, want: { distinct: number; transitions?: number } | null): Stats {
  const s = r.stats;
  const verdict = !r.exhaustive ? 'bounded (rate only)'
    : want === null ? 'no oracle row'
    : s.distinct === want.distinct && (want.transitions === undefined || s.transitions === want.transitions) ? 'counts = oracle'
    : `COUNTS DIFFER from the oracle (${fmt(want.distinct)} states${want.transitions === undefined ? '' : `, ${fmt(want.transitions)} transitions`})`;
  console.log(`${label.padEnd(36)} ${fmt(s.transitions).padStart(12)} trans ${fmt(s.distinct).padStart(11)} distinct ${s.seconds.toFixed(1).padStart(7)} s ` +
    `${fmt(s.transitionsPerSecond).padStart(10)} trans/s ${s.bytesPerState.toFixed(1).padStart(5)} B/state  ${verdict}`);
  return s;
}

export function run(): void {
  if (!existsSync(`${BENCH}README.md`)) { console.log(`skipped: ${BENCH} is absent (the shared benchmark configurations live beside the project)`); return; }
  console.log(`node ${process.version}; oracle: ${BENCH}README.md`);
  const rows: [string, boolean][] = [['B1', false], ['B2', true], ...(process.env.SVACHECK_BENCH_FULL ? [['B2', false] as [string, boolean]] : [])];
  for (const [name, symmetry] of rows) {
    const mc = loadConfigFile(`${BENCH}${name}.yaml`);
    const o = oracle(name);
    const want = o === null ? null : symmetry ? { distinct: o.on } : { distinct: o.off, transitions: o.transitions };
    const tag = `${name} symmetry ${symmetry ? 'on ' : 'off'}`;
    const flat = line(`${tag} spec/ flat, 2 threads`, check(mc, 'v2', { symmetry, continue: true, engine: 'flat', threads: 2 }), want);
    const flat1 = line(`${tag} spec/ flat, 1 thread`, check(mc, 'v2', { symmetry, continue: true, engine: 'flat', threads: 1 }), want);
    const before = line(`${tag} before (compiled), 1 thread`, checkBefore(mc, 'v2', symmetry), want);
    const object = line(`${tag} spec/ object (${SPEC_SECONDS} s)`, check(mc, 'v2', { symmetry, continue: true, engine: 'object', maxSeconds: SPEC_SECONDS }), want);
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    console.log(`${tag}: flat / before ${x(flat.transitionsPerSecond, before.transitionsPerSecond)} (target >= 1.00x; on one thread each ${x(flat1.transitionsPerSecond, before.transitionsPerSecond)}); flat / object ${x(flat.transitionsPerSecond, object.transitionsPerSecond)}; ` +
      `B/state flat ${flat.bytesPerState.toFixed(1)} vs before ${before.bytesPerState.toFixed(1)} (target: no worse)` +
      (name === 'B1' && !symmetry ? `; B1 off ${fmt(flat.transitionsPerSecond)} trans/s (target >= 4,000,000; on one thread ${fmt(flat1.transitionsPerSecond)})` : ''));
    const loops = transitionLoops(mc, 'v2', symmetry);
    console.log(`${tag}: the transition loop alone (fire, findings, cut; no packing, no visited set), first 100,000 states taking turns: ` +
      `flat ${(loops.flatMs * 1e6 / loops.transitions).toFixed(0)} ns, before ${(loops.beforeMs * 1e6 / loops.transitions).toFixed(0)} ns per transition (CPU): flat / before ${x(loops.beforeMs, loops.flatMs)} the speed`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) run();
