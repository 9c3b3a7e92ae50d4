/**
 * Where commands write files (--out): checked before a long run starts (a file or a read-only
 * directory is bad usage, exit 2, not a lost hour), every write atomic (a temp file renamed
 * into place, so a concurrent reader or run never sees half a file), names unique within a
 * run, and a write that fails anyway is a message, never the loss of the printed report.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './args.ts';

/** Write a file atomically: a temporary file beside it, renamed into place. Throws as writeFileSync does. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export class OutDir {
  private readonly used = new Set<string>();
  /** Files that could not be written: path and reason. */
  readonly failures: { path: string; reason: string }[] = [];

  private constructor(readonly dir: string) {}

  /** The directory for --out, created and probed for writing; a UsageError if it cannot be used. */
  static prepare(dir: string, cwd: string, option = '--out'): OutDir {
    const d = resolve(cwd, dir);
    const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    try {
      if (statSync(d, { throwIfNoEntry: false })?.isDirectory() === false) throw new UsageError(`${option} ${dir}: exists and is not a directory`);
      mkdirSync(d, { recursive: true });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${option} ${dir}: cannot create the directory (${why(e)})`);
    }
    const probe = resolve(d, `.svacheck-probe-${process.pid}-${Date.now()}`);
    try { closeSync(openSync(probe, 'wx')); unlinkSync(probe); } catch (e) {
      throw new UsageError(`${option} ${dir}: cannot write there (${why(e)})`);
    }
    return new OutDir(d);
  }

  /**
   * Write text as NAME.litmus.yaml (name sanitised; -2, -3... if this run already wrote that
   * name), atomically. Returns the path, or null when it failed (recorded in `failures`).
   */
  write(name: string, text: string, ext = '.litmus.yaml'): string | null {
    const base = name.replace(/[^A-Za-z0-9_.-]+/g, '_');
    let path = resolve(this.dir, `${base}${ext}`);
    for (let i = 2; this.used.has(path); i++) path = resolve(this.dir, `${base}-${i}${ext}`);
    this.used.add(path);
    try {
      writeAtomic(path, text);
      return path;
    } catch (e) {
      this.failures.push({ path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      return null;
    }
  }

  /** stderr lines for the writes that failed (their content was printed instead). */
  failureLines(command: string): string[] {
    return this.failures.map((f) => `svacheck ${command}: cannot write ${f.path} (${f.reason}); its content is printed above instead`);
  }
}
