/** Where a command writes. Tests pass a buffer; the CLI passes the process streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /**
   * Whether long runs may print progress lines on stderr (every few seconds, once a run has
   * taken a few seconds). The svacheck binary says yes, terminal or not; tests say no;
   * --progress / --no-progress decide when given.
   */
  readonly progress: boolean;
  readonly cwd: string;
}

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, BROKE: 3 } as const;

export function bufferIo(cwd = process.cwd()): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '', stderr: '', progress: false, cwd,
    out(text: string) { io.stdout += text; },
    err(text: string) { io.stderr += text; },
  };
  return io;
}
