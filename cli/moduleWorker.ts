/**
 * The worker thread side of a module adapter (`conform --impl PATH`): loads the module, finds
 * its SvaAdapter, and serves configure/apply/observe/close calls posted by the main thread
 * (cli/moduleAdapter.ts). Whatever the module does here — throws, never settles, loops, calls
 * process.exit, throws from a timer — ends at most this thread; the main thread keeps its
 * deadline and reports it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { SvaAdapter } from '../vocab/index.ts';
import { describeLoadError } from './loadError.ts';

const port = parentPort!;
const { file, shown } = workerData as { file: string; shown: string };

const isAdapter = (x: unknown): x is SvaAdapter => {
  const a = x as Partial<SvaAdapter> | null;
  return typeof a === 'object' && a !== null && typeof a.name === 'string' && Array.isArray(a.variants)
    && typeof a.configure === 'function' && typeof a.apply === 'function' && typeof a.observe === 'function';
};
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function load(): Promise<SvaAdapter | null> {
  let mod: Record<string, unknown>;
  try { mod = await import(pathToFileURL(file).href) as Record<string, unknown>; } catch (e) {
    port.postMessage({ type: 'load_error', code: 2, message: `cannot load the module: ${describeLoadError(e, shown)}` });
    return null;
  }
  for (const key of ['default', 'adapter', 'createAdapter']) {
    let x = mod[key];
    if (x === undefined) continue;
    if (typeof x === 'function' && !isAdapter(x)) {
      try { x = await (x as () => unknown)(); } catch (e) {
        port.postMessage({ type: 'load_error', code: 3, message: `${key}() threw: ${firstLine(e)}` });
        return null;
      }
    }
    if (isAdapter(x)) return x;
  }
  port.postMessage({ type: 'load_error', code: 2, message: "the module exports no SvaAdapter (as default, 'adapter', or a 'createAdapter' function); see vocab/index.ts SvaAdapter" });
  return null;
}

const adapter = await load();
if (adapter) {
  port.on('message', async (m: { id: number; method: 'configure' | 'apply' | 'observe' | 'close'; args: unknown[] }) => {
    try {
      const fn = adapter[m.method] as ((...a: unknown[]) => unknown) | undefined;
      const value = fn === undefined ? undefined : await fn.apply(adapter, m.args);
      port.postMessage({ id: m.id, ok: true, value });
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, error: firstLine(e) });
    }
  });
  port.postMessage({ type: 'hello', name: String(adapter.name), variants: [...adapter.variants].map(String) });
}
