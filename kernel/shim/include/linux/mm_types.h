// SPDX-License-Identifier: MIT
/*
 * svacheck shim for the parts of include/linux/mm_types.h and mm.h that iommu-sva.c touches:
 * struct mm_struct with its two reference counts (mm_users: address-space users; mm_count:
 * references to the struct), mm->iommu_mm, and the mmu notifier subscriptions. The VMA and
 * page-fault types exist only so the I/O page fault handler compiles; they are not modelled.
 */
#ifndef SVACHECK_LINUX_MM_TYPES_H
#define SVACHECK_LINUX_MM_TYPES_H

#include <svacheck/kernel.h>

struct iommu_mm_data;

struct mm_struct {
	int mm_users;                       /* atomic_t mm_users */
	int mm_count;                       /* atomic_t mm_count */
	struct iommu_mm_data *iommu_mm;     /* CONFIG_IOMMU_MM_DATA */
	struct list_head notifier_subscriptions;   /* the mmu notifiers registered on it */
	/* svacheck bookkeeping, not kernel fields */
	const char *svacheck_name;
	bool svacheck_gone;                 /* __mmdrop ran */
};

/* include/linux/mm_types.h, mm.h: just enough for iommu_sva_handle_mm to compile. */
typedef unsigned int vm_fault_t;
typedef unsigned long vm_flags_t;
struct vm_area_struct { unsigned long vm_start, vm_end; vm_flags_t vm_flags; struct mm_struct *vm_mm; };
#define VM_READ  0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC  0x00000004UL
#define FAULT_FLAG_WRITE       (1u << 0)
#define FAULT_FLAG_USER        (1u << 6)
#define FAULT_FLAG_REMOTE      (1u << 7)
#define FAULT_FLAG_INSTRUCTION (1u << 8)
#define VM_FAULT_OOM     0x000001u
#define VM_FAULT_SIGBUS  0x000002u
#define VM_FAULT_SIGSEGV 0x000040u
#define VM_FAULT_HWPOISON 0x000010u
#define VM_FAULT_HWPOISON_LARGE 0x000020u
#define VM_FAULT_FALLBACK 0x000800u
#define VM_FAULT_ERROR (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | \
			VM_FAULT_HWPOISON_LARGE | VM_FAULT_FALLBACK)
struct pt_regs;
/* Not modelled: these abort (kernel/shim/unmodelled.c). */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags,
			   struct pt_regs *regs);
void mmap_read_lock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);

#endif
