/**
 * The command line run in a worker thread (started by bin/svacheck.mjs): output goes back as
 * messages, in order, and the exit code last. The main thread meanwhile receives signals and
 * raises the shared flag (cli/interrupt.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachSignalFlag } from './interrupt.ts';
import { main } from './main.ts';

const port = parentPort!;
const data = workerData as { argv: string[]; cwd: string; progress: boolean; flag: SharedArrayBuffer };
attachSignalFlag(data.flag);
const code = await main(data.argv, {
  out: (text) => port.postMessage({ out: text }),
  err: (text) => port.postMessage({ err: text }),
  progress: data.progress,
  cwd: data.cwd,
});
port.postMessage({ code });
