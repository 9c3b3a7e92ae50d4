// SPDX-License-Identifier: MIT
/*
 * svacheck kernel shim: a mock Arm SMMUv3 driver, modelled on what
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-sva.c and arm-smmu-v3.c do for SVA: one
 * system-wide ASID pool (arm_smmu_asid_xa) shared by every instance, a linear CD table per
 * device allocated on first use, per-(master, domain, pasid) bookkeeping (master_domain), an
 * mmu notifier per SVA domain, and the hardware walk a DMA takes (STE, then CD).
 */
#include "shim.h"

#include <stdlib.h>
#include <string.h>

/* Context descriptor states (what the walk sees in CD[ssid]). */
enum cd_state { CD_INVALID, CD_KERNEL, CD_SVA };
struct arm_smmu_cd { ioasid_t ssid; enum cd_state state; struct mm_struct *mm; /* NULL: fault all */ u32 asid; };

/* The linear CD table (arm_smmu_ctx_desc_cfg): 2^ssid_bits entries; stored sparsely. */
struct arm_smmu_ctx_desc_cfg { u32 num_entries; struct arm_smmu_cd *cds; int n, cap; };

struct arm_smmu_device {
	struct iommu_device iommu;
	const char *name;
	unsigned asid_bits;
	bool sva;                           /* ARM_SMMU_FEAT_SVA */
};

struct arm_smmu_master {
	struct device *dev;
	struct arm_smmu_device *smmu;
	unsigned ssid_bits;
	struct arm_smmu_ctx_desc_cfg *cd_table;   /* NULL until first use */
};

struct arm_smmu_domain {
	struct iommu_domain domain;
	struct arm_smmu_device *smmu;
	u32 asid;                           /* cd.asid (SVA domains) */
	struct mmu_notifier mmu_notifier;
	struct list_head devices;           /* arm_smmu_master_domain.devices_elm */
	bool harness_owned;                 /* the attach_pasid paging domain */
};

struct arm_smmu_master_domain {
	struct list_head devices_elm;
	struct arm_smmu_master *master;
	ioasid_t ssid;
};

/* arm_smmu_asid_xa: one pool for all instances, ids up to 2^16 - 1. */
struct shim_ida shim_asid_pool;

static struct iommu_domain *arm_smmu_sva_domain_alloc(struct device *dev, struct mm_struct *mm);
static int arm_smmu_blocking_set_dev_pasid(struct iommu_domain *new_domain, struct device *dev,
					   ioasid_t pasid, struct iommu_domain *old);

static const struct iommu_domain_ops arm_smmu_blocked_ops = { .set_dev_pasid = arm_smmu_blocking_set_dev_pasid };
static struct iommu_domain arm_smmu_blocked_domain = { .type = IOMMU_DOMAIN_BLOCKED, .ops = &arm_smmu_blocked_ops };
static const struct iommu_ops arm_smmu_ops = {
	.domain_alloc_sva = arm_smmu_sva_domain_alloc,
	.blocked_domain = &arm_smmu_blocked_domain,
};

static struct arm_smmu_domain *to_smmu_domain(struct iommu_domain *d)
{
	return container_of(d, struct arm_smmu_domain, domain);
}

static struct arm_smmu_master *dev_master(struct device *dev)
{
	return dev->iommu->priv;            /* dev_iommu_priv_get() */
}

/* ---- setup (arm_smmu_device_probe, arm_smmu_probe_device) ---- */
struct arm_smmu_device *shim_smmu_create(const char *name, unsigned asid_bits, bool sva)
{
	struct arm_smmu_device *smmu = calloc(1, sizeof(*smmu));
	if (!smmu)
		exit(70);
	smmu->iommu.ops = &arm_smmu_ops;
	smmu->iommu.svacheck_driver = smmu;
	smmu->name = name;
	smmu->asid_bits = asid_bits;
	smmu->sva = sva;
	return smmu;
}

void shim_smmu_destroy(struct arm_smmu_device *smmu) { free(smmu); }

const char *shim_smmu_name(const struct arm_smmu_device *smmu) { return smmu->name; }

void shim_smmu_probe_device(struct arm_smmu_device *smmu, struct device *dev, unsigned ssid_bits)
{
	struct dev_iommu *param = calloc(1, sizeof(*param));
	struct arm_smmu_master *master = calloc(1, sizeof(*master));
	if (!param || !master)
		exit(70);
	master->dev = dev;
	master->smmu = smmu;
	master->ssid_bits = ssid_bits;
	param->iommu_dev = &smmu->iommu;
	param->max_pasids = 1u << ssid_bits;
	param->priv = master;
	dev->iommu = param;
}

/* arm_smmu_release_device(): the CD table lives as long as the device (a reset frees both). */
void shim_smmu_release_device(struct device *dev)
{
	if (!dev->iommu)
		return;
	struct arm_smmu_master *master = dev_master(dev);
	if (master->cd_table) {
		free(master->cd_table->cds);
		shim_kfree(master->cd_table);
	}
	free(master);
	free(dev->iommu);
	dev->iommu = NULL;
}

void shim_smmu_reset(void)
{
	if (!shim_asid_pool.bits)
		shim_ida_init(&shim_asid_pool, "arm_smmu_asid_xa", 1u << 16);
	shim_ida_reset(&shim_asid_pool);
}

/* ---- the CD table (arm-smmu-v3.c) ---- */
static struct arm_smmu_cd *cd_find(struct arm_smmu_ctx_desc_cfg *t, ioasid_t ssid)
{
	for (int i = 0; i < t->n; i++)
		if (t->cds[i].ssid == ssid)
			return &t->cds[i];
	return NULL;
}

/* arm_smmu_alloc_cd_ptr(): allocates the linear table (arm_smmu_alloc_cd_tables) on first use. */
static struct arm_smmu_ctx_desc_cfg *arm_smmu_alloc_cd_ptr(struct arm_smmu_master *master)
{
	if (!master->cd_table) {
		struct arm_smmu_ctx_desc_cfg *t = SHIM_KZALLOC(sizeof(*t), "CD table", SHIM_LONG_LIVED);
		if (!t)
			return NULL;
		t->num_entries = 1u << master->ssid_bits;
		master->cd_table = t;
	}
	return master->cd_table;
}

/* arm_smmu_write_cd_entry(): CD[ssid] = cd (CD_INVALID clears it). */
static void arm_smmu_write_cd_entry(struct arm_smmu_master *master, ioasid_t ssid, enum cd_state state,
				    struct mm_struct *mm, u32 asid)
{
	struct arm_smmu_ctx_desc_cfg *t = master->cd_table;
	struct arm_smmu_cd *cd;

	if (WARN_ON(!t) || WARN_ON(ssid >= t->num_entries))
		return;
	cd = cd_find(t, ssid);
	if (state == CD_INVALID) {
		if (cd)
			*cd = t->cds[--t->n];
		return;
	}
	if (!cd) {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 8;
			t->cds = realloc(t->cds, (size_t)t->cap * sizeof(*t->cds));
			if (!t->cds)
				exit(70);
		}
		cd = &t->cds[t->n++];
	}
	*cd = (struct arm_smmu_cd){ ssid, state, mm, asid };
}

/* arm_smmu_remove_master_domain(): forget the (master, pasid) bookkeeping of a domain. */
static void arm_smmu_remove_master_domain(struct arm_smmu_master *master, struct arm_smmu_domain *smmu_domain,
					  ioasid_t ssid)
{
	struct arm_smmu_master_domain *md, *tmp;

	list_for_each_entry_safe(md, tmp, &smmu_domain->devices, devices_elm) {
		if (md->master == master && md->ssid == ssid) {
			list_del(&md->devices_elm);
			shim_kfree(md);
			return;
		}
	}
}

/*
 * arm-smmu-v3.c arm_smmu_set_pasid(): -EINVAL for a domain of another SMMU instance; the CD
 * table on first use (arm_smmu_alloc_cd_ptr, -ENOMEM); the master_domain bookkeeping
 * (arm_smmu_attach_prepare, -ENOMEM); then CD[pasid] is written.
 */
static int arm_smmu_set_pasid(struct arm_smmu_master *master, struct arm_smmu_domain *smmu_domain, ioasid_t pasid,
			      enum cd_state state, struct mm_struct *mm, u32 asid)
{
	struct arm_smmu_master_domain *md;

	if (smmu_domain->smmu != master->smmu)
		return -EINVAL;
	if (!arm_smmu_alloc_cd_ptr(master))
		return -ENOMEM;
	md = SHIM_KZALLOC(sizeof(*md), "struct arm_smmu_master_domain", 0);
	if (!md)
		return -ENOMEM;
	md->master = master;
	md->ssid = pasid;
	list_add(&md->devices_elm, &smmu_domain->devices);
	arm_smmu_write_cd_entry(master, pasid, state, mm, asid);
	return 0;
}

/* arm-smmu-v3-sva.c arm_smmu_sva_set_dev_pasid(): -EINVAL once the mm has no users
 * (mmget_not_zero keeps arm_smmu_mm_release away while attaching); CD = (mm, asid). */
static int arm_smmu_sva_set_dev_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t id,
				      struct iommu_domain *old)
{
	struct arm_smmu_domain *smmu_domain = to_smmu_domain(domain);
	struct arm_smmu_master *master = dev_master(dev);
	int ret;

	(void)old;
	if (!master->smmu->sva)
		return -EOPNOTSUPP;
	if (!mmget_not_zero(domain->mm))
		return -EINVAL;
	ret = arm_smmu_set_pasid(master, smmu_domain, id, CD_SVA, domain->mm, smmu_domain->asid);
	mmput(domain->mm);
	return ret;
}

/* arm-smmu-v3.c arm_smmu_s1_set_dev_pasid(): a stage-1 paging domain at a PASID; CD = kernel. */
static int arm_smmu_s1_set_dev_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t id,
				     struct iommu_domain *old)
{
	(void)old;
	return arm_smmu_set_pasid(dev_master(dev), to_smmu_domain(domain), id, CD_KERNEL, NULL, 0);
}

/* arm-smmu-v3.c arm_smmu_blocking_set_dev_pasid(): clear CD[pasid] (arm_smmu_clear_cd) and drop
 * the master_domain of the old domain. */
static int arm_smmu_blocking_set_dev_pasid(struct iommu_domain *new_domain, struct device *dev,
					   ioasid_t pasid, struct iommu_domain *old)
{
	struct arm_smmu_master *master = dev_master(dev);

	(void)new_domain;
	if (master->cd_table)
		arm_smmu_write_cd_entry(master, pasid, CD_INVALID, NULL, 0);
	if (old)
		arm_smmu_remove_master_domain(master, to_smmu_domain(old), pasid);
	return 0;
}

/* arm-smmu-v3-sva.c arm_smmu_mm_release(): the mm is exiting while DMA may still run: keep each
 * CD of this domain valid (no C_BAD_CD) but with translation disabled. */
static void arm_smmu_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct arm_smmu_domain *smmu_domain = container_of(mn, struct arm_smmu_domain, mmu_notifier);
	struct arm_smmu_master_domain *md;

	(void)mm;
	list_for_each_entry(md, &smmu_domain->devices, devices_elm) {
		if (WARN_ON(!md->master->cd_table))
			continue;
		arm_smmu_write_cd_entry(md->master, md->ssid, CD_SVA, NULL, smmu_domain->asid);
	}
}

/* arm-smmu-v3-sva.c arm_smmu_mmu_notifier_free(): the deferred free of the domain. */
static void arm_smmu_mmu_notifier_free(struct mmu_notifier *mn)
{
	shim_kfree(container_of(mn, struct arm_smmu_domain, mmu_notifier));
}

static const struct mmu_notifier_ops arm_smmu_mmu_notifier_ops = {
	.release = arm_smmu_mm_release,
	.free_notifier = arm_smmu_mmu_notifier_free,
};

/* arm-smmu-v3-sva.c arm_smmu_sva_domain_free(): release the ASID, put the notifier (the domain
 * is freed after the grace period). */
static void arm_smmu_sva_domain_free(struct iommu_domain *domain)
{
	struct arm_smmu_domain *smmu_domain = to_smmu_domain(domain);

	shim_ida_free(&shim_asid_pool, smmu_domain->asid);
	mmu_notifier_put(&smmu_domain->mmu_notifier);
}

static const struct iommu_domain_ops arm_smmu_sva_domain_ops = {
	.set_dev_pasid = arm_smmu_sva_set_dev_pasid,
	.free = arm_smmu_sva_domain_free,
};

/*
 * arm-smmu-v3-sva.c arm_smmu_sva_domain_alloc(): -EOPNOTSUPP without ARM_SMMU_FEAT_SVA, before
 * any allocation; the domain (-ENOMEM); an ASID from the one pool, lowest free in
 * [1, 2^asid_bits - 1] of this instance (xa_alloc: -EBUSY when full); mmu_notifier_register.
 * Every fallible call inside is the "domain" failure point.
 */
static struct iommu_domain *arm_smmu_sva_domain_alloc(struct device *dev, struct mm_struct *mm)
{
	struct arm_smmu_master *master = dev_master(dev);
	struct arm_smmu_device *smmu = master->smmu;
	struct arm_smmu_domain *smmu_domain;
	const char *saved;
	int ret;

	if (!smmu->sva)
		return ERR_PTR(-EOPNOTSUPP);
	saved = shim_scope_enter("domain");
	smmu_domain = SHIM_KZALLOC(sizeof(*smmu_domain), "struct arm_smmu_domain (SVA)", 0);
	if (!smmu_domain) {
		ret = -ENOMEM;
		goto out;
	}
	INIT_LIST_HEAD(&smmu_domain->devices);
	smmu_domain->domain.type = IOMMU_DOMAIN_SVA;
	smmu_domain->domain.ops = &arm_smmu_sva_domain_ops;
	smmu_domain->smmu = smmu;

	ret = shim_ida_alloc_range(&shim_asid_pool, 1, (1u << smmu->asid_bits) - 1, __FILE__, __LINE__, __func__);
	if (ret < 0) {
		if (ret == -ENOSPC)
			ret = -EBUSY;   /* xa_alloc: no free entry within the limit */
		goto err_free;
	}
	smmu_domain->asid = (u32)ret;
	smmu_domain->mmu_notifier.ops = &arm_smmu_mmu_notifier_ops;
	ret = mmu_notifier_register(&smmu_domain->mmu_notifier, mm);
	if (ret)
		goto err_asid;
	shim_scope_exit(saved);
	return &smmu_domain->domain;

err_asid:
	shim_ida_free(&shim_asid_pool, smmu_domain->asid);
err_free:
	shim_kfree(smmu_domain);
out:
	shim_scope_exit(saved);
	return ERR_PTR(ret);
}

/* arm-smmu-v3.c arm_smmu_domain_free_paging(): the harness's paging domain. */
static void arm_smmu_domain_free_paging(struct iommu_domain *domain)
{
	free(to_smmu_domain(domain));
}

static const struct iommu_domain_ops arm_smmu_paging_ops = {
	.set_dev_pasid = arm_smmu_s1_set_dev_pasid,
	.free = arm_smmu_domain_free_paging,
};

/* A finalised stage-1 paging domain for dev's SMMU (arm_smmu_domain_alloc_paging_flags). Not
 * fallible, not accounted, and it takes no ASID (the spec's pool counts SVA domains only). */
struct iommu_domain *shim_smmu_paging_domain_alloc(struct device *dev)
{
	struct arm_smmu_domain *d = calloc(1, sizeof(*d));
	if (!d)
		exit(70);
	INIT_LIST_HEAD(&d->devices);
	d->domain.type = IOMMU_DOMAIN_UNMANAGED;
	d->domain.ops = &arm_smmu_paging_ops;
	d->domain.owner = &arm_smmu_ops;
	d->smmu = dev->iommu ? dev_master(dev)->smmu : NULL;
	d->harness_owned = true;
	return &d->domain;
}

const char *shim_smmu_domain_iommu_name(struct iommu_domain *domain)
{
	return to_smmu_domain(domain)->smmu->name;
}

const struct iommu_device *shim_smmu_domain_iommu_device(struct iommu_domain *domain)
{
	struct arm_smmu_device *smmu = to_smmu_domain(domain)->smmu;
	return smmu ? &smmu->iommu : NULL;
}

/*
 * The DMA walk: no IOMMU: only RID traffic passes (as "kernel"); PASID 0: RID traffic, the
 * kernel domain; ssid beyond the CD table: C_BAD_SUBSTREAMID; no table or invalid CD: C_BAD_CD;
 * a kernel CD: kernel; an SVA CD with translation disabled (mm released): a translation fault;
 * else the mm's address space.
 */
struct shim_dma shim_smmu_dma(struct device *dev, ioasid_t pasid)
{
	struct shim_dma r = { DMA_KERNEL, NULL, NULL };
	struct arm_smmu_master *master;
	struct arm_smmu_cd *cd;

	if (pasid == IOMMU_NO_PASID)
		return r;
	if (!dev->iommu || pasid >= (1u << dev_master(dev)->ssid_bits)) {
		r.kind = DMA_FAULT;
		r.fault = "bad_substream";
		return r;
	}
	master = dev_master(dev);
	cd = master->cd_table ? cd_find(master->cd_table, pasid) : NULL;
	if (!cd) {
		r.kind = DMA_FAULT;
		r.fault = "bad_cd";
	} else if (cd->state == CD_KERNEL) {
		r.kind = DMA_KERNEL;
	} else if (!cd->mm) {
		r.kind = DMA_FAULT;
		r.fault = "translation";
	} else {
		if (cd->mm->svacheck_gone)
			fprintf(stderr, "svacheck shim: DMA at %s pasid %u walks a CD whose mm %s is freed\n",
				dev->init_name, pasid, cd->mm->svacheck_name);
		r.kind = DMA_MM;
		r.mm = cd->mm->svacheck_name;
	}
	return r;
}

size_t shim_smmu_valid_cds(struct device *dev)
{
	if (!dev->iommu || !dev_master(dev)->cd_table)
		return 0;
	return (size_t)dev_master(dev)->cd_table->n;
}
