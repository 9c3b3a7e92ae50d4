/**
 * svacheck replay FILE [--variant V]: walk a litmus file (a counterexample, a shrunk failure,
 * a scenario) step by step against the spec and explain each step: the result, what the file
 * expected, the rule that decided it (with its statement), and the mm PASIDs and bonds after.
 */
import { readInputFile } from '../../vocab/files.ts';
import { resolve } from 'node:path';
import { formatOp, formatResult, sameResult } from '../../vocab/index.ts';
import { ContractError, RULE_BY_ID, SpecDriver, VARIANT_BY_NAME } from '../../spec/index.ts';
import { bundledPath, expectationFor, parseLitmus, variantsOf } from '../../conformance/litmus/index.ts';
import { helpText, parseArgs, UsageError, type OptionSpec } from '../args.ts';
import { variantArgs } from '../variants.ts';
import { EXIT, type Io } from '../io.ts';
import { para } from '../../report/render.ts';
import type { Command } from '../main.ts';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'variant', kind: 'list', valueName: 'name|file', description: 'replay in this variant only (repeatable; a name or a design file); default: the file\'s variants' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const REPLAY_USAGE = `usage: svacheck replay FILE [--variant NAME]

Walks a litmus file step by step against the spec: each step's result, what the
file expected, the rules that decided it (svacheck rules ID explains an id) and
the state after it. FILE is a path, or the name of a bundled scenario.`;

function stateLine(d: SpecDriver): string {
  const obs = d.observe([]);
  const mms = obs.mms.filter((m) => m.state !== 'live' || m.pasid !== null)
    .map((m) => `${m.mm}:${m.state === 'live' ? '' : `${m.state},`}${m.pasid === null ? '-' : `${m.pasid}${m.global ? 'g' : 'l'}`}`);
  const bonds = obs.bonds.map((b) => `${b.mm}@${b.dev}/${b.pasid}x${b.users}`);
  const kern = obs.attaches.map((a) => `kernel@${a.dev}/${a.pasid}`);
  // ioasid-2020's sets: name, quota and the ids held (spec state: no observation carries sets).
  const sets = (d.state.ioasidSets ?? []).map((s, i) => `${d.cfg.ioasid.sets[i].name}:${s.held.join(',') || '-'}/${s.quota}`);
  return `mms[${mms.join(' ')}] bonds[${[...bonds, ...kern].join(' ')}] global[${obs.globalPasids.join(',')}]${sets.length ? ` sets[${sets.join(' ')}]` : ''}`;
}

export const command: Command = {
  name: 'replay',
  summary: 'explain a litmus file step by step against the spec',
  async run(argv, io: Io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(REPLAY_USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (positional.length !== 1) throw new UsageError('replay takes exactly one litmus file');
    const only = await variantArgs(options.variant as string[] | undefined, io.cwd);
    const file = positional[0];
    let read = readInputFile(resolve(io.cwd, file));
    if (!read.ok && read.reason === 'cannot read: ENOENT') {
      // Not a file here: a bundled scenario named by its name (what the report prints).
      const bundled = bundledPath(file);
      if (bundled !== null) read = readInputFile(bundled);
    }
    if (!read.ok) { io.err(`${file}: ${read.reason}\n`); return EXIT.USAGE; }
    const parsed = parseLitmus(read.text, file);
    if (!parsed.ok) {
      for (const e of parsed.errors) io.err(`${e.file}${e.line ? `:${e.line}` : ''}${e.step ? ` step ${e.step}` : ''}: ${e.reason}\n`);
      return EXIT.USAGE;
    }
    const { doc, stepLines } = parsed.litmus;
    let code: number = EXIT.OK;
    const runs = variantsOf(parsed.litmus, only);
    if (runs.length === 0) {
      io.err(`${file}: nothing to replay: the file does not run ${only?.map((v) => v.name).join(', ') ?? 'any variant'} (it runs: ${variantsOf(parsed.litmus).map((v) => v.name).join(', ') || 'none'})\n`);
      return EXIT.USAGE;
    }
    for (const variant of runs) {
      io.out(`${doc.name} in ${variant.name}\n`);
      const driver = new SpecDriver(doc.setup, variant);
      for (const [i, s] of doc.steps.entries()) {
        const handle = s.op.op === 'unbind' || s.op.op === 'get_pasid' ? s.op.handle : null;
        if (handle !== null && !driver.isLive(handle) && driver.breach(s.op)?.reason.startsWith('unknown handle')) {
          io.out(`  ${String(i + 1).padStart(2)}. ${formatOp(s.op)}  (skipped: its bind did not succeed)\n`);
          continue;
        }
        let applied;
        try { applied = driver.apply(s.op); } catch (e) {
          if (!(e instanceof ContractError)) throw e;
          io.out(`  ${String(i + 1).padStart(2)}. ${formatOp(s.op)}  breaks the caller contract: ${e.breach.reason}\n`);
          io.err(`${file}:${stepLines[i]} step ${i + 1}: ${e.breach.reason} (caller contract ${e.breach.rule})\n`);
          return EXIT.USAGE;
        }
        const want = expectationFor(s.expect, variant);
        const got = formatResult(applied.result);
        const ok = want === 'any' || (want === undefined ? applied.result.kind !== 'errno' : sameResult(want, applied.result));
        if (!ok) code = EXIT.FAILED;
        const expected = want === undefined ? '' : want === 'any' ? ' (any)' : ` (expected ${formatResult(want)}${ok ? '' : ' -- DIFFERS'})`;
        // Within 80 columns, so a replay can be pasted into a mail like the report.
        const say = (first: string, text: string, rest: string) => io.out(para(first, text, rest).join('\n') + '\n');
        say(`  ${String(i + 1).padStart(2)}. `, `${formatOp(s.op)} -> ${got}${expected}`, '        ');
        for (const id of [applied.rule, ...applied.effects]) say(`      ${id}: `, RULE_BY_ID.get(id)?.statement ?? '?', '        ');
        say('      ', stateLine(driver), '        ');
        for (const v of driver.invariants()) say('      ', `invariant ${v.invariant} (${v.rule}) broken: ${v.reason}`, '        ');
      }
    }
    return code;
  },
};
