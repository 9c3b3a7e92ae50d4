/** Helpers for the spec's unit tests: drive a variant by name and read results as litmus text. */
import { formatResult, type Op, type Setup, type VariantName } from '../vocab/index.ts';
import { SpecDriver } from './driver.ts';
import { BUILTIN_VARIANTS } from './variants/index.ts';

export const setup = (devices: Setup['devices'], extra: Partial<Setup> = {}): Setup => ({
  devices, mms: ['A', 'B', 'C'], ...extra,
});

/** Seed setup plus a 3-SSID accelerator; PASIDs: accel 1..3, dsp 1, nic 1..2^20-1. */
export const SEED: Setup = setup([
  { name: 'accel', ssidBits: 2 }, { name: 'dsp', ssidBits: 1 }, { name: 'nic', ssidBits: 20 },
]);

/** Apply ops in order; each result as litmus text, followed by `[rule+effects]`. */
export function run(variant: VariantName, s: Setup, ops: readonly Op[]): { results: string[]; rules: string[]; driver: SpecDriver } {
  const driver = new SpecDriver(s, BUILTIN_VARIANTS[variant]);
  const results: string[] = [];
  const rules: string[] = [];
  for (const op of ops) {
    const r = driver.apply(op);
    results.push(formatResult(r.result));
    rules.push([r.rule, ...r.effects].join('+'));
  }
  return { results, rules, driver };
}

export const bind = (dev: string, mm: string, as?: string): Op => ({ op: 'bind', dev, mm, ...(as ? { as } : {}) });
export const bindPasid = (dev: string, mm: string, pasid: number, as?: string): Op => ({ op: 'bind_pasid', dev, mm, pasid, ...(as ? { as } : {}) });
export const unbind = (handle: string): Op => ({ op: 'unbind', handle });
export const getPasid = (handle: string): Op => ({ op: 'get_pasid', handle });
export const enqcmd = (mm: string): Op => ({ op: 'enqcmd_pasid', mm });
export const allocGlobal = (dev: string): Op => ({ op: 'alloc_global', dev });
export const freeGlobal = (pasid: number): Op => ({ op: 'free_global', pasid });
export const attach = (dev: string, pasid: number): Op => ({ op: 'attach_pasid', dev, pasid });
export const detach = (dev: string, pasid: number): Op => ({ op: 'detach_pasid', dev, pasid });
export const exit = (mm: string): Op => ({ op: 'mm_exit', mm });
export const dma = (dev: string, pasid: number): Op => ({ op: 'dma', dev, pasid });
