/**
 * What the benches measure besides the wall clock: CPU time from Linux /proc (the main
 * JavaScript thread apart from the process's other threads), and medians with their spread.
 */
import { readFileSync } from 'node:fs';

/** utime + stime of a /proc stat file, in ms (clock ticks of 1/100 s); 0 where there is none. */
export function statCpuMs(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch { return 0; }
}

/**
 * CPU time of this process's main thread so far, in ms, and of its other threads (the garbage
 * collector's and compiler's helpers, libuv's): process.cpuUsage() counts every thread, so it
 * is no measure of what the one JavaScript thread costs. Linux /proc only; elsewhere the main
 * thread is taken for the whole process.
 */
export function runnerCpuMs(): { main: number; others: number } {
  const all = process.cpuUsage(), total = (all.user + all.system) / 1000;
  const main = statCpuMs(`/proc/self/task/${process.pid}/stat`);
  return main > 0 ? { main, others: Math.max(0, total - main) } : { main: total, others: 0 };
}

/** Median of the figures, with the lowest and highest (the machine is shared: one run can be unlucky). */
export function median(xs: readonly number[]): { mid: number; lo: number; hi: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  return { mid: sorted[Math.floor(sorted.length / 2)], lo: sorted[0], hi: sorted[sorted.length - 1] };
}
