// SPDX-License-Identifier: MIT
/*
 * svacheck shim for include/linux/mmu_context.h.
 */
#ifndef SVACHECK_LINUX_MMU_CONTEXT_H
#define SVACHECK_LINUX_MMU_CONTEXT_H

#include <linux/mm_types.h>

/* include/linux/mmu_context.h: the generic fallback, no arch says otherwise. */
#ifndef arch_pgtable_dma_compat
static inline bool arch_pgtable_dma_compat(struct mm_struct *mm) { (void)mm; return true; }
#endif

#endif
