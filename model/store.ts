/**
 * The visited set: encoded states (W words each) in insertion (= BFS) order, an open-addressing
 * hash table of state indexes, and per state its parent index; shortest counterexamples follow
 * parent links. Memory is the limit on how far the checker gets, so the layout keeps slack small:
 *
 * - States and parent links live in chunks of `chunkStates` states (a power of two, 2^16 by
 *   default): one Uint32Array of chunkStates*W words and one Int32Array of parents per chunk.
 *   A full chunk is never copied or reallocated; a new one is added, so the slack is at most one
 *   chunk. Only the first chunk starts small (FIRST_CHUNK states) and doubles, copying, up to
 *   chunkStates, so a tiny run does not allocate a whole chunk.
 * - The table is a Uint32Array of index+1 (0 = empty), power-of-two sized, linear probing, doubled
 *   when the load exceeds 3/4: 4/0.75..4/0.375 bytes per state. While indexes fit in 25 bits
 *   (33 M states), the top 7 bits of an entry hold a tag from the state's hash, so a probe
 *   passes over most entries of other states without reading their words (each such read is
 *   a cache miss in a large run); past that, the table is rebuilt without tags.
 *
 * So a state costs 4W + 4 bytes plus 5.3..10.7 bytes of table, plus the unfilled part of the last
 * chunk.
 *
 * Chunks live in SharedArrayBuffers, so that a large run can hand the set to a second thread
 * (model/parallel.ts): `snapshot` gives what that thread needs to go on adding states, `adopt`
 * takes it up there (and takes the set back at the end), and `onChunk` tells of every chunk
 * added, for the thread that reads states to find them.
 */
const FIRST_CHUNK = 1 << 8;
const words32 = (n: number): Uint32Array => new Uint32Array(new SharedArrayBuffer(4 * n));
const ints32 = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * n));

/** A visited set as plain data, to go on with it in another thread (see StateStore.adopt). */
export interface StoreSnapshot {
  readonly words: number;
  readonly chunkStates: number;
  readonly chunks: readonly Uint32Array[];
  readonly parents: readonly Int32Array[];
  readonly capacity: number;
  readonly count: number;
  readonly table: Uint32Array;
  readonly tagged: boolean;
}
const FIRST_TABLE = 1 << 9;
/** Bits of a tagged entry that hold index+1; the bits above hold the tag. */
const IDX_BITS = 25;
const IDX_MASK = (1 << IDX_BITS) - 1;

/** The hash of the W words at src[base ..). */
export function hashWords(src: Uint32Array, base: number, W: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < W; i++) {
    h = Math.imul(h ^ src[base + i], 0x01000193);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

export class StateStore {
  private readonly shift: number;
  private readonly within: number;
  private chunks: Uint32Array[];
  private parents: Int32Array[];
  /** States the allocated chunks can hold. */
  private capacity: number;
  private table: Uint32Array = new Uint32Array(FIRST_TABLE);
  private mask = FIRST_TABLE - 1;
  private count = 0;
  /** Whether entries carry tags (while index+1 fits IDX_BITS); the mask of an entry's index+1. */
  private tagged = true;
  private entryMask = IDX_MASK;
  /** Told of each chunk added (its index, states and parents), once the first chunk is full. */
  onChunk: ((c: number, states: Uint32Array, parents: Int32Array) => void) | null = null;

  /** `chunkStates`: states per chunk, a power of two (default 2^16); small values are for tests. */
  constructor(readonly words: number, opts: { chunkStates?: number } = {}) {
    const chunkStates = opts.chunkStates ?? 1 << 16;
    if (!Number.isInteger(chunkStates) || chunkStates < 1 || (chunkStates & (chunkStates - 1)) !== 0)
      throw new RangeError(`chunkStates must be a power of two, got ${chunkStates}`);
    this.shift = Math.log2(chunkStates);
    this.within = chunkStates - 1;
    this.capacity = Math.min(FIRST_CHUNK, chunkStates);
    this.chunks = [words32(this.capacity * words)];
    this.parents = [ints32(this.capacity)];
  }

  /**
   * The set as it stands, to go on with elsewhere (StateStore.adopt). The table is copied, or
   * with `handOver` given as it is (this set must then not be used again: its table may be
   * transferred to another thread).
   */
  snapshot(handOver = false): StoreSnapshot {
    return { words: this.words, chunkStates: this.within + 1, chunks: this.chunks, parents: this.parents, capacity: this.capacity, count: this.count, table: handOver ? this.table : this.table.slice(), tagged: this.tagged };
  }

  /** A set that goes on from a snapshot: the same chunks (shared memory), its own table. */
  static adopt(snap: StoreSnapshot): StateStore {
    const s = new StateStore(snap.words, { chunkStates: snap.chunkStates });
    s.chunks = [...snap.chunks];
    s.parents = [...snap.parents];
    s.capacity = snap.capacity;
    s.count = snap.count;
    s.table = snap.table;
    s.mask = snap.table.length - 1;
    s.tagged = snap.tagged;
    s.entryMask = snap.tagged ? IDX_MASK : 0xffffffff;
    return s;
  }

  /** Number of states stored; their indexes are 0..size-1. */
  get size(): number { return this.count; }

  private hash(src: Uint32Array, base: number): number { return hashWords(src, base, this.words); }

  private equalAt(idx: number, src: Uint32Array): boolean {
    const chunk = this.chunks[idx >>> this.shift];
    const b = (idx & this.within) * this.words;
    for (let i = 0; i < this.words; i++) if (chunk[b + i] !== src[i]) return false;
    return true;
  }

  /** The tag of a hash (bits of it the slot does not use), shifted into place. */
  private tagOf(h: number): number { return this.tagged ? ((h >>> 25) << IDX_BITS) >>> 0 : 0; }

  /** Insert the state in src[0..W); returns the new index, or -(existing index) - 1 when already present. */
  add(src: Uint32Array, parent: number): number {
    const h = this.hash(src, 0), tag = this.tagOf(h), em = this.entryMask, tagged = this.tagged;
    let slot = h & this.mask;
    for (;;) {
      const e = this.table[slot];
      if (e === 0) break;
      if ((!tagged || (e & ~IDX_MASK) >>> 0 === tag) && this.equalAt((e & em) - 1, src)) return -(e & em);
      slot = (slot + 1) & this.mask;
    }
    const idx = this.count++;
    if (idx === this.capacity) this.grow();
    const c = idx >>> this.shift, o = idx & this.within;
    const chunk = this.chunks[c], b = o * this.words;
    for (let i = 0; i < this.words; i++) chunk[b + i] = src[i];
    this.parents[c][o] = parent;
    if (this.tagged && this.count >= IDX_MASK) { this.tagged = false; this.entryMask = 0xffffffff; this.rehash(this.table.length); }
    else if (this.count * 4 > this.table.length * 3) this.rehash(this.table.length * 2);
    else this.table[slot] = (tag | (idx + 1)) >>> 0;
    return idx;
  }

  /** Whether the state in src[0..W) is stored. */
  has(src: Uint32Array): boolean {
    const h = this.hash(src, 0), tag = this.tagOf(h), em = this.entryMask, tagged = this.tagged;
    let slot = h & this.mask;
    for (;;) {
      const e = this.table[slot];
      if (e === 0) return false;
      if ((!tagged || (e & ~IDX_MASK) >>> 0 === tag) && this.equalAt((e & em) - 1, src)) return true;
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * The words of state idx (0 <= idx < size), as a view into its chunk. Stored words never change,
   * so the view stays correct for as long as it is kept (a view taken while the first chunk was
   * still growing holds on to that chunk's older, smaller copy).
   */
  get(idx: number): Uint32Array {
    const b = (idx & this.within) * this.words;
    return this.chunks[idx >>> this.shift].subarray(b, b + this.words);
  }

  /** Copy the words of state idx (0 <= idx < size) into out[offset..offset+W). */
  copy(idx: number, out: Uint32Array, offset = 0): void {
    const chunk = this.chunks[idx >>> this.shift];
    const b = (idx & this.within) * this.words;
    for (let i = 0; i < this.words; i++) out[offset + i] = chunk[b + i];
  }

  /** The parent index of state idx (0 <= idx < size), as given to add. */
  parentOf(idx: number): number { return this.parents[idx >>> this.shift][idx & this.within]; }

  /** Room for one more state: double the first chunk while it is short of a full chunk, else add a chunk. */
  private grow(): void {
    const full = this.within + 1;
    if (this.capacity < full) {
      const cap = Math.min(this.capacity * 2, full);
      const data = words32(cap * this.words); data.set(this.chunks[0]); this.chunks[0] = data;
      const parent = ints32(cap); parent.set(this.parents[0]); this.parents[0] = parent;
      this.capacity = cap;
    } else {
      this.chunks.push(words32(full * this.words));
      this.parents.push(ints32(full));
      this.capacity += full;
      this.onChunk?.(this.chunks.length - 1, this.chunks[this.chunks.length - 1], this.parents[this.parents.length - 1]);
    }
  }

  /** Rebuild the table at `size` slots (every stored state, its entry tagged or not). */
  private rehash(size: number): void {
    const table = new Uint32Array(size);
    const mask = size - 1;
    for (let idx = 0; idx < this.count; idx++) {
      const h = this.hash(this.chunks[idx >>> this.shift], (idx & this.within) * this.words);
      let slot = h & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = (this.tagOf(h) | (idx + 1)) >>> 0;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Bytes allocated for the visited set (state chunks, parent chunks, hash table), all of it. */
  bytesAllocated(): number {
    let n = this.table.byteLength;
    for (let c = 0; c < this.chunks.length; c++) n += this.chunks[c].byteLength + this.parents[c].byteLength;
    return n;
  }

  /** Bytes per stored state with no chunk slack and the table at its fullest (load 3/4). */
  bytesPerStateTight(): number { return 4 * this.words + 4 + 4 / 0.75; }
}

/**
 * The packed states met lately: a direct-mapped cache of 2^bits entries, each holding a state's
 * W words inline. With symmetry and two threads (model/parallel.ts) the explorer asks it of
 * every successor, packed as it is, before sending it: one met lately was sent already, so it
 * is stored, and the set's thread is spared packing it canonically and looking it up again.
 * Sibling states in breadth-first order share many successors (two operations that commute
 * reach one state from either side), so repeated successors are often met again soon. Its
 * memory is fixed (2^bits * (W + 1) words), not per state.
 */
export class RecentStates {
  private readonly entries: Uint32Array;
  private readonly mask: number;
  private readonly stride: number;

  constructor(readonly words: number, bits = 15) {
    this.mask = (1 << bits) - 1;
    this.stride = words + 1;                                             // the words, then 1 when the entry is filled
    this.entries = new Uint32Array((this.mask + 1) * this.stride);
  }

  /** Whether the state in src[0..W) was met lately (it is still in its entry); if not, it takes the entry. */
  seen(src: Uint32Array): boolean {
    const W = this.words, e = this.entries, b = (hashWords(src, 0, W) & this.mask) * this.stride;
    let same = e[b + W] === 1;
    for (let i = 0; same && i < W; i++) same = e[b + i] === src[i];
    if (same) return true;
    for (let i = 0; i < W; i++) e[b + i] = src[i];
    e[b + W] = 1;
    return false;
  }
}
