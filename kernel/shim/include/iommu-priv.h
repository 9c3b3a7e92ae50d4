// SPDX-License-Identifier: MIT
/*
 * svacheck shim for drivers/iommu/iommu-priv.h (the core's private header; the quoted include
 * in iommu-sva.c resolves here because the build directory has none).
 */
#ifndef SVACHECK_IOMMU_PRIV_H
#define SVACHECK_IOMMU_PRIV_H

#include <linux/iommu.h>

/* drivers/iommu/iommu-priv.h dev_iommu_ops(): the driver's ops through dev->iommu. */
static inline const struct iommu_ops *dev_iommu_ops(struct device *dev)
{
	return dev->iommu->iommu_dev->ops;
}

#endif
