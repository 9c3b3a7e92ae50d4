// SPDX-License-Identifier: MIT
/*
 * svacheck kernel shim: the IOMMU core calls iommu-sva.c makes, modelled on what
 * drivers/iommu/iommu.c does, with its checks in its order. A group's pasid_array (an xarray
 * in the kernel) is a sparse list of filled slots; an entry is a domain (an attach without a
 * handle), an attach handle (tagged IOMMU_PASID_ARRAY_HANDLE) or a reserved slot (XA_ZERO_ENTRY
 * while the attach is in progress).
 */
#include "shim.h"

#include <stdlib.h>
#include <string.h>

/* drivers/iommu/iommu.c iommu_global_pasid_ida: ids up to 2^20 - 1 (PCIe PASIDs). */
struct shim_ida shim_global_pasid_ida;

void shim_iommu_reset(void)
{
	if (!shim_global_pasid_ida.bits)
		shim_ida_init(&shim_global_pasid_ida, "iommu_global_pasid_ida", 1u << 20);
	shim_ida_reset(&shim_global_pasid_ida);
}

struct iommu_group *shim_group_create(const char *name)
{
	struct iommu_group *g = calloc(1, sizeof(*g));
	if (!g)
		exit(70);
	g->name = name;
	return g;
}

void shim_group_add_device(struct iommu_group *group, struct device *dev)
{
	group->devices = realloc(group->devices, (size_t)(group->ndevices + 1) * sizeof(*group->devices));
	if (!group->devices)
		exit(70);
	group->devices[group->ndevices++] = dev;
	dev->iommu_group = group;
}

void shim_group_destroy(struct iommu_group *group)
{
	free(group->devices);
	free(group->pasid_array);
	free(group);
}

/* ---- the pasid_array (include/linux/xarray.h) ---- */
static struct shim_xa_entry *xa_find(struct iommu_group *g, ioasid_t pasid)
{
	for (int i = 0; i < g->nentries; i++)
		if (g->pasid_array[i].pasid == pasid)
			return &g->pasid_array[i];
	return NULL;
}

/* xa_insert(): -EBUSY if the slot holds anything; else one fallible call (node allocation). */
static int xa_insert_reserved(struct iommu_group *g, ioasid_t pasid)
{
	if (xa_find(g, pasid))
		return -EBUSY;
	if (SHIM_SHOULD_FAIL())
		return -ENOMEM;
	if (g->nentries == g->capentries) {
		g->capentries = g->capentries ? 2 * g->capentries : 8;
		g->pasid_array = realloc(g->pasid_array, (size_t)g->capentries * sizeof(*g->pasid_array));
		if (!g->pasid_array)
			exit(70);
	}
	g->pasid_array[g->nentries++] = (struct shim_xa_entry){ pasid, XA_RESERVED, NULL };
	return 0;
}

/* xa_erase()/xa_release(). */
static void xa_erase_slot(struct iommu_group *g, ioasid_t pasid)
{
	struct shim_xa_entry *e = xa_find(g, pasid);
	if (e)
		*e = g->pasid_array[--g->nentries];
}

/* ---- drivers/iommu/iommu.c ---- */

/* iommu.c iommu_alloc_global_pasid(): max_pasids 0 means no PASID support; otherwise the
 * lowest free id in [IOMMU_FIRST_GLOBAL_PASID, max_pasids - 1]; an IDA failure is INVALID.
 * dev->iommu is dereferenced unchecked, as in the kernel. */
ioasid_t iommu_alloc_global_pasid(struct device *dev)
{
	const char *saved;
	int ret;

	if (!dev->iommu->max_pasids)
		return IOMMU_PASID_INVALID;
	saved = shim_scope_enter("global_pasid");
	ret = shim_ida_alloc_range(&shim_global_pasid_ida, IOMMU_FIRST_GLOBAL_PASID,
				   dev->iommu->max_pasids - 1, __FILE__, __LINE__, __func__);
	shim_scope_exit(saved);
	return ret < 0 ? IOMMU_PASID_INVALID : (ioasid_t)ret;
}

/* iommu.c iommu_free_global_pasid(): WARN on INVALID, else ida_free. */
void iommu_free_global_pasid(ioasid_t pasid)
{
	if (WARN_ON(pasid == IOMMU_PASID_INVALID))
		return;
	shim_ida_free(&shim_global_pasid_ida, pasid);
}

/* iommu.c domain_iommu_ops_compatible(). */
static bool domain_iommu_ops_compatible(const struct iommu_ops *ops, struct iommu_domain *domain)
{
	return domain->owner == ops || domain == ops->blocked_domain;
}

/* iommu.c iommu_remove_dev_pasid(): the blocked domain's set_dev_pasid undoes an attach. */
static void iommu_remove_dev_pasid(struct device *dev, ioasid_t pasid, struct iommu_domain *domain)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *blocked = ops->blocked_domain;

	WARN_ON(blocked->ops->set_dev_pasid(blocked, dev, pasid, domain));
}

/* iommu.c __iommu_set_group_pasid(): set_dev_pasid on every PASID-capable device of the group;
 * on a failure, remove it from those already set and return the error. */
static int __iommu_set_group_pasid(struct iommu_domain *domain, struct iommu_group *group, ioasid_t pasid)
{
	int i, ret = 0;

	for (i = 0; i < group->ndevices; i++) {
		struct device *dev = group->devices[i];
		if (dev->iommu->max_pasids > 0) {
			ret = domain->ops->set_dev_pasid(domain, dev, pasid, NULL);
			if (ret)
				break;
		}
	}
	if (!ret)
		return 0;
	for (int j = 0; j < i; j++)
		if (group->devices[j]->iommu->max_pasids > 0)
			iommu_remove_dev_pasid(group->devices[j], pasid, domain);
	return ret;
}

/* svacheck's failure point of the fallible calls inside an attach: a new domain (users 0, or
 * attach_pasid's) is "attach"; iommu-sva.c's search for an existing domain is "reuse_attach"
 * for the mm's domain behind the device's own SMMU, "foreign_attach" for one behind another. */
static const char *attach_point(struct iommu_domain *domain, struct device *dev)
{
	if (domain->type != IOMMU_DOMAIN_SVA || domain->users == 0)
		return "attach";
	return shim_smmu_domain_iommu_device(domain) == dev->iommu->iommu_dev ? "reuse_attach" : "foreign_attach";
}

/*
 * iommu.c iommu_attach_device_pasid(): -ENODEV without a group; -EOPNOTSUPP without
 * set_dev_pasid/blocked domain; -EINVAL for a foreign domain or IOMMU_NO_PASID; -EINVAL when
 * pasid >= max_pasids of any PASID-capable device of the group; xa_insert (-EBUSY if the slot
 * is taken); set the domain on every device (undone on failure, slot released); then store
 * the entry (the domain, or the handle pointing at it).
 * Fallible calls inside count as attach_point() says.
 */
int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid,
			      struct iommu_attach_handle *handle)
{
	struct iommu_group *group = dev->iommu_group;
	const struct iommu_ops *ops;
	const char *saved;
	int ret;

	if (!group)
		return -ENODEV;
	ops = dev_iommu_ops(dev);
	if (!domain->ops->set_dev_pasid || !ops->blocked_domain || !ops->blocked_domain->ops->set_dev_pasid)
		return -EOPNOTSUPP;
	if (!domain_iommu_ops_compatible(ops, domain) || pasid == IOMMU_NO_PASID)
		return -EINVAL;

	saved = shim_scope_enter(attach_point(domain, dev));
	for (int i = 0; i < group->ndevices; i++) {
		struct device *d = group->devices[i];
		if (d->iommu->max_pasids > 0 && pasid >= d->iommu->max_pasids) {
			ret = -EINVAL;
			goto out;
		}
	}
	/* iommu_make_pasid_array_entry(): the handle learns its domain before the insert */
	if (handle)
		handle->domain = domain;
	ret = xa_insert_reserved(group, pasid);
	if (ret)
		goto out;
	ret = __iommu_set_group_pasid(domain, group, pasid);
	if (ret) {
		xa_erase_slot(group, pasid);
		goto out;
	}
	{
		struct shim_xa_entry *e = xa_find(group, pasid);
		e->kind = handle ? XA_HANDLE : XA_DOMAIN;
		e->ptr = handle ? (void *)handle : (void *)domain;
	}
out:
	shim_scope_exit(saved);
	return ret;
}

/* iommu.c iommu_detach_device_pasid(): block the PASID on every device of the group
 * (__iommu_remove_group_pasid), then erase the slot. The group is not checked. */
void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)
{
	struct iommu_group *group = dev->iommu_group;

	for (int i = 0; i < group->ndevices; i++)
		if (group->devices[i]->iommu->max_pasids > 0)
			iommu_remove_dev_pasid(group->devices[i], pasid, domain);
	xa_erase_slot(group, pasid);
}

/* iommu.c iommu_attach_handle_get(): -ENOENT for an empty slot or an entry without a handle;
 * -EBUSY for a handle whose domain is not of the (non-zero) type asked; else the handle. */
struct iommu_attach_handle *iommu_attach_handle_get(struct iommu_group *group, ioasid_t pasid, unsigned int type)
{
	struct shim_xa_entry *e = xa_find(group, pasid);
	struct iommu_attach_handle *handle;

	if (!e || e->kind != XA_HANDLE)
		return ERR_PTR(-ENOENT);
	handle = e->ptr;
	if (type && handle->domain->type != type)
		return ERR_PTR(-EBUSY);
	return handle;
}

/* iommu.c iommu_domain_free(): an SVA cookie drops the mm reference, then the driver frees. */
void iommu_domain_free(struct iommu_domain *domain)
{
	switch (domain->cookie_type) {
	case IOMMU_COOKIE_SVA:
		mmdrop(domain->mm);
		break;
	case IOMMU_COOKIE_DMA_IOVA:
	case IOMMU_COOKIE_DMA_MSI:
		svacheck_unmodelled("iommu_put_dma_cookie", __func__);
	default:
		break;
	}
	if (domain->ops->free)
		domain->ops->free(domain);
}
