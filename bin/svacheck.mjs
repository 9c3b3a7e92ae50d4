#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx's loader (no build step needed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
});
process.exitCode = code;
