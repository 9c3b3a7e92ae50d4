#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through svacheck's own module hooks (bin/hooks.mjs:
// types stripped, no build step, no install script).
import './register.mjs';

// A reader that goes away (`svacheck | head`) ends the run quietly, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
}
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: true,   // periodic lines on stderr for long runs, terminal or not (--no-progress: off)
  cwd: process.cwd(),
});
process.exitCode = code;
