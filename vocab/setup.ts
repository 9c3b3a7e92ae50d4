import { DEFAULT_ASID_BITS, DEFAULT_IOMMU, type Setup } from './index.ts';

/** A setup with every default filled in and names resolved to indexes. */
export interface ResolvedSetup {
  /** minPasid, maxPasid: sva-2018's iommu_sva_device_init range (default [1, 2^ssidBits - 1]). */
  readonly devices: readonly { name: string; ssidBits: number; group: number; iommu: number | null; minPasid: number; maxPasid: number }[];
  readonly groups: readonly { name: string; devices: readonly number[] }[];
  readonly iommus: readonly { name: string; asidBits: number; sva: boolean }[];
  readonly mms: readonly string[];
  /** ioasid-2020: capacity, the system set's quota, the sets' initial quotas. */
  readonly ioasid: { readonly capacity: number; readonly systemQuota: number; readonly sets: readonly { name: string; quota: number }[] };
}

/** ioasid_install_capacity's default: 20-bit PASIDs ("typically 1 million"). */
export const DEFAULT_IOASID_CAPACITY = 2 ** 20;

/** Fill defaults: a device's group is its own, its IOMMU `smmu0`, an IOMMU 16 ASID bits. */
export function resolveSetup(setup: Setup): ResolvedSetup {
  const iommus: { name: string; asidBits: number; sva: boolean }[] = (setup.iommus ?? []).map((i) => ({
    name: i.name, asidBits: i.asidBits ?? DEFAULT_ASID_BITS, sva: i.sva ?? true,
  }));
  const iommuIndex = (name: string): number => {
    let i = iommus.findIndex((x) => x.name === name);
    if (i < 0) { iommus.push({ name, asidBits: DEFAULT_ASID_BITS, sva: true }); i = iommus.length - 1; }
    return i;
  };
  const groups: { name: string; devices: number[] }[] = [];
  const devices = setup.devices.map((d, index) => {
    const iommu = d.iommu === null ? null : iommuIndex(d.iommu ?? DEFAULT_IOMMU);
    let group = -1;
    if (iommu !== null) {
      const gname = d.group ?? d.name;
      group = groups.findIndex((g) => g.name === gname);
      if (group < 0) { groups.push({ name: gname, devices: [] }); group = groups.length - 1; }
      groups[group].devices.push(index);
    }
    return { name: d.name, ssidBits: d.ssidBits, group, iommu, minPasid: d.minPasid ?? 1, maxPasid: d.maxPasid ?? 2 ** d.ssidBits - 1 };
  });
  const sets = (setup.ioasid?.sets ?? []).map((s) => ({ name: s.name, quota: s.quota }));
  const capacity = setup.ioasid?.capacity ?? DEFAULT_IOASID_CAPACITY;
  const systemQuota = setup.ioasid?.systemQuota ?? Math.max(0, capacity - sets.reduce((n, s) => n + s.quota, 0));
  return { devices, groups, iommus, mms: [...setup.mms], ioasid: { capacity, systemQuota, sets } };
}

function nameProblem(name: string, reserved: readonly string[]): string | null {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) return `'${name}' is not a valid name`;
  if (reserved.includes(name)) return `'${name}' is a reserved word and cannot name a device or mm`;
  return null;
}

/**
 * Why a setup cannot be used, or null. Names must be unique and not result words, ssid_bits an
 * integer in 0..20, devices of one group behind one IOMMU.
 */
export function setupProblem(setup: Setup, reserved: readonly string[]): string | null {
  const seen = new Set<string>();
  const named = (name: string): string | null => {
    const problem = nameProblem(name, reserved);
    if (problem !== null) return problem;
    if (seen.has(name)) return `'${name}' is named twice`;
    seen.add(name);
    return null;
  };
  for (const d of setup.devices) { const problem = named(d.name); if (problem !== null) return problem; }
  for (const m of setup.mms) { const problem = named(m); if (problem !== null) return problem; }
  for (const d of setup.devices) {
    if (!Number.isInteger(d.ssidBits) || d.ssidBits < 0 || d.ssidBits > 20)
      return `device ${d.name}: ssid_bits must be an integer in 0..20, got ${d.ssidBits}`;
    // sva-2018's iommu_sva_device_init range: within the SSIDs; PASID 0 is the SMMUv3's RID traffic.
    const top = (1 << d.ssidBits) - 1, min = d.minPasid ?? 1, max = d.maxPasid ?? top;   // ssid_bits: an integer in 0..20 here
    if (!Number.isInteger(min) || min < 1 || min > Math.max(1, top))
      return `device ${d.name}: min_pasid must be an integer in 1..${Math.max(1, top)} (PASID 0 is reserved by the SMMUv3 for DMA without PASID), got ${min}`;
    if (!Number.isInteger(max) || max < min - 1 || max > top)
      return `device ${d.name}: max_pasid must be an integer in ${min - 1}..${top} (min_pasid - 1 for none, up to 2^ssid_bits - 1), got ${max}`;
  }
  if (setup.ioasid !== undefined) {
    const { capacity = DEFAULT_IOASID_CAPACITY, systemQuota, sets = [] } = setup.ioasid;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 2 ** 20) return `ioasid: capacity must be an integer in 0..2^20, got ${capacity}`;
    const named = new Set<string>();
    for (const s of sets) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s.name) || reserved.includes(s.name)) return `ioasid: '${s.name}' cannot name a set`;
      if (named.has(s.name)) return `ioasid: set '${s.name}' is named twice`;
      named.add(s.name);
      if (!Number.isInteger(s.quota) || s.quota < 0) return `ioasid: set ${s.name}: quota must be an integer >= 0, got ${s.quota}`;
    }
    const asked = sets.reduce((n, s) => n + s.quota, 0) + (systemQuota ?? 0);
    if (systemQuota !== undefined && (!Number.isInteger(systemQuota) || systemQuota < 0)) return `ioasid: system_quota must be an integer >= 0, got ${systemQuota}`;
    // ioasid_alloc_set / ioasid_alloc_system_set: a quota beyond the capacity left fails.
    if (asked > capacity) return `ioasid: the quotas (${asked} in all, system set included) exceed the capacity ${capacity}`;
  }
  for (const i of setup.iommus ?? []) {
    if (i.asidBits !== undefined && (!Number.isInteger(i.asidBits) || i.asidBits < 1 || i.asidBits > 16))
      return `iommu ${i.name}: asid_bits must be an integer in 1..16, got ${i.asidBits}`;
  }
  if (setup.iommus !== undefined) {
    const declared = setup.iommus.map((i) => i.name);
    for (const d of setup.devices)
      if (typeof d.iommu === 'string' && !declared.includes(d.iommu))
        return `device ${d.name}: iommu '${d.iommu}' is not declared under iommus (declared: ${declared.join(', ') || 'none'})`;
  }
  const groupIommu = new Map<string, string | null>();
  for (const d of setup.devices) {
    if (d.iommu === null) {
      if (d.group !== undefined) return `device ${d.name}: a device without an IOMMU has no group`;
      continue;
    }
    const g = d.group ?? d.name;
    const iommu = d.iommu ?? DEFAULT_IOMMU;
    const other = groupIommu.get(g);
    if (other !== undefined && other !== iommu) return `group ${g}: devices behind different IOMMUs (${other}, ${iommu})`;
    groupIommu.set(g, iommu);
  }
  return null;
}
