// SPDX-License-Identifier: MIT
/*
 * svacheck shim for include/linux/sched/mm.h: the mm reference counts (kernel/shim/mm.c).
 */
#ifndef SVACHECK_LINUX_SCHED_MM_H
#define SVACHECK_LINUX_SCHED_MM_H

#include <linux/mm_types.h>

void mmgrab(struct mm_struct *mm);          /* mm_count++ */
void mmdrop(struct mm_struct *mm);          /* mm_count--, the last one runs __mmdrop */
bool mmget_not_zero(struct mm_struct *mm);  /* mm_users++ unless 0 */
void mmput(struct mm_struct *mm);           /* mm_users--, the last one runs exit_mmap, mmdrop */

#endif
