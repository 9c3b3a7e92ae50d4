// SPDX-License-Identifier: MIT
/*
 * svacheck kernel shim: the interfaces between the shim's modules and the harness (harness.c).
 * Nothing here is seen by the kernel file under test.
 */
#ifndef SVACHECK_SHIM_H
#define SVACHECK_SHIM_H

#include <linux/iommu.h>
#include <linux/mutex.h>
#include "iommu-priv.h"
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>

#include <stdio.h>

/* ---- alloc.c: accounted allocations, fault injection, IDA ---- */

#define SHIM_LONG_LIVED 1u      /* not a leak when live (a device's CD table) */

/* A fallible shim allocation (counts as a fallible call; may be injected). */
void *shim_kalloc(size_t size, const char *label, unsigned flags, const char *file, int line, const char *func);
#define SHIM_KZALLOC(size, label, flags) shim_kalloc((size), (label), (flags), __FILE__, __LINE__, __func__)
void shim_kfree(const void *p);

/* A fallible call that allocates nothing the shim tracks: true = this call fails (ENOMEM). */
bool shim_should_fail(const char *file, int line, const char *func);
#define SHIM_SHOULD_FAIL() shim_should_fail(__FILE__, __LINE__, __func__)

/* The abstract failure point of fallible calls made inside a shim function. */
const char *shim_scope_enter(const char *point);
void shim_scope_exit(const char *saved);

/* Per-op fault injection (the kernel's fail_nth). fail_nth 0: none. */
void shim_fault_begin(unsigned fail_nth);
void shim_fault_end(unsigned *calls, bool *injected, const char **site, const char **point);
void shim_fault_disable(void);  /* no counting, no injection (teardown) */

/* Live objects: count (long-lived excluded) and describe. */
size_t shim_live_objects(void (*each)(const char *label, const char *file, int line, void *ctx), void *ctx);
/* Forget every live allocation without freeing it (a reset must not trip over a previous run's
 * leaks: iommu-sva.c's static lists may still point into them). Freed at exit. */
void shim_abandon_all(void);
void shim_free_abandoned(void);

/* An IDA: lowest free id in a range (lib/idr.c ida_alloc_range), over a bitmap of 0..nbits-1. */
struct shim_ida { unsigned long *bits; u32 nbits; u32 count; const char *name; };
void shim_ida_init(struct shim_ida *ida, const char *name, u32 nbits);
void shim_ida_reset(struct shim_ida *ida);
void shim_ida_destroy(struct shim_ida *ida);
/* Fallible: -ENOMEM when injected, -ENOSPC when no id in [min, max] is free. */
int shim_ida_alloc_range(struct shim_ida *ida, u32 min, u32 max, const char *file, int line, const char *func);
void shim_ida_free(struct shim_ida *ida, u32 id);
bool shim_ida_test(const struct shim_ida *ida, u32 id);
/* Ids held, in increasing order, through a callback. */
void shim_ida_each(const struct shim_ida *ida, void (*each)(u32 id, void *ctx), void *ctx);

/* ---- mm.c ---- */
struct mm_struct *shim_mm_create(const char *name);
void shim_run_deferred(void);        /* the SRCU grace period: pending mmu_notifier frees */
void shim_mm_reset(void);

/* ---- iommu.c: groups and the core ---- */
enum shim_xa_kind { XA_RESERVED, XA_DOMAIN, XA_HANDLE };
struct shim_xa_entry { ioasid_t pasid; enum shim_xa_kind kind; void *ptr; };
struct iommu_group {
	const char *name;
	struct device **devices;
	int ndevices;
	struct shim_xa_entry *pasid_array;   /* sparse xarray: the filled slots */
	int nentries, capentries;
};
struct iommu_group *shim_group_create(const char *name);
void shim_group_add_device(struct iommu_group *group, struct device *dev);
void shim_group_destroy(struct iommu_group *group);
extern struct shim_ida shim_global_pasid_ida;
void shim_iommu_reset(void);

/* ---- arm-smmu-v3.c: the mock SMMUv3 driver ---- */
struct arm_smmu_device;
struct arm_smmu_device *shim_smmu_create(const char *name, unsigned asid_bits, bool sva);
void shim_smmu_destroy(struct arm_smmu_device *smmu);
const char *shim_smmu_name(const struct arm_smmu_device *smmu);
/* Probe a device behind smmu: dev->iommu with max_pasids 1 << ssid_bits and a master. */
void shim_smmu_probe_device(struct arm_smmu_device *smmu, struct device *dev, unsigned ssid_bits);
void shim_smmu_release_device(struct device *dev);
/* A kernel (paging, stage-1) domain for attach_pasid: harness-owned, not fallible. */
struct iommu_domain *shim_smmu_paging_domain_alloc(struct device *dev);
/* The SMMU instance of a domain (SVA or paging): its name, its struct iommu_device. */
const char *shim_smmu_domain_iommu_name(struct iommu_domain *domain);
const struct iommu_device *shim_smmu_domain_iommu_device(struct iommu_domain *domain);
/* The DMA walk (STE, CD table). */
enum shim_dma_kind { DMA_KERNEL, DMA_MM, DMA_FAULT };
struct shim_dma { enum shim_dma_kind kind; const char *mm; const char *fault; };
struct shim_dma shim_smmu_dma(struct device *dev, ioasid_t pasid);
size_t shim_smmu_valid_cds(struct device *dev);
extern struct shim_ida shim_asid_pool;
void shim_smmu_reset(void);

#endif
