/**
 * --variant values: a built-in variant's name, or the path of a design file (`./my-design.ts`,
 * anything with a slash or ending in .ts/.mts/.js/.mjs). A design file default-exports a
 * Variant, or a function of the spec kit (spec/kit.ts) returning one. Every command that takes
 * a variant resolves its --variant values here, so a design is accepted wherever a name is.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { kit, BUILTIN_VARIANTS, type Variant } from '../spec/index.ts';
import { OP_NAMES, VARIANTS, type VariantName } from '../vocab/index.ts';
import { UsageError } from './args.ts';

/** Whether a --variant value names a file rather than a built-in variant. */
export const isVariantPath = (s: string): boolean => /[\\/]/.test(s) || /\.(m?ts|m?js)$/.test(s);

/** Why a loaded value is not a usable Variant, or null. */
function notAVariant(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'its default export is not a variant (an object, or a function of the kit returning one)';
  const x = v as Partial<Variant>;
  if (typeof x.name !== 'string' || x.name === '') return "the variant has no 'name'";
  if ((VARIANTS as readonly string[]).includes(x.name) && BUILTIN_VARIANTS[x.name as VariantName] !== v)
    return `the variant is named '${x.name}', a built-in variant's name: give the design its own name`;
  if (!Array.isArray(x.ops) || x.ops.some((o) => !(OP_NAMES as readonly string[]).includes(o))) return "'ops' must list operations of the vocabulary";
  for (const f of ['bind', 'getPasid', 'enqcmdPasid', 'freesOnDrop'] as const)
    if (typeof x[f] !== 'function') return `the variant has no '${f}' function`;
  if (x.ops.includes('bind_pasid') && typeof x.bindPasid !== 'function') return "'ops' lists bind_pasid but the variant has no 'bindPasid' function";
  if (x.pasidsPerMm !== 'one' && x.pasidsPerMm !== 'global-plus-local' && x.pasidsPerMm !== 'shared-plus-private') return "'pasidsPerMm' must be 'one', 'global-plus-local' or 'shared-plus-private'";
  if (x.litmusAs !== undefined && !(VARIANTS as readonly string[]).includes(x.litmusAs)) return `'litmusAs' must name a built-in variant (${VARIANTS.join(', ')})`;
  // The functions of a design take the state interface (a World) and report on it; before
  // svacheck 0.2 they took (cfg, state, ...) and returned a step, one parameter more.
  const arity: [keyof Variant, number][] = [['bind', 3], ['bindPasid', 4], ['getPasid', 3], ['enqcmdPasid', 2]];
  for (const [f, n] of arity) {
    const fn = x[f];
    if (typeof fn === 'function' && fn.length > n)
      return `'${f}' takes ${fn.length} parameters: a design's functions take the state interface, ${f}(w, ${WORLD_ARGS[f]}), and report on it (w.errno, w.gave, ...); the (cfg, state, ...) form returning a step is gone (docs/variants.md)`;
  }
  return null;
}

const WORLD_ARGS: Partial<Record<keyof Variant, string>> = { bind: 'dev, mm', bindPasid: 'dev, mm, pasid', getPasid: 'group, pasid', enqcmdPasid: 'mm' };

/** Load a design file; a usage error (exit 2) names the file and what is wrong with it. */
export async function loadVariantFile(file: string, cwd: string): Promise<Variant> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let mod: { default?: unknown };
  // svacheck's module hooks (bin/hooks.mjs) load a .ts file as an ES module whatever package
  // (or none) it sits in.
  try { mod = (await import(pathToFileURL(path).href)) as { default?: unknown }; } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(path)
      ? `--variant ${file}: no such file` : `--variant ${file}: cannot load: ${(e as Error).message.split('\n')[0]}`);
  }
  const exported = mod.default;
  let value: unknown = exported;
  if (typeof exported === 'function') {
    try { value = (exported as (k: typeof kit) => unknown)(kit); } catch (e) {
      throw new UsageError(`--variant ${file}: its default export, called with svacheck's kit, threw: ${(e as Error).message.split('\n')[0]}` +
        ` (the kit holds ${Object.keys(kit).join(', ')}; docs/variants.md)`);
    }
  }
  const problem = notAVariant(value);
  if (problem) throw new UsageError(`--variant ${file}: ${problem}`);
  return guardedDesign({ ...(value as Variant), source: file }, file, path);
}

/**
 * The design with each of its functions guarded: a throw inside one (a bug in the design,
 * not in svacheck) is a usage error naming the file, the function and the line it threw at.
 */
function guardedDesign(v: Variant, file: string, path: string): Variant {
  const out: Record<string, unknown> = { ...v };
  for (const f of ['bind', 'bindPasid', 'getPasid', 'enqcmdPasid', 'freesOnDrop'] as const) {
    const fn = v[f] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function') continue;
    out[f] = function (this: unknown, ...args: unknown[]) {
      try { return fn.apply(this, args); } catch (e) {
        if (e instanceof UsageError) throw e;
        const at = String((e as Error).stack ?? '').split('\n').find((l) => l.includes(path))?.match(/:(\d+):\d+\)?$/)?.[1];
        throw new UsageError(`--variant ${file}: the design's ${f} threw${at ? ` at line ${at}` : ''}: ${(e as Error).message?.split('\n')[0] ?? String(e)}`);
      }
    };
  }
  return out as unknown as Variant;
}

/** One --variant value: a built-in name or a design file. */
export async function resolveVariantArg(value: string, cwd: string): Promise<Variant> {
  if (isVariantPath(value)) return loadVariantFile(value, cwd);
  const v = BUILTIN_VARIANTS[value as VariantName];
  if (!v) throw new UsageError(`unknown variant '${value}' (known: ${VARIANTS.join(', ')}; or the path of a design file, ./my-design.ts)`);
  return v;
}

/** --variant values (repeatable, comma lists): each a built-in name or a design file; no repeats. */
export async function variantArgs(values: readonly string[] | undefined, cwd: string): Promise<Variant[] | undefined> {
  if (values === undefined) return undefined;
  const out: Variant[] = [];
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const v = await resolveVariantArg(value, cwd);
    if (!out.some((x) => x.name === v.name)) out.push(v);
  }
  if (out.length === 0) throw new UsageError('--variant needs at least one variant name or design file');
  return out;
}
