/**
 * The visited set: encoded states (W words each) in one growing Uint32Array, in insertion
 * (= BFS) order, an open-addressing hash table of state indexes, and per state its parent
 * index and the template that reached it. Shortest counterexamples follow parent links.
 */
export class StateStore {
  private data: Uint32Array;
  private table: Int32Array;
  private mask: number;
  parent: Int32Array;
  via: Int32Array;
  size = 0;

  constructor(readonly words: number, initial = 1 << 12) {
    this.data = new Uint32Array(initial * words);
    this.parent = new Int32Array(initial);
    this.via = new Int32Array(initial);
    this.table = new Int32Array(initial * 2);
    this.mask = initial * 2 - 1;
  }

  private hash(src: Uint32Array, base: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < this.words; i++) {
      h = Math.imul(h ^ src[base + i], 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }

  private equalAt(idx: number, src: Uint32Array): boolean {
    const b = idx * this.words;
    for (let i = 0; i < this.words; i++) if (this.data[b + i] !== src[i]) return false;
    return true;
  }

  /** Insert; returns the new index, or -(existing index) - 1 when already present. */
  add(src: Uint32Array, parent: number, via: number): number {
    let slot = this.hash(src, 0) & this.mask;
    for (;;) {
      const e = this.table[slot];
      if (e === 0) break;
      if (this.equalAt(e - 1, src)) return -e;
      slot = (slot + 1) & this.mask;
    }
    const idx = this.size++;
    if (idx >= this.parent.length) this.grow();
    this.data.set(src, idx * this.words);
    this.parent[idx] = parent;
    this.via[idx] = via;
    if (this.size * 2 > this.table.length) this.rehash();
    else this.table[slot] = idx + 1;
    return idx;
  }

  has(src: Uint32Array): boolean {
    let slot = this.hash(src, 0) & this.mask;
    for (;;) {
      const e = this.table[slot];
      if (e === 0) return false;
      if (this.equalAt(e - 1, src)) return true;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The words of state idx (a view: valid until the next add). */
  get(idx: number): Uint32Array { return this.data.subarray(idx * this.words, (idx + 1) * this.words); }
  get buffer(): Uint32Array { return this.data; }

  private grow(): void {
    const cap = this.parent.length * 2;
    const data = new Uint32Array(cap * this.words); data.set(this.data); this.data = data;
    const parent = new Int32Array(cap); parent.set(this.parent); this.parent = parent;
    const via = new Int32Array(cap); via.set(this.via); this.via = via;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let idx = 0; idx < this.size; idx++) {
      let slot = this.hash(this.data, idx * this.words) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = idx + 1;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Bytes allocated for the visited set (state words, parent links, hash table), all of it. */
  bytesAllocated(): number {
    return this.data.byteLength + this.parent.byteLength + this.via.byteLength + this.table.byteLength;
  }
  /** Bytes per stored state if the arrays were exactly full (words, parent, via, table at load ½). */
  bytesPerStateTight(): number { return 4 * this.words + 4 + 4 + 8; }
}
