/**
 * The visited set's thread (see parallel.ts): adds the successors the explorer sends, in the
 * order sent, to the StateStore handed over to it; announces each chunk it adds, publishes how
 * many states it holds, and at the end hands the set back.
 */
import { workerData } from 'node:worker_threads';
import { DONE, EXPLORER_WAITS, FAILED, FINISH, PHASE, RING, SENT, SET_WAITS, SIZE, TAKEN, type VisitedWorkerData } from './parallel.ts';
import { Packer } from './space.ts';
import { StateStore } from './store.ts';

const { control, ring, port, snapshot, space } = workerData as VisitedWorkerData;
try {
  const store = StateStore.adopt(snapshot);
  store.onChunk = (chunk, states, parents) => port.postMessage({ chunk, states, parents });
  const W = snapshot.words, src = new Uint32Array(W), canonical = new Uint32Array(W);
  // With symmetry, successors come packed as they are: unpacked and packed canonically here.
  const packer = space === null ? null : new Packer(space), flat = space === null ? null : new Int32Array(space.arity * space.layout.n);
  let taken = 0;
  for (;;) {
    const sent = Atomics.load(control, SENT);
    if (sent === taken) {
      if (Atomics.load(control, PHASE) === FINISH && Atomics.load(control, SENT) === taken) break;
      Atomics.store(control, SET_WAITS, 1);
      if (Atomics.load(control, SENT) === taken && Atomics.load(control, PHASE) !== FINISH) Atomics.wait(control, SENT, sent, 20);
      Atomics.store(control, SET_WAITS, 0);
      continue;
    }
    for (; taken < sent; taken++) {
      const b = (taken & (RING - 1)) * (W + 1);
      for (let i = 0; i < W; i++) src[i] = ring[b + i];
      if (packer === null) store.add(src, ring[b + W]);
      else { packer.unpack(src, 0, flat!); packer.pack(flat!, canonical); store.add(canonical, ring[b + W]); }
    }
    Atomics.store(control, SIZE, store.size);                             // before TAKEN: see parallel.ts
    Atomics.store(control, TAKEN, taken);
    if (Atomics.load(control, EXPLORER_WAITS) === 1) Atomics.notify(control, TAKEN);
  }
  const final = store.snapshot(true);
  port.postMessage({ final }, [final.table.buffer as ArrayBuffer]);
  Atomics.store(control, PHASE, DONE);
} catch (e) {
  port.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  Atomics.store(control, PHASE, FAILED);
}
Atomics.notify(control, TAKEN);
port.close();
