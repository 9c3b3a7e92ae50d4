import { DEFAULT_ASID_BITS, DEFAULT_IOMMU, type Setup } from './index.ts';

/** A setup with every default filled in and names resolved to indexes. */
export interface ResolvedSetup {
  readonly devices: readonly { name: string; ssidBits: number; group: number; iommu: number | null }[];
  readonly groups: readonly { name: string; devices: readonly number[] }[];
  readonly iommus: readonly { name: string; asidBits: number; sva: boolean }[];
  readonly mms: readonly string[];
}

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
    return { name: d.name, ssidBits: d.ssidBits, group, iommu };
  });
  return { devices, groups, iommus, mms: [...setup.mms] };
}

/**
 * Why a setup cannot be used, or null. Names must be unique and not result words, ssid_bits an
 * integer in 0..20, devices of one group behind one IOMMU.
 */
export function setupProblem(setup: Setup, reserved: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const name of [...setup.devices.map((d) => d.name), ...setup.mms]) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) return `'${name}' is not a valid name`;
    if (reserved.includes(name)) return `'${name}' is a reserved word and cannot name a device or mm`;
    if (seen.has(name)) return `'${name}' is named twice`;
    seen.add(name);
  }
  for (const d of setup.devices) {
    if (!Number.isInteger(d.ssidBits) || d.ssidBits < 0 || d.ssidBits > 20)
      return `device ${d.name}: ssid_bits must be an integer in 0..20, got ${d.ssidBits}`;
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
