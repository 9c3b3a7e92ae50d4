/**
 * Reading a kernel tree for `svacheck kernel`: the tree's own drivers/iommu/iommu-sva.c, used
 * unmodified, and the SVA definitions it needs, taken BY NAME from the tree's
 * include/linux/iommu.h. A real header is ~1,800 lines; the part svacheck takes is
 *   - `struct iommu_sva { … };` and `struct iommu_mm_data { … };` (wherever they stand), and
 *   - the `#ifdef CONFIG_IOMMU_SVA` branch that defines `mm_get_enqcmd_pasid()` (its inlines
 *     and the bind/unbind prototypes), up to its `#else` or `#endif`.
 * Everything else in the header belongs to the shim (kernel/shim/include/linux/iommu.h), so a
 * patch that changes these definitions (v2 adds `pasid_global` and changes
 * `mm_get_enqcmd_pasid`) is honoured, and the rest of a real header never has to compile here.
 * The extracted text carries `#line` directives, so a compiler error points at the tree's file.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export const SOURCE_PATH = 'drivers/iommu/iommu-sva.c';
export const HEADER_PATH = 'include/linux/iommu.h';

export interface KernelTree {
  readonly dir: string;
  readonly sourceFile: string;
  readonly headerFile: string;
  readonly source: string;
  /** The extracted definitions, with #line directives. */
  readonly defs: string;
  /** What the tree's code offers, derived from the text. */
  readonly features: { readonly bindPasid: boolean; readonly pasidGlobal: boolean };
}

/** Why the tree cannot be used: a path and a sentence (exit 2: bad input). */
export interface TreeProblem { readonly path: string; readonly message: string }

export type TreeRead = { readonly ok: true; readonly tree: KernelTree } | { readonly ok: false; readonly problem: TreeProblem };

const MAX_BYTES = 16 * 1024 * 1024;

async function readText(file: string): Promise<string | TreeProblem> {
  let st;
  try { st = await stat(file); } catch { return { path: file, message: 'no such file' }; }
  if (!st.isFile()) return { path: file, message: 'not a regular file' };
  if (st.size > MAX_BYTES) return { path: file, message: `larger than ${MAX_BYTES >> 20} MiB: not a kernel source file` };
  return readFile(file, 'utf8');
}

/** Read DIR's iommu-sva.c and the SVA definitions of its iommu.h. */
export async function readKernelTree(dir: string): Promise<TreeRead> {
  const abs = path.resolve(dir);
  let st;
  try { st = await stat(abs); } catch { return { ok: false, problem: { path: dir, message: 'no such directory' } }; }
  if (!st.isDirectory()) return { ok: false, problem: { path: dir, message: 'not a directory (--tree names the top of a kernel tree)' } };
  const sourceFile = path.join(abs, SOURCE_PATH);
  const headerFile = path.join(abs, HEADER_PATH);
  const source = await readText(sourceFile);
  if (typeof source !== 'string') return { ok: false, problem: source };
  const header = await readText(headerFile);
  if (typeof header !== 'string') return { ok: false, problem: header };
  const defs = extractSvaDefinitions(header, headerFile);
  if (typeof defs !== 'string') return { ok: false, problem: { path: headerFile, message: defs.message } };
  return {
    ok: true,
    tree: {
      dir: abs, sourceFile, headerFile, source, defs,
      features: {
        bindPasid: /^[^\n;{}]*\biommu_sva_bind_device_pasid\s*\([^;{]*\)\s*\{/m.test(source),
        pasidGlobal: /\bpasid_global\b/.test(structBody(header, 'iommu_mm_data') ?? ''),
      },
    },
  };
}

/** Offsets of line starts, for 1-based line numbers. */
const lineOf = (text: string, offset: number): number => {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/** Blank out comments and string literals (same length), so braces and directives are found reliably. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** [start, end) of `struct NAME { … };` at the start of a line, or null. */
function structSpan(text: string, name: string): [number, number] | null {
  const c = code(text);
  const m = new RegExp(`^struct\\s+${name}\\s*\\{`, 'm').exec(c);
  if (!m) return null;
  let depth = 0;
  for (let i = m.index + m[0].length - 1; i < c.length; i++) {
    if (c[i] === '{') depth++;
    else if (c[i] === '}' && --depth === 0) {
      const semi = c.indexOf(';', i);
      return semi < 0 ? null : [m.index, semi + 1];
    }
  }
  return null;
}

function structBody(text: string, name: string): string | null {
  const span = structSpan(text, name);
  return span ? text.slice(span[0], span[1]) : null;
}

/**
 * The then-branch of the `#ifdef CONFIG_IOMMU_SVA` (or `#if IS_ENABLED(CONFIG_IOMMU_SVA)`)
 * block that defines mm_get_enqcmd_pasid: [start, end) of its text, or null.
 */
function svaBranchSpan(text: string): [number, number] | null {
  const c = code(text);
  const directive = /^[ \t]*#[ \t]*(ifdef|ifndef|if|elif|else|endif)\b([^\n]*)/gm;
  const opens: { index: number; end: number; sva: boolean }[] = [];
  for (let m = directive.exec(c); m; m = directive.exec(c)) {
    const [line, kind, rest] = m;
    if (kind === 'ifdef' || kind === 'ifndef' || kind === 'if') {
      // Trees name the option CONFIG_IOMMU_SVA, or CONFIG_IOMMU_MM_DATA in some releases.
      const sva = (kind === 'ifdef' && /^\s*CONFIG_IOMMU_(SVA|MM_DATA)\s*$/.test(rest)) || (kind === 'if' && /^\s*IS_ENABLED\(\s*CONFIG_IOMMU_(SVA|MM_DATA)\s*\)\s*$/.test(rest));
      opens.push({ index: m.index, end: m.index + line.length + 1, sva });
      continue;
    }
    const top = opens[opens.length - 1];
    if (!top) continue;
    if (top.sva) {
      const body = c.slice(top.end, m.index);
      if (/\bmm_get_enqcmd_pasid\s*\(/.test(body)) return [top.end, m.index];
    }
    if (kind === 'endif') opens.pop();
    else top.sva = false;                                                // an #else/#elif branch is not the SVA one
  }
  return null;
}

/** The definitions to compile, with #line directives into `file`, or why they are not there. */
export function extractSvaDefinitions(header: string, file: string): string | { message: string } {
  const parts: string[] = [];
  const quoted = JSON.stringify(file);
  for (const name of ['iommu_sva', 'iommu_mm_data']) {
    const span = structSpan(header, name);
    if (!span) return { message: `no definition of struct ${name} (svacheck takes it from this file by name)` };
    parts.push(`#line ${lineOf(header, span[0])} ${quoted}\n${header.slice(span[0], span[1])}\n`);
  }
  const branch = svaBranchSpan(header);
  if (!branch) return { message: 'no #ifdef CONFIG_IOMMU_SVA block defining mm_get_enqcmd_pasid() (svacheck takes the SVA inlines and prototypes from it)' };
  parts.push(`#line ${lineOf(header, branch[0])} ${quoted}\n${header.slice(branch[0], branch[1])}`);
  return `/* Generated by svacheck from ${file}: the SVA definitions iommu-sva.c needs, taken by name. */\n${parts.join('\n')}\n`;
}
