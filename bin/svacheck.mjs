#!/usr/bin/env node
// Entry point. The command runs in a worker thread, through svacheck's own module hooks
// (bin/hooks.mjs: types stripped, no build step, no install script), so that this thread stays
// free to receive SIGINT/SIGTERM while a search runs synchronously: the first signal raises a
// shared flag the command polls (it stops, prints what it has, and exits 130/143); a second
// one ends the process at once.
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * SIGKILL the implementations this process started (exec:, and what they started, setsid()
 * or not): their environment carries SVACHECK_RUN=<this pid>-... (conformance/protocol/adapter.ts).
 */
function killOurImplementations() {
  let entries = [];
  try { entries = readdirSync('/proc'); } catch { return; }
  const needle = `\0SVACHECK_RUN=${process.pid}-`;
  for (const d of entries) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try { if (`\0${readFileSync(`/proc/${d}/environ`, 'latin1')}`.includes(needle)) process.kill(Number(d), 'SIGKILL'); } catch { /* gone, or not ours */ }
  }
}

// A reader that goes away (`svacheck | head`) ends the run quietly, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
}
const flag = new SharedArrayBuffer(4);
const register = new URL('./register.mjs', import.meta.url).href;
const entry = new URL('../cli/worker.ts', import.meta.url).href;
const worker = new Worker(`import(${JSON.stringify(register)}).then(() => import(${JSON.stringify(entry)}))`, {
  eval: true,
  // progress: periodic lines on stderr for long runs, terminal or not (--no-progress: off)
  workerData: { argv: process.argv.slice(2), cwd: process.cwd(), progress: true, flag },
});
const SIGNALS = { SIGINT: 2, SIGTERM: 15 };
for (const [sig, no] of Object.entries(SIGNALS)) {
  process.on(sig, () => {
    const shared = new Int32Array(flag);
    if (Atomics.load(shared, 0) !== 0) {
      process.stderr.write(`svacheck: ${sig} again: stopping now, without the partial report\n`);
      void worker.terminate().finally(() => { killOurImplementations(); process.exit(128 + no); });
      return;
    }
    Atomics.store(shared, 0, no);
  });
}
let code = null;
worker.on('message', (m) => {
  if (typeof m.out === 'string') process.stdout.write(m.out);
  else if (typeof m.err === 'string') process.stderr.write(m.err);
  else if (typeof m.code === 'number') {
    code = m.code;
    process.exitCode = code;
    // Everything it printed came before this message; what it left running is not waited for.
    void worker.terminate();
  }
});
worker.on('error', (e) => {
  process.stderr.write(`svacheck: internal error: ${String(e?.message ?? e).split('\n')[0]}\n`);
  process.exitCode = 3;
});
worker.on('exit', () => { if (code === null && process.exitCode === undefined) process.exitCode = 3; });
