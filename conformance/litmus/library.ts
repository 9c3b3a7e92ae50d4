/**
 * Loading litmus files (paths, directories, the bundled library) and running a set of them
 * over variants. Nothing is lost: a file that does not parse still gets an outcome, with its
 * errors, and every other file still runs.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { readInputFile } from '../../vocab/files.ts';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Variant } from '../../spec/index.ts';
import type { VariantName } from '../../vocab/index.ts';
import { parseLitmus, type LitmusError, type ParsedLitmus } from './parse.ts';
import { runLitmus, variantsOf, type RunOptions, type Verdict, type VerdictKind } from './run.ts';

/** The bundled library, found beside the package (not the working directory). */
export const BUNDLED_DIR = fileURLToPath(new URL('../../litmus/', import.meta.url));
/** The package root, for showing bundled files as `litmus/<name>`. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A bundled scenario named by its name (`v1-reuse-bug`), or as the package shows it
 * (`litmus/v1-reuse-bug.litmus.yaml`): its path, so printed commands work from any directory.
 */
export function bundledPath(arg: string): string | null {
  const m = /^(?:litmus\/)?([a-z0-9][a-z0-9.-]*?)(?:\.litmus\.yaml)?$/.exec(arg);
  if (!m) return null;
  const file = path.join(BUNDLED_DIR, `${m[1]}.litmus.yaml`);
  return existsSync(file) ? file : null;
}

/** A file to run: its path on disk and how it is shown. */
export interface LitmusSource { readonly path: string; readonly shown: string }

/** One file's outcome: its parse errors, or its verdicts (one per variant run). */
export interface FileOutcome {
  readonly file: string;
  readonly name?: string;
  readonly errors: readonly LitmusError[];
  readonly verdicts: readonly Verdict[];
}

const isLitmusFile = (name: string) => name.endsWith('.yaml');

/**
 * Expand paths: a file is taken as is; a directory gives its *.yaml files (*.litmus.yaml and
 * others), recursively, sorted. Paths that do not exist come back in `missing`.
 */
export async function findLitmusFiles(paths: readonly string[], cwd: string): Promise<{ sources: LitmusSource[]; missing: string[] }> {
  const sources: LitmusSource[] = [];
  const missing: string[] = [];
  const shown = (abs: string) => {
    const rel = path.relative(cwd, abs);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
    const pkg = path.relative(PACKAGE_ROOT, abs);
    return !pkg.startsWith('..') && !path.isAbsolute(pkg) ? pkg : abs;
  };
  const walk = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const out: string[] = [];
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {   // code points: the same order in every locale
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) out.push(...await walk(full));
      else if (isLitmusFile(e.name)) out.push(full);
    }
    return out;
  };
  for (const p of paths) {
    let abs = path.resolve(cwd, p);
    let st;
    try { st = await stat(abs); } catch {
      const bundled = bundledPath(p);
      if (bundled === null) { missing.push(p); continue; }
      abs = bundled;
      st = await stat(abs);
    }
    const files = st.isDirectory() ? await walk(abs) : [abs];
    for (const f of files) sources.push({ path: f, shown: shown(f) });
  }
  return { sources, missing };
}

/** Read and parse one file; an unreadable file is a located error like any other. */
export async function loadLitmus(src: LitmusSource): Promise<{ ok: true; litmus: ParsedLitmus } | { ok: false; errors: LitmusError[] }> {
  const read = readInputFile(src.path);
  if (!read.ok) return { ok: false, errors: [{ file: src.shown, reason: read.reason }] };
  const r = parseLitmus(read.text, src.shown);
  return r.ok ? r : { ok: false, errors: [...r.errors] };
}

/** Parse and run every source over its variants (narrowed to `only` when given). */
export async function runSources(sources: readonly LitmusSource[], only?: readonly (VariantName | Variant)[], options: RunOptions = {}): Promise<FileOutcome[]> {
  const out: FileOutcome[] = [];
  for (const src of sources) {
    const loaded = await loadLitmus(src);
    if (!loaded.ok) { out.push({ file: src.shown, errors: loaded.errors, verdicts: [] }); continue; }
    const verdicts: Verdict[] = [];
    for (const v of variantsOf(loaded.litmus, only)) verdicts.push(await runLitmus(loaded.litmus, v, options));
    out.push({ file: src.shown, name: loaded.litmus.doc.name, errors: [], verdicts });
  }
  return out;
}

/** The bundled library's sources. */
export async function bundledSources(): Promise<LitmusSource[]> {
  return (await findLitmusFiles([BUNDLED_DIR], PACKAGE_ROOT)).sources;
}

/** Exit code of a run: 3 something crashed, 2 a file is malformed, 1 an expectation failed, 0 all held. */
export function exitCodeOf(outcomes: readonly FileOutcome[]): 0 | 1 | 2 | 3 {
  const kinds = new Set<VerdictKind>(outcomes.flatMap((o) => o.verdicts.map((v) => v.verdict)));
  if (kinds.has('Crash')) return 3;
  if (kinds.has('Malformed') || outcomes.some((o) => o.errors.length > 0)) return 2;
  if (kinds.has('No')) return 1;
  return 0;
}
