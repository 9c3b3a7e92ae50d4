// The visited set: indexes, duplicates, words and parents across chunk boundaries, and its memory bound.
import { describe, expect, it } from 'vitest';
import { rng } from '../vocab/random.ts';
import { RecentStates, StateStore, hashWords } from './store.ts';

const key = (s: Uint32Array): string => Array.from(s).join(',');

describe('StateStore', () => {
  // chunkStates 8: many chunk boundaries; 1024: the first chunk grows 256 -> 1024 before chunk 2.
  it.each([8, 1024])('keeps words, parents and indexes across chunks and rehashes (chunkStates %i)', (chunkStates) => {
    const W = 4;
    const rand = rng(20260525);
    const store = new StateStore(W, { chunkStates });
    const seen = new Map<string, number>();
    const stored: Uint32Array[] = [];
    const parents: number[] = [];
    const views: Uint32Array[] = [];
    let dups = 0;
    for (let n = 0; n < 3000; n++) {
      const s = stored.length > 0 && rand() < 0.3
        ? stored[Math.floor(rand() * stored.length)].slice()
        : Uint32Array.from({ length: W }, () => Math.floor(rand() * 16) * 0x10001 + (rand() < 0.1 ? 0x80000000 : 0));
      const parent = stored.length === 0 ? -1 : Math.floor(rand() * stored.length);
      const old = seen.get(key(s));
      const r = store.add(s, parent);
      if (old !== undefined) {
        dups++;
        expect(r).toBe(-old - 1);
      } else {
        expect(r).toBe(stored.length);
        seen.set(key(s), r);
        stored.push(s);
        parents.push(parent);
        views.push(store.get(r));
      }
      expect(store.size).toBe(stored.length);
    }
    expect(dups).toBeGreaterThan(500);
    expect(stored.length).toBeGreaterThan(1000);

    const out = new Uint32Array(W + 3).fill(7);
    for (let i = 0; i < stored.length; i++) {
      expect(store.get(i)).toEqual(stored[i]);
      expect(views[i]).toEqual(stored[i]);
      store.copy(i, out, 2);
      expect(Array.from(out)).toEqual([7, 7, ...stored[i], 7]);
      expect(store.parentOf(i)).toBe(parents[i]);
      expect(store.has(stored[i])).toBe(true);
    }
    for (let n = 0; n < 2000; n++) {
      const s = Uint32Array.from({ length: W }, () => Math.floor(rand() * 20) * 0x10001);
      expect(store.has(s)).toBe(seen.has(key(s)));
    }
  });

  it('rejects a chunk size that is not a power of two', () => {
    expect(() => new StateStore(2, { chunkStates: 12 })).toThrow(RangeError);
    expect(() => new StateStore(2, { chunkStates: 0 })).toThrow(RangeError);
  });

  it('a tiny run allocates far less than one full chunk', () => {
    const W = 6;
    const store = new StateStore(W);
    for (let i = 0; i < 100; i++) store.add(Uint32Array.of(i, 1, 2, 3, 4, 5), i - 1);
    expect(store.bytesAllocated()).toBeLessThan(16 * 1024);
  });

  it('stays under 64 bytes per state: chunk slack at most one chunk, table load at least 3/8', () => {
    const W = 6, N = 200_000, chunkStates = 1 << 16;
    const rand = rng(7);
    const store = new StateStore(W);
    const s = new Uint32Array(W);
    const sample = new Map<number, number[]>();
    let wrongIndex = 0;
    for (let i = 0; i < N; i++) {
      s[0] = i;
      for (let k = 1; k < W; k++) s[k] = (rand() * 2 ** 32) >>> 0;
      if (store.add(s, i - 1) !== i) wrongIndex++;
      if (i % 997 === 0) sample.set(i, Array.from(s));
    }
    expect(wrongIndex).toBe(0);
    expect(store.size).toBe(N);
    for (const [i, words] of sample) {
      expect(Array.from(store.get(i))).toEqual(words);
      expect(store.parentOf(i)).toBe(i - 1);
    }
    // Design bound: (4W + 4) bytes for every state slot in the chunks, at most one chunk unfilled,
    // plus a table of fewer than 2N/0.75 four-byte slots (it doubles only once the load passes 3/4).
    const bound = (4 * W + 4) * (N + chunkStates) + 4 * (2 * N / 0.75);
    const perState = store.bytesAllocated() / store.size;
    expect(store.bytesAllocated()).toBeLessThanOrEqual(bound);
    expect(perState).toBeLessThan(64);
    expect(perState).toBeGreaterThanOrEqual(store.bytesPerStateTight());
  });
});

describe('RecentStates: the states met lately', () => {
  it('answers seen for a state met before while it keeps its entry, and for no other', () => {
    const recent = new RecentStates(2, 4);                               // 16 entries: states evict each other
    const a = Uint32Array.of(1, 2), zero = Uint32Array.of(0, 0);
    expect(recent.seen(zero)).toBe(false);                               // an empty entry holds no state, not even all-zero words
    expect(recent.seen(zero)).toBe(true);
    expect(recent.seen(a)).toBe(false);
    expect(recent.seen(a)).toBe(true);
    // A state whose hash falls on a's entry takes its place: a is no longer seen, and is put back.
    let c = Uint32Array.of(7, 0);
    while ((hashWords(c, 0, 2) & 15) !== (hashWords(a, 0, 2) & 15)) c = Uint32Array.of(7, c[1] + 1);
    expect(recent.seen(c)).toBe(false);
    expect(recent.seen(a)).toBe(false);
    expect(recent.seen(a)).toBe(true);
  });
});
