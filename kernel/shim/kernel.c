// SPDX-License-Identifier: MIT
/*
 * svacheck kernel shim: the mutex with a real lockdep_assert_held (include/linux/mutex.h,
 * include/linux/lockdep.h), panics (WARN with panic_on_warn), and the kernel facilities
 * iommu-sva.c references but svacheck does not model: they abort with a message if called.
 */
#include "shim.h"

#include <stdarg.h>
#include <stdlib.h>

void svacheck_panic(const char *file, int line, const char *func, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "svacheck shim: kernel bug at %s:%d in %s(): ", file, line, func);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void svacheck_unmodelled(const char *what, const char *func)
{
	fflush(stdout);
	fprintf(stderr, "svacheck shim: %s() called from %s(): not modelled by svacheck's shim\n", what, func);
	fflush(stderr);
	abort();
}

/* kernel/locking/mutex.c mutex_lock(): one thread, so locking a held mutex is a deadlock. */
void svacheck_mutex_lock(struct mutex *m, const char *func)
{
	if (m->locked)
		svacheck_panic("mutex", 0, func, "mutex_lock(%s): already held by %s(): deadlock", m->name,
			       m->holder ? m->holder : "?");
	m->locked = true;
	m->holder = func;
}

/* kernel/locking/mutex.c mutex_unlock(): unlocking a free mutex is a bug. */
void svacheck_mutex_unlock(struct mutex *m, const char *func)
{
	if (!m->locked)
		svacheck_panic("mutex", 0, func, "mutex_unlock(%s): not locked", m->name);
	m->locked = false;
	m->holder = NULL;
}

/* include/linux/lockdep.h lockdep_assert_held(): really checked. */
void svacheck_lockdep_assert_held(const struct mutex *m, const char *expr, const char *file, int line,
				  const char *func)
{
	if (!m->locked)
		svacheck_panic(file, line, func, "lockdep_assert_held(%s): not held", expr);
}

/* Not modelled: the I/O page fault path and kernel-VA invalidation. */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	(void)mm; (void)addr;
	svacheck_unmodelled("vma_lookup", __func__);
}

vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags,
			   struct pt_regs *regs)
{
	(void)vma; (void)address; (void)flags; (void)regs;
	svacheck_unmodelled("handle_mm_fault", __func__);
}

void mmap_read_lock(struct mm_struct *mm) { (void)mm; svacheck_unmodelled("mmap_read_lock", __func__); }
void mmap_read_unlock(struct mm_struct *mm) { (void)mm; svacheck_unmodelled("mmap_read_unlock", __func__); }

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	(void)wq; (void)work;
	svacheck_unmodelled("queue_work", __func__);
}

void iopf_group_response(struct iopf_group *group, enum iommu_page_response_code status)
{
	(void)group; (void)status;
	svacheck_unmodelled("iopf_group_response", __func__);
}

void iopf_free_group(struct iopf_group *group)
{
	(void)group;
	svacheck_unmodelled("iopf_free_group", __func__);
}

void mmu_notifier_arch_invalidate_secondary_tlbs(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	(void)mm; (void)start; (void)end;
	svacheck_unmodelled("mmu_notifier_arch_invalidate_secondary_tlbs", __func__);
}
