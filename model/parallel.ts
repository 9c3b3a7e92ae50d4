/**
 * The visited set on a second thread, for large runs on a machine with two cores or more: the
 * explorer's thread expands states and sends each successor (its packed words and its parent)
 * down a ring in shared memory; the set's thread (visitedWorker.ts) adds them, in the order
 * sent, to the StateStore handed over to it. States get the indexes a single thread would give
 * them, in the same order, so distinct-state counts, parent links and shortest traces are
 * those of a single-threaded run. The explorer reads a state to expand from the set's chunks
 * (shared memory), once the set has published that it holds it.
 *
 * What the explorer gives up is knowing, when it sends a successor, whether it is new: a
 * state's `newState` hook runs when the state is expanded (explore.ts), not when it is added.
 *
 * Control words (Int32Array on a SharedArrayBuffer):
 * - SENT: successors written to the ring by the explorer (published every BATCH, and before
 *   any wait);
 * - TAKEN: successors the set has added (the ring slots it has freed);
 * - SIZE: states the set holds (published before TAKEN, so TAKEN = SENT means SIZE is final);
 * - PHASE: RUNNING, FINISH (the explorer sent all), DONE (the set handed itself back), FAILED;
 * - SET_WAITS, EXPLORER_WAITS: 1 while that side sleeps in Atomics.wait. A side wakes the other
 *   only then (a wake is a system call, and on a busy machine a switch to the woken thread),
 *   and each looks once more after raising its flag, so no wake is lost (the waits also time
 *   out, after 20 ms).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Space } from './space.ts';
import { StateStore, type StoreSnapshot } from './store.ts';

export const SENT = 0, TAKEN = 1, SIZE = 2, PHASE = 3, SET_WAITS = 4, EXPLORER_WAITS = 5;
export const RUNNING = 0, FINISH = 1, DONE = 2, FAILED = 3;
/** Ring slots (successors in flight), and successors sent between two publications of SENT. */
export const RING = 1 << 16;
const BATCH = 256;
/** How long a wait on the set's thread may go without any progress before the run is given up. */
const STALL_MS = 60_000;

/** What the set's thread is started with. */
export interface VisitedWorkerData {
  readonly control: Int32Array;
  readonly ring: Uint32Array;
  readonly port: MessagePort;
  readonly snapshot: StoreSnapshot;
  /**
   * With symmetry, the space: successors come packed as they are (Packer `identity`), and the
   * set's thread packs each canonically before adding it, work the explorer's thread is spared.
   */
  readonly space: Space | null;
}

export class VisitedSetThreadError extends Error { override name = 'VisitedSetThreadError'; }

/** The explorer's side: sends successors, reads states, takes the set back at the end. */
export class SharedVisitedSet {
  private readonly control: Int32Array;
  private readonly ring: Uint32Array;
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly chunks: Uint32Array[];
  private readonly parents: Int32Array[];
  private readonly shift: number;
  private readonly within: number;
  private sent = 0;
  /** Successors the set had taken when last looked at, and states it held. */
  private taken = 0;
  private known: number;

  /** `space`: given (with symmetry), successors are sent packed as they are and canonicalised by the set's thread. */
  constructor(store: StateStore, private readonly words: number, space: Space | null = null) {
    const snapshot = store.snapshot();
    this.control = new Int32Array(new SharedArrayBuffer(32));
    this.ring = new Uint32Array(new SharedArrayBuffer(4 * RING * (words + 1)));
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.chunks = [...snapshot.chunks];
    this.parents = [...snapshot.parents];
    this.shift = Math.log2(snapshot.chunkStates);
    this.within = snapshot.chunkStates - 1;
    this.known = snapshot.count;
    Atomics.store(this.control, SIZE, snapshot.count);
    const register = new URL('../bin/register.mjs', import.meta.url).href;
    const entry = new URL('./visitedWorker.ts', import.meta.url).href;
    const data: VisitedWorkerData = { control: this.control, ring: this.ring, port: channel.port2, snapshot, space };
    // A thread that cannot even load its module says so the way visitedWorker.ts does (FAILED).
    const start = `const { workerData } = require('node:worker_threads');
      import(${JSON.stringify(register)}).then(() => import(${JSON.stringify(entry)})).catch((e) => {
        workerData.port.postMessage({ error: String(e && e.stack || e) });
        Atomics.store(workerData.control, ${PHASE}, ${FAILED});
        Atomics.notify(workerData.control, ${TAKEN});
      });`;
    this.worker = new Worker(start, { eval: true, workerData: data, transferList: [channel.port2] });
    this.worker.unref();
  }

  /** Send the successor in src[0..W) of state `parent` to the set. */
  send(src: Uint32Array, parent: number): void {
    if (this.sent - this.taken === RING) this.waitTaken(this.sent - RING + 1);
    const W = this.words, b = (this.sent & (RING - 1)) * (W + 1), ring = this.ring;
    for (let i = 0; i < W; i++) ring[b + i] = src[i];
    ring[b + W] = parent;
    if ((++this.sent & (BATCH - 1)) === 0) this.publish();
  }

  /**
   * Whether the set holds state idx, waiting for it to add what was sent when it may still
   * come: false only when every successor sent is added and the set holds fewer states.
   */
  holds(idx: number): boolean {
    if (idx < this.known) return true;
    this.known = Atomics.load(this.control, SIZE);
    if (idx < this.known) return true;
    this.waitTaken(this.sent);
    this.known = Atomics.load(this.control, SIZE);
    return idx < this.known;
  }

  /** States the set holds once everything sent is added (a level's end: see explore). */
  settledSize(): number {
    this.waitTaken(this.sent);
    return (this.known = Atomics.load(this.control, SIZE));
  }

  /** Copy the words of state idx (which the set holds: see holds) into out. */
  copy(idx: number, out: Uint32Array): void {
    const chunk = this.chunk(idx >>> this.shift), b = (idx & this.within) * this.words;
    for (let i = 0; i < this.words; i++) out[i] = chunk[b + i];
  }

  /** Everything sent is added: take the set back as a StateStore (the thread ends). */
  finish(): StateStore {
    this.publish(true);
    Atomics.store(this.control, PHASE, FINISH);
    Atomics.notify(this.control, SENT);
    this.wait(() => Atomics.load(this.control, PHASE) === DONE, 'to hand the visited set back');
    let snapshot: StoreSnapshot | null = null;
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as { final?: StoreSnapshot };
      if (msg.final) snapshot = msg.final;
    }
    this.port.close();
    if (snapshot === null) throw new VisitedSetThreadError('the visited set\'s thread ended without handing the set back');
    return StateStore.adopt(snapshot);
  }

  /** Stop the set's thread without taking the set back (a run that ends early or broke). */
  abandon(): void {
    Atomics.store(this.control, PHASE, FINISH);
    Atomics.notify(this.control, SENT);
    void this.worker.terminate();
    this.port.close();
  }

  /**
   * Publish SENT; wake the set's thread if it sleeps and `now`, or once a quarter of the ring
   * waits for it (it wakes by itself every 20 ms: waking it for every batch would cost a
   * system call per batch).
   */
  private publish(now = false): void {
    Atomics.store(this.control, SENT, this.sent);
    if (Atomics.load(this.control, SET_WAITS) !== 1) return;
    if (now || this.sent - Atomics.load(this.control, TAKEN) >= RING / 4) Atomics.notify(this.control, SENT);
  }

  /** Wait until the set has taken at least n successors. */
  private waitTaken(n: number): void {
    this.publish(true);
    if (this.taken >= n) return;
    this.wait(() => (this.taken = Atomics.load(this.control, TAKEN)) >= n, 'to add the states sent to it');
  }

  private wait(done: () => boolean, what: string): void {
    let last = Atomics.load(this.control, TAKEN), since = performance.now();
    while (!done()) {
      if (Atomics.load(this.control, PHASE) === FAILED) throw new VisitedSetThreadError(`the visited set's thread failed: ${this.failure()}`);
      Atomics.store(this.control, EXPLORER_WAITS, 1);
      if (!done()) Atomics.wait(this.control, TAKEN, last, 20);
      Atomics.store(this.control, EXPLORER_WAITS, 0);
      const now = Atomics.load(this.control, TAKEN);
      if (now !== last) { last = now; since = performance.now(); }
      else if (performance.now() - since > STALL_MS) throw new VisitedSetThreadError(`the visited set's thread made no progress for ${STALL_MS / 1000} s waiting ${what}`);
    }
  }

  private failure(): string {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as { error?: string };
      if (msg.error) return msg.error;
    }
    return 'no message';
  }

  /** Chunk c, taking the news of the chunks the set added since last asked. */
  private chunk(c: number): Uint32Array {
    while (this.chunks[c] === undefined) {
      const m = receiveMessageOnPort(this.port);
      if (m === undefined) throw new VisitedSetThreadError(`state chunk ${c} was never announced by the visited set's thread`);
      const msg = m.message as { chunk?: number; states?: Uint32Array; parents?: Int32Array; error?: string };
      if (msg.error) throw new VisitedSetThreadError(`the visited set's thread failed: ${msg.error}`);
      if (msg.chunk !== undefined) { this.chunks[msg.chunk] = msg.states!; this.parents[msg.chunk] = msg.parents!; }
    }
    return this.chunks[c];
  }
}
