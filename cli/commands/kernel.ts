/**
 * `svacheck kernel --tree DIR --variant V`: the kernel tree's own drivers/iommu/iommu-sva.c,
 * unmodified, built in userspace against svacheck's shim (kernel/), and held to the spec of
 * the rules it claims: (1) the litmus library, (2) seeded random runs on fixed and random
 * setups, shrunk to litmus files, (3) every allocation of every operation failed once, with
 * the spec saying what the failure must leave (conformance/failnth.ts). Exit 0 all held, 1 a
 * check failed, 2 bad usage or a tree that is not there, 3 the build failed or the built
 * program broke.
 */
import path from 'node:path';
import { DEFAULT_MAX_STEPS } from '../../conformance/check.ts';
import type { FailNthReport } from '../../conformance/failnth.ts';
import { openExecAdapter } from '../../conformance/protocol/index.ts';
import { buildKernelHarness } from '../../kernel/build.ts';
import { readKernelTree } from '../../kernel/tree.ts';
import type { VariantName } from '../../vocab/index.ts';
import { helpText, parseArgs, UsageError, variantList, type OptionSpec } from '../args.ts';
import { EXIT, type Io } from '../io.ts';
import type { Command } from '../main.ts';
import { shq } from '../shell.ts';
import { conformJson, loadSetups, renderConform, reopenExec, runConform, runOptions } from './conform.ts';
import { failNthJson, renderFailNth, runFailNth } from '../failnth.ts';

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'tree', kind: 'string', valueName: 'dir', description: 'the top of a kernel tree: drivers/iommu/iommu-sva.c and include/linux/iommu.h are read from it' },
  { name: 'variant', kind: 'list', valueName: 'name', description: 'the rules the tree claims (upstream, v1, v2, per-device); default: v2 if the tree has iommu_sva_bind_device_pasid, else upstream' },
  { name: 'runs', kind: 'number', valueName: 'n', description: 'random runs per variant and setup (default 100)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'seed of the random runs (default: a fresh one, printed)' },
  { name: 'path', kind: 'string', valueName: 'p', description: 'fast-check replay path: with --seed, go straight to a printed counterexample' },
  { name: 'max-steps', kind: 'number', valueName: 'n', description: `most operations per random run (default ${DEFAULT_MAX_STEPS})` },
  { name: 'setups', kind: 'list', valueName: 'kind', description: "setups of the random runs: seed, bundled, random (default: all three)" },
  { name: 'config', kind: 'list', valueName: 'yaml', description: 'more setups: a model config YAML or a bundled name' },
  { name: 'litmus', kind: 'list', valueName: 'path', description: 'extra litmus files or directories to run on the built program' },
  { name: 'no-library', kind: 'boolean', description: 'do not run the bundled litmus library' },
  { name: 'fail-nth', kind: 'boolean', description: 'fail every fallible call of every operation once (the default)' },
  { name: 'no-fail-nth', kind: 'boolean', description: 'skip the fail-nth sweep' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'where shrunk failures are written as litmus files (default .svacheck-out/kernel)' },
  { name: 'timeout', kind: 'number', valueName: 'ms', description: 'deadline of each response of the built program (default 5000)' },
  { name: 'no-pipeline', kind: 'boolean', description: 'send the built program one request per line, waiting for each answer (by default each random run goes out ahead in batch lines and is checked step by step with the same verdicts, as conform does)' },
  { name: 'json', kind: 'boolean', description: 'print the stable JSON form instead of text' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: svacheck kernel --tree DIR [--variant V] [options]

Builds DIR/drivers/iommu/iommu-sva.c, unmodified, with the system C compiler against
svacheck's userspace kernel shim, and checks it against the spec: the litmus library,
seeded random runs on fixed and random setups, and every allocation failed once (fail-nth)
with the spec as the oracle of what a failure leaves. The build is cached by content hash
(~/.cache/svacheck, or $SVACHECK_CACHE). How each kernel function is modelled: docs/kernel.md.`;

export const command: Command = {
  name: 'kernel',
  summary: "check a kernel tree's own iommu-sva.c against the spec",
  async run(argv, io) {
    const { options, positional } = parseArgs(OPTIONS, argv);
    if (options.help) { io.out(helpText(USAGE, OPTIONS) + '\n'); return EXIT.OK; }
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}' (the tree is given with --tree)`);
    const treeArg = options.tree as string | undefined;
    if (!treeArg) throw new UsageError('--tree is required: the top of a kernel tree (with drivers/iommu/iommu-sva.c)');
    if (options['fail-nth'] && options['no-fail-nth']) throw new UsageError('--fail-nth and --no-fail-nth contradict each other');
    const { runs, maxSteps, seed, timeoutMs, path: fcPath } = runOptions(options);
    const failNth = !options['no-fail-nth'];
    const setups = loadSetups(options.config as string[] | undefined, (options.setups as string[] | undefined) ?? ['seed', 'bundled', 'random'], io.cwd);
    const out = path.resolve(io.cwd, (options.out as string | undefined) ?? '.svacheck-out/kernel');

    const read = await readKernelTree(path.resolve(io.cwd, treeArg));
    if (!read.ok) throw new UsageError(`--tree ${treeArg}: ${read.problem.path}: ${read.problem.message}`);
    const tree = read.tree;
    const variants: VariantName[] = variantList(options.variant as string[] | undefined) ?? [tree.features.bindPasid ? 'v2' : 'upstream'];
    const inferred = options.variant === undefined;

    const built = await buildKernelHarness(tree);
    if (!built.ok) {
      const lines = [built.headline + (built.details.length > 0 ? ':' : ''), ...built.details.map((l) => `  ${l}`)];
      if (options.json) io.out(JSON.stringify({ version: 1, tree: tree.dir, exit: EXIT.BROKE, build: { ok: false, message: lines } }, null, 2) + '\n');
      else io.out([...lines, '', `Verdict: the build failed (exit ${EXIT.BROKE})`].join('\n') + '\n');
      return EXIT.BROKE;
    }
    const impl = `exec:${shq(built.program)} ${variants.map((v) => `--variant ${v}`).join(' ')}`;
    const opened = await openExecAdapter(impl, { cwd: io.cwd, requestTimeoutMs: timeoutMs });
    if (!opened.ok) {
      io.out([`The built program broke before the first check (${built.program}).`, opened.usage ?? opened.failure?.detail ?? '', '', `Verdict: the implementation under test broke (exit ${EXIT.BROKE})`].join('\n') + '\n');
      return EXIT.BROKE;
    }
    const exec = opened.adapter;
    try {
      const header = [
        `svacheck kernel: ${tree.sourceFile}`,
        `  built against svacheck's kernel shim (build ${built.hash}${built.cached ? ', cached' : ''})`,
        `  the tree ${tree.features.bindPasid ? 'has' : 'has no'} iommu_sva_bind_device_pasid; iommu_mm_data ${tree.features.pasidGlobal ? 'has' : 'has no'} pasid_global`,
        `  variant${variants.length > 1 ? 's' : ''}: ${variants.join(', ')}${inferred ? ' (inferred from the tree; say --variant to claim others)' : ''}`,
        '',
      ];
      const replayBase = ['npx', 'svacheck', 'kernel', '--tree', shq(treeArg), '--no-fail-nth'];
      const result = await runConform({
        impl, variants, runs, seed, path: fcPath, maxSteps, setups,
        litmus: (options.litmus as string[] | undefined) ?? [], library: !options['no-library'], out,
        timeoutMs, stderrIsError: false, replayBase, pipeline: !options['no-pipeline'],
        reopen: () => reopenExec(impl, io.cwd, { requestTimeoutMs: timeoutMs }),
      }, exec, exec, io);

      let sweeps: FailNthReport[] = [];
      if (failNth && !exec.failed && runs > 0) {
        if (!exec.capabilities.fail_nth || !exec.capabilities.leaks) throw new Error('the built program does not announce the fail_nth and leaks capabilities');
        sweeps = await runFailNth(exec, variants, setups, runs, seed, maxSteps, io);
      }
      const sweepFailed = sweeps.some((s) => s.failed > 0);
      const sweepBroke = sweeps.some((s) => s.broke !== null) || exec.failed !== null;
      const code = Math.max(result.code, sweepBroke ? EXIT.BROKE : sweepFailed ? EXIT.FAILED : EXIT.OK) as 0 | 1 | 2 | 3;
      if (options.json) {
        io.out(JSON.stringify({ ...(conformJson({ ...result, code }) as object), tree: tree.dir, build: { ok: true, hash: built.hash, cached: built.cached }, failNth: failNth ? sweeps.map(failNthJson) : null }, null, 2) + '\n');
        return code;
      }
      const conformLines = renderConform({ ...result, code });
      const verdict = conformLines.pop()!;
      const replay = { base: ['npx', 'svacheck', 'kernel', '--tree', shq(treeArg)], seed, runs, maxSteps, setups: setups.flatMap((x) => x.args) };
      const tail = failNth ? sweeps.flatMap((s) => [...renderFailNth(s, replay), '']) : ['fail-nth: skipped (--no-fail-nth)', ''];
      io.out([...header, ...conformLines, ...tail, verdict].join('\n') + '\n');
      return code;
    } finally {
      await exec.close();
    }
  },
};
