/** Where a command writes. Tests pass a buffer; the CLI passes the process streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress lines go there only then). */
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
