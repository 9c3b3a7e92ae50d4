/**
 * Whether a signal (SIGINT, SIGTERM) asked the run to stop. bin/svacheck.mjs runs the command
 * in a worker thread and keeps the main thread free to receive signals; it sets a shared flag
 * that long loops (the model checker's search, walks, conformance runs) poll, so they stop at
 * the next state, print what they have, and exit 130 (SIGINT) or 143 (SIGTERM).
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

const NUMBER: Record<StopSignal, number> = { SIGINT: 2, SIGTERM: 15 };
let shared: Int32Array | null = null;
let local = 0;

/** Use the flag the supervising thread sets (bin/svacheck.mjs). */
export function attachSignalFlag(buffer: SharedArrayBuffer): void { shared = new Int32Array(buffer); }

/** Raise the flag from this thread (in-process callers and tests). */
export function raiseSignal(sig: StopSignal | null): void {
  local = sig === null ? 0 : NUMBER[sig];
  if (shared) Atomics.store(shared, 0, local);
}

export function stopSignal(): StopSignal | null {
  const v = shared ? Atomics.load(shared, 0) : local;
  return v === 2 ? 'SIGINT' : v === 15 ? 'SIGTERM' : null;
}

export const interrupted = (): boolean => stopSignal() !== null;

/** 128 + the signal number, as a shell reports a process ended by it. */
export const exitCodeFor = (sig: StopSignal): number => 128 + NUMBER[sig];

/** The lines every interrupted command ends with: what stopped it and how to run it again. */
export function interruptedLines(command: string, argv: readonly string[], extra: readonly string[] = []): string[] {
  const sig = stopSignal() ?? 'SIGINT';
  const q = (s: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [`INTERRUPTED by ${sig}: the results above are partial (not exhaustive).`, ...extra, `Run it again: svacheck ${[command, ...argv].map(q).join(' ')}`];
}
