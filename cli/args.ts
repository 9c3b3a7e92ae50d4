import { VARIANTS, type VariantName } from '../vocab/index.ts';

/**
 * A declarative option table and a pure argv → options parser. Every command declares its
 * options here; `--help` text is generated from the same table.
 */
export interface OptionSpec {
  readonly name: string;            // long name, without the dashes
  readonly kind: 'boolean' | 'string' | 'number' | 'list';   // list: may repeat
  readonly description: string;
  readonly short?: string;
  readonly valueName?: string;
}

export interface Parsed {
  readonly options: Record<string, string | number | boolean | string[] | undefined>;
  readonly positional: string[];
}

export class UsageError extends Error {}

export function parseArgs(table: readonly OptionSpec[], argv: readonly string[]): Parsed {
  const options: Record<string, string | number | boolean | string[] | undefined> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { positional.push(arg); continue; }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const spec = flag.startsWith('--') ? table.find((o) => o.name === flag.slice(2)) : table.find((o) => o.short === flag.slice(1));
    if (!spec) throw new UsageError(`unknown option ${flag}`);
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`);
      options[spec.name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${spec.name} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}`);
    // `--out --json` is a forgotten value, not a directory named --json (write --out=--json for that).
    if (inline === undefined && /^--[a-z]/.test(value) && table.some((o) => o.name === value.slice(2).split('=')[0]))
      throw new UsageError(`option --${spec.name} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}, got the option ${value}`);
    if (spec.kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || value.trim() === '') throw new UsageError(`option --${spec.name} needs a number, got '${value}'`);
      options[spec.name] = n;
    } else if (spec.kind === 'list') {
      options[spec.name] = [...((options[spec.name] as string[] | undefined) ?? []), value];
    } else options[spec.name] = value;
  }
  return { options, positional };
}

/** The option table as help: names in a column of 30, descriptions wrapped to 80 columns. */
export function helpText(usage: string, table: readonly OptionSpec[]): string {
  const COL = 30, WIDTH = 80;
  const rows = table.flatMap((o) => {
    const left = `  ${o.short ? `-${o.short}, ` : ''}--${o.name}${o.kind === 'boolean' ? '' : ` <${o.valueName ?? o.kind}>`}`;
    const lines: string[] = [];
    let line = left.length < COL - 1 ? left.padEnd(COL) : (lines.push(left), ' '.repeat(COL));
    let empty = true;
    for (const word of o.description.split(/\s+/).filter(Boolean)) {
      if (!empty && line.length + 1 + word.length > WIDTH) { lines.push(line); line = ' '.repeat(COL); empty = true; }
      line += (empty ? '' : ' ') + word;
      empty = false;
    }
    lines.push(line);
    return lines;
  });
  return [usage, '', 'Options:', ...rows].join('\n');
}

/** --variant values: repeatable, comma lists allowed, each a known variant, no repeats. */
export function variantList(values: readonly string[] | undefined): VariantName[] | undefined {
  if (values === undefined) return undefined;
  const out: VariantName[] = [];
  for (const n of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    if (!(VARIANTS as readonly string[]).includes(n)) throw new UsageError(`unknown variant '${n}' (known: ${VARIANTS.join(', ')})`);
    if (!out.includes(n as VariantName)) out.push(n as VariantName);
  }
  if (out.length === 0) throw new UsageError('--variant needs at least one variant name');
  return out;
}

/** An integer option: its value, or `dflt` when absent; a usage error below `min`, above `max` or not integral. */
export function intOption(value: unknown, name: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
    throw new UsageError(`--${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}, got ${String(value)}`);
  return value as number;
}

/** `1 run`, `2 runs`: a count with its noun, never "run(s)". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** Node's timers hold 32-bit milliseconds; a longer delay silently becomes 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
