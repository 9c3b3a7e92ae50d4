/**
 * One simulated run: a workload on one variant, from time 0 to the horizon, as a discrete-event
 * simulation. Processes arrive (Poisson, or a closed population's sources waking after their
 * think time), bind their devices in order, live an exponential lifetime, and leave the way
 * do_exit does: the mm exits first (exit_mm), then the driver's release unbinds each bond
 * (exit_files). A process whose bind fails leaves at once (on_fail: leave) or lives on with
 * the bonds it got (stay). A bind_pasid takes the lowest free PASID of the driver's own pool
 * for that device (none free: the driver refuses without a kernel call, counted as `pool`); on
 * a variant without bind_pasid the driver calls bind. Holders take a global PASID
 * (alloc_global), attach a kernel domain there if asked, and give both back after their hold.
 *
 * Every random draw comes from a stream of its own (per class: arrivals, lifetimes), seeded
 * from (seed, replication, stream) and never from the variant or the outcomes of earlier calls,
 * so every variant sees the same arrivals and lifetimes (common random numbers).
 */
import { rng } from '../vocab/random.ts';
import type { Setup } from '../vocab/index.ts';
import { createTarget, LockstepTarget, type Engine, type Target } from './target.ts';
import { poolOf, type Pool, type Workload } from './workload.ts';

/** Attempts, failures and why, for one device or holder class. */
export interface Tally {
  attempts: number;
  failures: number;
  /** errno name (or `pool`: the driver's pool had no free PASID; `INVALID`: alloc_global) → count. */
  why: Record<string, number>;
}

export interface RunResult {
  /** Binds per device, counted from the warmup on. */
  readonly devices: Record<string, Tally>;
  /** alloc_global (+ attach) per holder class, counted from the warmup on. */
  readonly holders: Record<string, Tally>;
  /** Kernel calls made in the whole run. */
  readonly ops: number;
  /** Operations checked against the spec (lockstep), if asked. */
  readonly checked: number;
  /** Process starts refused because max_processes were alive (from the warmup on). */
  readonly refused: number;
  readonly engine: Engine;
}

export interface RunOptions {
  readonly engine: Engine;
  readonly seed: number;
  readonly replication: number;
  /** Check the first n kernel calls against the spec (engine impl only). */
  readonly verify?: number;
}

/** A 32-bit mix of the seed, the replication and a stream number (splitmix-like). */
export function streamSeed(seed: number, replication: number, stream: number): number {
  let h = (seed ^ Math.imul(replication + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const exp = (u: () => number, rate: number): number => (rate <= 0 ? Infinity : -Math.log(1 - u()) / rate);

/** How many processes may be alive at once: the workload's limit, or far above the load. */
export function processLimit(w: Workload): number {
  if (w.maxProcesses !== 'auto') return w.maxProcesses;
  const open = w.processes.reduce((s, p) => s + (p.rate !== undefined ? p.rate * p.hold : 0), 0);
  const closed = w.processes.reduce((s, p) => s + (p.population ?? 0), 0);
  return Math.ceil(open + 10 * Math.sqrt(open) + 20) + closed;
}

/** The setup a run needs: the workload's devices and one mm slot per process that may be alive. */
export function setupFor(w: Workload): Setup {
  const n = processLimit(w) + 8;   // spare slots for mms that stay pinned after their process left
  return { devices: w.devices, iommus: w.iommus, mms: Array.from({ length: n }, (_, i) => `p${i}`) };
}

/** A driver's PASID pool: lowest free first. O(held) per allocation. */
class DriverPool {
  private readonly held = new Set<number>();
  constructor(private readonly ranges: Pool) {}
  take(): number | null {
    for (const [lo, hi] of this.ranges)
      for (let p = lo; p <= hi; p++) if (!this.held.has(p)) { this.held.add(p); return p; }
    return null;
  }
  give(p: number): void { this.held.delete(p); }
}

interface Bond { readonly dev: number; readonly handle: unknown; readonly poolPasid: number | null }
interface Proc { readonly mm: number; readonly cls: number; readonly bonds: Bond[]; gone: boolean }

type Ev =
  | { readonly kind: 'arrive'; readonly cls: number }
  | { readonly kind: 'depart'; readonly proc: Proc }
  | { readonly kind: 'hold'; readonly cls: number }
  | { readonly kind: 'release'; readonly cls: number; readonly pasid: number; readonly attached: boolean };

/** A binary min-heap of events by time; ties in insertion order, so runs are deterministic. */
class Agenda {
  private readonly t: number[] = [];
  private readonly seq: number[] = [];
  private readonly ev: Ev[] = [];
  private n = 0;
  get size(): number { return this.t.length; }
  push(time: number, e: Ev): void {
    let i = this.t.length;
    this.t.push(time); this.seq.push(this.n++); this.ev.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p); i = p;
    }
  }
  peekTime(): number { return this.t[0]; }
  pop(): Ev {
    const top = this.ev[0];
    const last = this.t.length - 1;
    this.swap(0, last);
    this.t.pop(); this.seq.pop(); this.ev.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.t.length && this.less(l, m)) m = l;
      if (r < this.t.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m); i = m;
    }
    return top;
  }
  private less(a: number, b: number): boolean { return this.t[a] < this.t[b] || (this.t[a] === this.t[b] && this.seq[a] < this.seq[b]); }
  private swap(a: number, b: number): void {
    [this.t[a], this.t[b]] = [this.t[b], this.t[a]];
    [this.seq[a], this.seq[b]] = [this.seq[b], this.seq[a]];
    [this.ev[a], this.ev[b]] = [this.ev[b], this.ev[a]];
  }
}

const tally = (): Tally => ({ attempts: 0, failures: 0, why: {} });
const count = (t: Tally, why: string | null): void => {
  t.attempts++;
  if (why !== null) { t.failures++; t.why[why] = (t.why[why] ?? 0) + 1; }
};

/** Run the workload once on `variant`. */
export function simulateRun(w: Workload, variant: string, opts: RunOptions): RunResult {
  const setup = setupFor(w);
  const target: Target = opts.engine === 'impl' && (opts.verify ?? 0) > 0
    ? new LockstepTarget(setup, variant, opts.verify!)
    : createTarget(opts.engine, setup, variant);
  const devIndex = new Map(w.devices.map((d, i) => [d.name, i]));
  const pools = w.devices.map((d) => new DriverPool(poolOf(w, d.name)));
  const devices: Record<string, Tally> = Object.fromEntries(w.devices.map((d) => [d.name, tally()]));
  const holders: Record<string, Tally> = Object.fromEntries(w.holders.map((h) => [h.name, tally()]));
  const stream = (i: number) => rng(streamSeed(opts.seed, opts.replication, i));
  // Streams: process class c uses 2c (starts) and 2c+1 (lifetimes); holder class h 1000+2h, 1000+2h+1.
  const starts = w.processes.map((_, c) => stream(2 * c));
  const lifetimes = w.processes.map((_, c) => stream(2 * c + 1));
  const holdArrivals = w.holders.map((_, h) => stream(1000 + 2 * h));
  const holdTimes = w.holders.map((_, h) => stream(1000 + 2 * h + 1));

  const limit = processLimit(w);
  const freeMms: number[] = setup.mms.map((_, i) => setup.mms.length - 1 - i);   // pop() gives p0 first
  const pinned: number[] = [];          // mms whose process left but which are not freed yet
  let alive = 0, refused = 0, now = 0;
  const agenda = new Agenda();
  const counting = () => now >= w.warmup;

  /** The next start of class c: a Poisson arrival, or a closed source's next wake-up. */
  const nextStart = (c: number) => {
    const p = w.processes[c];
    agenda.push(now + exp(starts[c], p.rate !== undefined ? p.rate : 1 / p.think!), { kind: 'arrive', cls: c });
  };
  const takeMm = (): number | null => {
    if (freeMms.length === 0)
      for (let i = pinned.length - 1; i >= 0; i--) if (target.mmGone(pinned[i])) freeMms.push(...pinned.splice(i, 1));
    const mm = freeMms.pop();
    if (mm === undefined) return null;
    if (target.mmGone(mm)) target.revive(mm);
    return mm;
  };

  const leave = (proc: Proc) => {
    if (proc.gone) return;
    proc.gone = true;
    alive--;
    target.mmExit(proc.mm);
    for (const b of proc.bonds) {
      target.unbind(b.handle);
      if (b.poolPasid !== null) pools[b.dev].give(b.poolPasid);
    }
    (target.mmGone(proc.mm) ? freeMms : pinned).push(proc.mm);
    if (w.processes[proc.cls].population !== undefined) nextStart(proc.cls);
  };

  const start = (c: number) => {
    const p = w.processes[c];
    if (p.rate !== undefined) nextStart(c);
    const life = exp(lifetimes[c], 1 / p.hold);                 // drawn whatever happens next
    const mm = alive < limit ? takeMm() : null;
    if (mm === null) {
      if (counting()) refused++;
      if (p.population !== undefined) nextStart(c);
      return;
    }
    alive++;
    const proc: Proc = { mm, cls: c, bonds: [], gone: false };
    let failed = false;
    for (const { dev, api } of p.binds) {
      const d = devIndex.get(dev)!;
      let why: string | null = null;
      if (api === 'bind_pasid' && target.hasBindPasid) {
        const pasid = pools[d].take();
        if (pasid === null) why = 'pool';
        else {
          const r = target.bindPasid(d, mm, pasid);
          if (r.ok) proc.bonds.push({ dev: d, handle: r.handle, poolPasid: pasid });
          else { why = r.errno; pools[d].give(pasid); }
        }
      } else {
        const r = target.bind(d, mm);
        if (r.ok) proc.bonds.push({ dev: d, handle: r.handle, poolPasid: null });
        else why = r.errno;
      }
      if (counting()) count(devices[dev], why);
      if (why !== null) { failed = true; if (w.onFail === 'leave') break; }
    }
    if (failed && w.onFail === 'leave') leave(proc);
    else agenda.push(now + life, { kind: 'depart', proc });
  };

  const hold = (h: number) => {
    const hc = w.holders[h];
    agenda.push(now + exp(holdArrivals[h], hc.rate!), { kind: 'hold', cls: h });
    const time = exp(holdTimes[h], 1 / hc.hold!);
    if (!target.hasAllocGlobal) return;                        // no such kernel users in this design
    const dev = devIndex.get(hc.device)!;
    const pasid = target.allocGlobal(dev);
    if (pasid === null) { if (counting()) count(holders[hc.name], 'INVALID'); return; }
    if (hc.attach) {
      const e = target.attach(dev, pasid);
      if (e !== null) { target.freeGlobal(pasid); if (counting()) count(holders[hc.name], e); return; }
    }
    if (counting()) count(holders[hc.name], null);
    agenda.push(now + time, { kind: 'release', cls: h, pasid, attached: hc.attach });
  };

  // Time 0: permanent holders take their ids; every class's first start is scheduled.
  w.holders.forEach((hc, h) => {
    const dev = devIndex.get(hc.device)!;
    for (let i = 0; i < (target.hasAllocGlobal ? hc.permanent ?? 0 : 0); i++) {
      const pasid = target.allocGlobal(dev);
      if (pasid !== null && hc.attach && target.attach(dev, pasid) !== null) target.freeGlobal(pasid);
    }
    if (hc.rate !== undefined) agenda.push(exp(holdArrivals[h], hc.rate), { kind: 'hold', cls: h });
  });
  w.processes.forEach((p, c) => {
    if (p.rate !== undefined) nextStart(c);
    else for (let i = 0; i < p.population!; i++) nextStart(c);
  });

  while (agenda.size > 0 && agenda.peekTime() < w.horizon) {
    now = agenda.peekTime();
    const e = agenda.pop();
    switch (e.kind) {
      case 'arrive': start(e.cls); break;
      case 'depart': leave(e.proc); break;
      case 'hold': hold(e.cls); break;
      case 'release': {
        const dev = devIndex.get(w.holders[e.cls].device)!;
        if (e.attached) target.detach(dev, e.pasid);
        target.freeGlobal(e.pasid);
        break;
      }
    }
  }
  return { devices, holders, ops: target.ops, checked: target instanceof LockstepTarget ? target.checked : 0, refused, engine: target.engine };
}
