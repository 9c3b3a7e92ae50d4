/**
 * svacheck: the thin command line. Parses the subcommand, hands the rest to its module, and
 * turns the returned number into the exit code. 0 all held, 1 a check failed, 2 bad input or
 * usage, 3 the tool or an implementation under test broke.
 */
import { EXIT, type Io } from './io.ts';
import { UsageError } from './args.ts';
import { ascii } from '../conformance/litmus/render.ts';

export interface Command {
  readonly name: string;
  readonly summary: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

/** Each command lives in cli/commands/<name>.ts and exports `command`. */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  report: () => import('./commands/report.ts'),
  litmus: () => import('./commands/litmus.ts'),
  check: () => import('./commands/check.ts'),
  diff: () => import('./commands/diff.ts'),
  walk: () => import('./commands/walk.ts'),
  conform: () => import('./commands/conform.ts'),
  replay: () => import('./commands/replay.ts'),
  mutants: () => import('./commands/mutants.ts'),
  kernel: () => import('./commands/kernel.ts'),
  rules: () => import('./commands/rules.ts'),
  simulate: () => import('./commands/simulate.ts'),
};

const USAGE = `usage: svacheck [command] [options]

With no command, runs the review report on the embedded default setup.
Commands: ${Object.keys(COMMANDS).join(', ')}.
Run 'svacheck <command> --help' for its options.

Every command: --progress / --no-progress force progress lines on stderr on or
off. By default a run that takes more than a few seconds prints a line every few
seconds to stderr, also when stderr is a file or a CI log.`;

export async function main(argvIn: readonly string[], ioIn: Io): Promise<number> {
  // --progress / --no-progress, anywhere on the line, for every command: force progress lines
  // on stderr on or off (default: the caller's choice; the svacheck binary prints them).
  const flag = argvIn.filter((a) => a === '--progress' || a === '--no-progress').at(-1);
  const argv = argvIn.filter((a) => a !== '--progress' && a !== '--no-progress');
  // Everything svacheck prints is plain ASCII (arrows and dashes spelled -> and -), so it
  // survives a mail client and any terminal.
  const io: Io = { out: (t) => ioIn.out(ascii(t)), err: (t) => ioIn.err(ascii(t)), cwd: ioIn.cwd, progress: flag === undefined ? ioIn.progress : flag === '--progress' };
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') { io.out(USAGE + '\n'); return EXIT.OK; }
  if (first === '--version') { io.out(`svacheck ${await version()}\n`); return EXIT.OK; }
  const name = first === undefined || first.startsWith('-') ? 'report' : first;
  const args = name === first ? rest : argv;
  const load = COMMANDS[name];
  if (!load) { io.err(`svacheck: unknown command '${name}'\n${USAGE}\n`); return EXIT.USAGE; }
  let mod: { command: Command };
  try { mod = await load(); } catch (e) {
    io.err(`svacheck: command '${name}' is not available in this build (${(e as Error).message.split('\n')[0]})\n`);
    return EXIT.BROKE;
  }
  try {
    return await mod.command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) { io.err(`svacheck ${name}: ${e.message}\n`); return EXIT.USAGE; }
    io.err(`svacheck ${name}: internal error: ${(e as Error).message}\n`);
    return EXIT.BROKE;
  }
}

export async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
