/**
 * An id allocator shaped like the kernel's IDA (lib/idr.c) as the IOMMU core uses it:
 * `ida_alloc_range(ida, min, max)` hands out the LOWEST free id in [min, max].
 *
 * Representation: a hierarchical bitmap of 32-bit words. Level 0 has one bit per id (1 = held);
 * a bit of level k+1 is set exactly when the corresponding 32-bit word of level k is full.
 * The top level is a single word. For 2^20 ids that is at most 32768 + 1024 + 32 + 1 words (~135 KiB).
 *
 * Finding the lowest free id walks down from the top word, taking the lowest clear bit at each
 * level: O(levels) = O(log32 n), 4 steps for a 20-bit space, independent of how many ids are
 * held. Set/clear walk up at most the same number of levels.
 *
 * A level's words are allocated as ids are set, not up front: a word past the end of its array
 * reads as 0 (all free). A fresh 2^20-id space then costs a few words, not 128 KiB zeroed per
 * IommuSvaCore: the conformance loop configures one per random sequence, and that allocation
 * was the largest single cost of a sequence. The lowest ids are the ones handed out, so the
 * arrays stay small.
 */

const WORD = 32;

/** Index (0..31) of the lowest clear bit of a 32-bit word that is not full. */
function lowestClearBit(w: number): number {
  // ~w & (w + 1) isolates the lowest zero bit of w. `w + 1` may reach 2^32 only when w is full,
  // which callers exclude; ToInt32 of the result keeps bit 31 as the sign bit, and clz32 reads
  // it back as unsigned, so bit 31 correctly yields 31.
  return 31 - Math.clz32(~w & (w + 1));
}

const FULL = 0xffffffff;
/**
 * Words a level starts with: 16 words (64 bytes, ids 0..511) is the largest typed array V8
 * keeps on its heap; a larger one is a separate buffer, ~10x dearer to make and to collect.
 */
const FIRST_WORDS = 16;

export class Ida {
  /** levels[0]: one bit per id; levels[k+1]: one bit per word of levels[k], set = word full. */
  private readonly levels: Uint32Array[] = [];
  /** The number of words each level has in all (levels[k].length grows up to it). */
  private readonly words: number[] = [];
  private held = 0;
  private readonly reserved: ReadonlySet<number>;

  /**
   * @param size number of ids, 0 .. size-1.
   * @param reserved ids held from the start that are never handed out (e.g. 0: the IOMMU
   *   core's range starts at IOMMU_FIRST_GLOBAL_PASID = 1, ASID 0 is reserved by SMMUv3).
   */
  constructor(readonly size: number, reserved: readonly number[] = []) {
    let n = size;
    do {
      const words = Math.ceil(n / WORD);
      this.levels.push(new Uint32Array(Math.min(words, FIRST_WORDS)));
      this.words.push(words);
      n = words;
    } while (n > 1);
    // Ids past `size` in the last level-0 word (and the matching padding higher up) are marked
    // held so the "lowest clear bit" walk can never land on them.
    for (let id = size; id < this.words[0] * WORD; id++) this.setBit(id);
    this.reserved = new Set(reserved);
    for (const id of this.reserved) this.setBit(id);
  }

  /** Number of ids currently handed out (reserved ids and padding excluded). */
  get count(): number { return this.held; }

  /** Whether `id` is handed out (reserved ids are not). */
  has(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id >= this.size || this.reserved.has(id)) return false;
    return (this.word(0, id >>> 5) >>> (id & 31) & 1) === 1;
  }

  /**
   * The lowest free id in [min, max], now held, or null. The walk finds the lowest free id
   * overall; it is the answer only if it lies in range. That is exact for callers whose `min`
   * is at most the lowest id not reserved (the IOMMU core always asks from 1 with 0 reserved,
   * SMMUv3 ASIDs from 1 with 0 reserved): every id below `min` is then held, so the lowest
   * free id overall is the lowest free id ≥ min. Other `min`s take the slow scan.
   */
  allocRange(min: number, max: number): number | null {
    if (max >= this.size) max = this.size - 1;
    if (min > max) return null;
    const id = this.lowestFree();
    if (id === null) return null;
    if (id >= min) {
      if (id > max) return null;
      this.setBit(id);
      this.held++;
      return id;
    }
    return this.allocFromScan(min, max);
  }

  /** Release an id; false if it was not held (the kernel WARNs; callers treat it as a bug). */
  free(id: number): boolean {
    if (!this.has(id)) return false;
    this.clearBit(id);
    this.held--;
    return true;
  }

  /**
   * Every held id, ascending (reserved ids excluded). For observation only: O(highest held
   * id / 32). The scan stops once it has found `count` ids — `held` counts exactly the ids
   * handed out and not freed, so none lies past that point — instead of reading all size/32
   * words (32768 for the 2^20 global PASID space) on every observation.
   */
  heldIds(): number[] {
    const out: number[] = [];
    if (this.held === 0) return out;
    const l0 = this.levels[0];
    for (let wi = 0; wi < l0.length && out.length < this.held; wi++) {
      let w = l0[wi];
      while (w !== 0) {
        const b = 31 - Math.clz32(w & -w);
        const id = wi * WORD + b;
        if (id < this.size && !this.reserved.has(id)) out.push(id);
        w = (w & ~(1 << b)) >>> 0;
      }
    }
    return out;
  }

  private lowestFree(): number | null {
    let index = 0; // word index at the current level
    for (let k = this.levels.length - 1; k >= 0; k--) {
      const w = this.word(k, index);
      if (w === FULL) return null; // only possible at the top: everything is held
      index = index * WORD + lowestClearBit(w);
    }
    return index;
  }

  /** Rare path (min above the first non-reserved id): linear scan, used by no kernel caller here. */
  private allocFromScan(min: number, max: number): number | null {
    for (let id = min; id <= max; id++) {
      if (!this.has(id) && !this.reserved.has(id)) { this.setBit(id); this.held++; return id; }
    }
    return null;
  }

  /** Word wi of level k; 0 (all free) past the words allocated so far. */
  private word(k: number, wi: number): number {
    const level = this.levels[k];
    return wi < level.length ? level[wi] : 0;
  }

  /** Level k with at least wi + 1 words (doubling, up to the level's size). */
  private grown(k: number, wi: number): Uint32Array {
    const level = this.levels[k];
    if (wi < level.length) return level;
    let length = level.length;
    while (length <= wi) length *= 2;
    const bigger = new Uint32Array(Math.min(length, this.words[k]));
    bigger.set(level);
    return this.levels[k] = bigger;
  }

  private setBit(id: number): void {
    let index = id;
    for (let k = 0; k < this.levels.length; k++) {
      const wi = index >>> 5;
      const level = this.grown(k, wi);
      level[wi] = (level[wi] | (1 << (index & 31))) >>> 0;
      if (level[wi] !== FULL) return; // the parent bit only changes when this word fills up
      index = wi;
    }
  }

  private clearBit(id: number): void {
    let index = id;
    for (const level of this.levels) {
      const wi = index >>> 5;                 // a held id's words exist: setBit allocated them
      const wasFull = level[wi] === FULL;
      level[wi] = (level[wi] & ~(1 << (index & 31))) >>> 0;
      if (!wasFull) return; // the parent bit was clear already (word was not full)
      index = wi;
    }
  }
}
