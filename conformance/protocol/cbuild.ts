/**
 * Build the reference C implementation (examples/c/build.sh) when its binaries are missing or
 * older than its sources. Used by tests and the protocol bench; a value, never a throw.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
export const C_DIR = root('examples/c');
export const C_SV2 = root('examples/c/build/sva-v2');
export const C_PLANTED = root('examples/c/build/sva-v2-planted');
const SOURCES = ['sva.c', 'json.c', 'json.h', 'protocol.c', 'protocol.h', 'build.sh'].map((f) => `${C_DIR}/${f}`);

export type BuildResult = { readonly ok: true; readonly v2: string; readonly planted: string } | { readonly ok: false; readonly reason: string; readonly noCompiler: boolean };

export function hasCompiler(): boolean {
  try { execFileSync(process.env.CC ?? 'cc', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

export function buildCExample(): BuildResult {
  const newest = Math.max(...SOURCES.map((f) => statSync(f).mtimeMs));
  const fresh = [C_SV2, C_PLANTED].every((b) => existsSync(b) && statSync(b).mtimeMs >= newest);
  if (fresh) return { ok: true, v2: C_SV2, planted: C_PLANTED };
  if (!hasCompiler()) return { ok: false, reason: `no C compiler ('${process.env.CC ?? 'cc'}' not found): examples/c cannot be built`, noCompiler: true };
  try {
    execFileSync('sh', [`${C_DIR}/build.sh`], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    return { ok: false, reason: `examples/c/build.sh failed:\n${err.stderr?.toString() ?? String(e)}`, noCompiler: false };
  }
  return { ok: true, v2: C_SV2, planted: C_PLANTED };
}
