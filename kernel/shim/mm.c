// SPDX-License-Identifier: MIT
/*
 * svacheck kernel shim: mm_struct lifetime (kernel/fork.c mmput/__mmput/mmdrop/__mmdrop,
 * include/linux/sched/mm.h mmgrab/mmget_not_zero) and mmu notifiers (mm/mmu_notifier.c).
 *
 * mm_users counts users of the address space; its last mmput runs exit_mmap, which runs the
 * mmu notifiers' release, then drops the mm_count reference the users held. mm_count counts
 * references to the struct; its last mmdrop runs __mmdrop, which calls the tree's REAL
 * mm_pasid_drop(). The struct then stays in the harness's table, marked gone, with iommu_mm
 * poisoned so that a use after free through it crashes.
 */
#include "shim.h"

#include <stdlib.h>
#include <string.h>

#define IOMMU_MM_POISON ((struct iommu_mm_data *)0xdead0000000a110cUL)

/* Notifiers put but not yet freed: call_srcu callbacks waiting for the grace period. */
static LIST_HEAD(deferred);

/* The harness's mm: a live process (one user, one count), as after mm_init/mm_pasid_init. */
struct mm_struct *shim_mm_create(const char *name)
{
	struct mm_struct *mm = calloc(1, sizeof(*mm));
	if (!mm) {
		fputs("svacheck shim: out of host memory\n", stderr);
		exit(70);
	}
	mm->mm_users = 1;
	mm->mm_count = 1;
	INIT_LIST_HEAD(&mm->notifier_subscriptions);
	mm->svacheck_name = name;
	mm_pasid_init(mm);      /* the tree's inline (kernel/fork.c mm_init calls it) */
	return mm;
}

static void check_not_gone(struct mm_struct *mm, const char *what)
{
	if (mm->svacheck_gone)
		svacheck_die("%s on mm %s after __mmdrop freed it (use after free)", what, mm->svacheck_name);
}

/* include/linux/sched/mm.h mmgrab(): mm_count++. */
void mmgrab(struct mm_struct *mm)
{
	check_not_gone(mm, "mmgrab");
	if (mm->mm_count <= 0)
		svacheck_die("mmgrab on mm %s with mm_count %d", mm->svacheck_name, mm->mm_count);
	mm->mm_count++;
}

/* kernel/fork.c __mmdrop(): the last reference to the struct; mm_pasid_drop() runs here. */
static void __mmdrop(struct mm_struct *mm)
{
	if (mm->mm_users)
		svacheck_die("__mmdrop of mm %s while it has %d user(s): mm_count reached 0 too early (an mmdrop without its mmgrab)",
			     mm->svacheck_name, mm->mm_users);
	mm_pasid_drop(mm);
	if (!list_empty(&mm->notifier_subscriptions))
		svacheck_die("__mmdrop of mm %s with mmu notifiers still registered", mm->svacheck_name);
	mm->iommu_mm = IOMMU_MM_POISON;
	mm->svacheck_gone = true;
}

/* include/linux/sched/mm.h mmdrop(): mm_count--, the last one frees the struct. */
void mmdrop(struct mm_struct *mm)
{
	check_not_gone(mm, "mmdrop");
	if (mm->mm_count <= 0)
		svacheck_die("mmdrop on mm %s with mm_count %d", mm->svacheck_name, mm->mm_count);
	if (--mm->mm_count == 0)
		__mmdrop(mm);
}

/* include/linux/sched/mm.h mmget_not_zero(): a new user unless the address space is gone. */
bool mmget_not_zero(struct mm_struct *mm)
{
	check_not_gone(mm, "mmget_not_zero");
	if (mm->mm_users == 0)
		return false;
	mm->mm_users++;
	return true;
}

/* mm/mmu_notifier.c __mmu_notifier_release(): every subscription's ->release, then unhashed. */
static void mmu_notifier_release(struct mm_struct *mm)
{
	struct mmu_notifier *sub, *tmp;

	list_for_each_entry(sub, &mm->notifier_subscriptions, hlist)
		if (sub->ops->release)
			sub->ops->release(sub, mm);
	list_for_each_entry_safe(sub, tmp, &mm->notifier_subscriptions, hlist)
		list_del_init(&sub->hlist);
}

/* kernel/fork.c mmput()/__mmput(): the last user tears the address space down (exit_mmap runs
 * mmu_notifier_release) and drops the users' mm_count reference. */
void mmput(struct mm_struct *mm)
{
	check_not_gone(mm, "mmput");
	if (mm->mm_users <= 0)
		svacheck_die("mmput on mm %s with mm_users %d", mm->svacheck_name, mm->mm_users);
	if (--mm->mm_users == 0) {
		mmu_notifier_release(mm);
		mmdrop(mm);
	}
}

/*
 * mm/mmu_notifier.c mmu_notifier_register(): BUG if the mm has no users; one fallible call
 * (the subscriptions allocation); takes an mm_count reference; subscribes.
 */
int mmu_notifier_register(struct mmu_notifier *sub, struct mm_struct *mm)
{
	check_not_gone(mm, "mmu_notifier_register");
	BUG_ON(mm->mm_users <= 0);
	if (SHIM_SHOULD_FAIL())
		return -ENOMEM;
	mmgrab(mm);
	sub->mm = mm;
	sub->users = 1;
	INIT_LIST_HEAD(&sub->deferred);
	list_add(&sub->hlist, &mm->notifier_subscriptions);
	return 0;
}

/*
 * mm/mmu_notifier.c mmu_notifier_put(): drop a user; the last one unsubscribes at once and
 * defers ->free_notifier and the mmdrop to after an SRCU grace period (call_srcu), which the
 * shim runs at the end of the current harness operation.
 */
void mmu_notifier_put(struct mmu_notifier *sub)
{
	if (WARN_ON(!sub->users) || --sub->users)
		return;
	if (sub->hlist.next != &sub->hlist)
		list_del_init(&sub->hlist);
	list_add_tail(&sub->deferred, &deferred);
}

/* mm/mmu_notifier.c mmu_notifier_free_rcu(): the deferred free, then mmdrop. */
void shim_run_deferred(void)
{
	while (!list_empty(&deferred)) {
		struct mmu_notifier *sub = list_first_entry(&deferred, struct mmu_notifier, deferred);
		struct mm_struct *mm = sub->mm;

		list_del_init(&sub->deferred);
		sub->ops->free_notifier(sub);
		mmdrop(mm);
	}
}

void shim_mm_reset(void)
{
	INIT_LIST_HEAD(&deferred);
}
