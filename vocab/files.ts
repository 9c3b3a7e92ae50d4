/**
 * Reading an input file (a litmus file, a model configuration) the same way everywhere: at
 * most MAX_INPUT_BYTES (so `--config /dev/zero` is an error, not a machine out of memory),
 * and only valid UTF-8 (a binary file is named as such, not parsed as mojibake).
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Largest input file read: the biggest bundled file is a few KiB. */
export const MAX_INPUT_BYTES = 4 * 2 ** 20;

export type InputText = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string };

export function readInputFile(path: string, limit = MAX_INPUT_BYTES): InputText {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) { return { ok: false, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }; }
  try {
    const buf = Buffer.alloc(limit + 1);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len > limit) return { ok: false, reason: `larger than ${limit / 2 ** 20} MiB; not an input file svacheck reads` };
    }
    try { return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, len)) }; } catch {
      return { ok: false, reason: 'not valid UTF-8 text (a binary file?)' };
    }
  } catch (e) {
    return { ok: false, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  } finally { closeSync(fd); }
}
