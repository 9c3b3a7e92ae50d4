// SPDX-License-Identifier: MIT
/*
 * svacheck shim for include/linux/mmu_notifier.h (modelled in kernel/shim/mm.c): registration
 * takes an mm_count reference; release runs from exit_mmap; mmu_notifier_put defers the free
 * callback and its mmdrop to the end of the current harness operation (an SRCU grace period).
 */
#ifndef SVACHECK_LINUX_MMU_NOTIFIER_H
#define SVACHECK_LINUX_MMU_NOTIFIER_H

#include <linux/mm_types.h>

struct mmu_notifier;
struct mmu_notifier_ops {
	void (*release)(struct mmu_notifier *subscription, struct mm_struct *mm);
	void (*free_notifier)(struct mmu_notifier *subscription);
};
struct mmu_notifier {
	struct list_head hlist;             /* on mm->notifier_subscriptions, or self-linked */
	const struct mmu_notifier_ops *ops;
	struct mm_struct *mm;
	unsigned int users;
	struct list_head deferred;          /* svacheck: pending free after mmu_notifier_put */
};

int mmu_notifier_register(struct mmu_notifier *subscription, struct mm_struct *mm);
void mmu_notifier_put(struct mmu_notifier *subscription);
/* Not modelled (iommu_sva_invalidate_kva_range only): aborts. */
void mmu_notifier_arch_invalidate_secondary_tlbs(struct mm_struct *mm, unsigned long start, unsigned long end);

#endif
