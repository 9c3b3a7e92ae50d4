// SPDX-License-Identifier: MIT
/*
 * svacheck shim for include/linux/iommu.h: the IOMMU core types and calls iommu-sva.c uses,
 * declared from what the kernel's do (modelled in kernel/shim/iommu.c), followed by the tree's
 * OWN SVA definitions (struct iommu_sva, struct iommu_mm_data, the CONFIG_IOMMU_SVA inlines and
 * prototypes), which `svacheck kernel` extracts from the tree into svacheck-sva-defs.h.
 */
#ifndef SVACHECK_LINUX_IOMMU_H
#define SVACHECK_LINUX_IOMMU_H

#include <svacheck/kernel.h>
#include <linux/mm_types.h>

typedef unsigned int ioasid_t;
#define IOMMU_NO_PASID (0U)
#define IOMMU_FIRST_GLOBAL_PASID (1U)
#define IOMMU_PASID_INVALID (-1U)

/* Domain types (the bits as in the kernel: only SVA vs the rest matters here). */
#define __IOMMU_DOMAIN_PAGING (1U << 0)
#define __IOMMU_DOMAIN_DMA_API (1U << 1)
#define __IOMMU_DOMAIN_SVA (1U << 4)
#define IOMMU_DOMAIN_BLOCKED (0U)
#define IOMMU_DOMAIN_UNMANAGED (__IOMMU_DOMAIN_PAGING)
#define IOMMU_DOMAIN_SVA (__IOMMU_DOMAIN_SVA)

enum iommu_domain_cookie_type {
	IOMMU_COOKIE_NONE,
	IOMMU_COOKIE_DMA_IOVA,
	IOMMU_COOKIE_DMA_MSI,
	IOMMU_COOKIE_FAULT_HANDLER,
	IOMMU_COOKIE_SVA,
	IOMMU_COOKIE_IOMMUFD,
};

struct device;
struct iommu_group;
struct iommu_domain;
struct iopf_group;

/* include/linux/device.h, iommu.h: a device's IOMMU data (dev->iommu). */
struct iommu_device { const struct iommu_ops *ops; void *svacheck_driver; };
struct dev_iommu { struct iommu_device *iommu_dev; u32 max_pasids; void *priv; };
struct device {
	const char *init_name;              /* svacheck: the setup's device name */
	struct iommu_group *iommu_group;
	struct dev_iommu *iommu;            /* NULL: behind no IOMMU */
};

struct iommu_domain_ops {
	int (*set_dev_pasid)(struct iommu_domain *domain, struct device *dev, ioasid_t pasid,
			     struct iommu_domain *old);
	void (*free)(struct iommu_domain *domain);
};

struct iommu_ops {
	struct iommu_domain *(*domain_alloc_sva)(struct device *dev, struct mm_struct *mm);
	struct iommu_domain *blocked_domain;
};

struct iommu_domain {
	unsigned int type;
	enum iommu_domain_cookie_type cookie_type;
	const struct iommu_domain_ops *ops;
	const struct iommu_ops *owner;
	int (*iopf_handler)(struct iopf_group *group);
	struct mm_struct *mm;               /* IOMMU_DOMAIN_SVA */
	int users;
	struct list_head next;              /* on iommu_mm->sva_domains */
};

/* What the group's pasid_array holds for an attach made with a handle. */
struct iommu_attach_handle {
	struct iommu_domain *domain;
};

/* I/O page faults: the types only, so the SVA fault handler compiles. Not modelled. */
enum iommu_page_response_code {
	IOMMU_PAGE_RESP_SUCCESS = 0,
	IOMMU_PAGE_RESP_INVALID,
	IOMMU_PAGE_RESP_FAILURE,
};
#define IOMMU_FAULT_PERM_READ  (1 << 0)
#define IOMMU_FAULT_PERM_WRITE (1 << 1)
#define IOMMU_FAULT_PERM_EXEC  (1 << 2)
#define IOMMU_FAULT_PERM_PRIV  (1 << 3)
#define IOMMU_FAULT_PAGE_REQUEST_PASID_VALID (1 << 0)
#define IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE   (1 << 1)
struct iommu_fault_page_request {
	u32 flags;
	u32 pasid;
	u32 grpid;
	u32 perm;
	u64 addr;
	u64 private_data[2];
};
struct iommu_fault { u32 type; struct iommu_fault_page_request prm; };
struct iopf_fault { struct iommu_fault fault; struct list_head list; };
struct iopf_queue { struct workqueue_struct *wq; };
struct iommu_fault_param { struct iopf_queue *queue; };
struct iopf_group {
	struct iopf_fault last_fault;
	struct list_head faults;
	size_t fault_count;
	struct list_head pending_node;
	struct work_struct work;
	struct iommu_attach_handle *attach_handle;
	struct iommu_fault_param *fault_param;
};
void iopf_group_response(struct iopf_group *group, enum iommu_page_response_code status);
void iopf_free_group(struct iopf_group *group);

/* drivers/iommu/iommu.c, modelled in kernel/shim/iommu.c. */
int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid,
			      struct iommu_attach_handle *handle);
void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid);
struct iommu_attach_handle *iommu_attach_handle_get(struct iommu_group *group, ioasid_t pasid,
						    unsigned int type);
ioasid_t iommu_alloc_global_pasid(struct device *dev);
void iommu_free_global_pasid(ioasid_t pasid);
void iommu_domain_free(struct iommu_domain *domain);

/* The tree's feature macros, then the tree's own SVA definitions. */
#include "svacheck-config.h"
#include "svacheck-sva-defs.h"

#endif
