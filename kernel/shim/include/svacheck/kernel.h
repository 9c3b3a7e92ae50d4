// SPDX-License-Identifier: MIT
/*
 * svacheck kernel shim: the kernel basics iommu-sva.c leans on, for a userspace build.
 * Written for svacheck from what these kernel facilities do (include/linux/{types,err,
 * compiler,list,refcount,slab,cleanup}.h); no kernel code is copied.
 *
 * A kernel WARN is treated as panic_on_warn=1: it aborts with a message on stderr, so the
 * conformance runner sees the run crash instead of a silent bug.
 */
#ifndef SVACHECK_KERNEL_H
#define SVACHECK_KERNEL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef unsigned int gfp_t;
#define GFP_KERNEL 0u
#define __GFP_ZERO 1u

/* Diagnostics and the not-modelled trap (kernel/shim/kernel.c). */
__attribute__((noreturn, format(printf, 4, 5)))
void svacheck_panic(const char *file, int line, const char *func, const char *fmt, ...);
#define svacheck_die(...) svacheck_panic(__FILE__, __LINE__, __func__, __VA_ARGS__)
__attribute__((noreturn)) void svacheck_unmodelled(const char *what, const char *func);

/* include/asm-generic/bug.h: WARN_ON; here panic_on_warn. */
#define WARN_ON(cond) ({ bool __w = !!(cond); if (__w) svacheck_die("WARN_ON(%s)", #cond); __w; })
#define WARN_ON_ONCE(cond) WARN_ON(cond)
#define BUG_ON(cond) do { if (cond) svacheck_die("BUG_ON(%s)", #cond); } while (0)

/* include/linux/compiler.h, asm/barrier.h: one thread, so plain accesses with the types kept. */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) do { *(volatile typeof(x) *)&(x) = (v); } while (0)
#define smp_store_release(p, v) do { __atomic_store_n((p), (v), __ATOMIC_RELEASE); } while (0)
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __must_check __attribute__((warn_unused_result))
#define __SVACHECK_PASTE2(a, b) a##b
#define __SVACHECK_PASTE(a, b) __SVACHECK_PASTE2(a, b)
#define __UNIQUE_ID(prefix) __SVACHECK_PASTE(__SVACHECK_PASTE(__unique_, prefix), __COUNTER__)

/* include/linux/container_of.h */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* include/linux/export.h: nothing to export in one program. */
#define EXPORT_SYMBOL_GPL(sym) extern int __svacheck_exported_##sym
#define EXPORT_SYMBOL(sym) extern int __svacheck_exported_##sym

/* include/linux/err.h */
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }
static inline void *ERR_CAST(const void *ptr) { return (void *)ptr; }

/* include/linux/types.h + list.h: a circular doubly linked list; list_del poisons. */
struct list_head { struct list_head *next, *prev; };
#define LIST_POISON1 ((struct list_head *)0xdead000000000100UL)
#define LIST_POISON2 ((struct list_head *)0xdead000000000122UL)
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l; l->prev = l; }
static inline void __list_add(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	if (next->prev != prev || prev->next != next || n == prev || n == next)
		svacheck_die("list_add corruption (list_debug)");
	next->prev = n; n->next = next; n->prev = prev; prev->next = n;
}
static inline void list_add(struct list_head *n, struct list_head *head) { __list_add(n, head, head->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *head) { __list_add(n, head->prev, head); }
static inline void list_del(struct list_head *e)
{
	if (e->next == LIST_POISON1 || e->prev == LIST_POISON2 || e->prev->next != e || e->next->prev != e)
		svacheck_die("list_del corruption (list_debug): entry %p", (void *)e);
	e->next->prev = e->prev; e->prev->next = e->next;
	e->next = LIST_POISON1; e->prev = LIST_POISON2;
}
static inline void list_del_init(struct list_head *e) { list_del(e); INIT_LIST_HEAD(e); }
static inline bool list_empty(const struct list_head *head) { return READ_ONCE(head->next) == head; }
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member) list_entry((pos)->member.next, typeof(*(pos)), member)
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))
#define list_for_each_entry(pos, head, member) \
	for (pos = list_first_entry(head, typeof(*pos), member); \
	     !list_entry_is_head(pos, head, member); pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member) \
	for (pos = list_first_entry(head, typeof(*pos), member), n = list_next_entry(pos, member); \
	     !list_entry_is_head(pos, head, member); pos = n, n = list_next_entry(n, member))

/* include/linux/refcount.h: saturation and underflow are WARNs (here: panics). */
typedef struct { int refs; } refcount_t;
static inline void refcount_set(refcount_t *r, int n) { r->refs = n; }
static inline unsigned int refcount_read(const refcount_t *r) { return (unsigned int)r->refs; }
static inline void refcount_inc(refcount_t *r)
{
	if (r->refs <= 0) svacheck_die("refcount_t: addition on %d; use-after-free", r->refs);
	r->refs++;
}
static inline bool refcount_dec_and_test(refcount_t *r)
{
	if (r->refs <= 0) svacheck_die("refcount_t: underflow (%d); use-after-free", r->refs);
	return --r->refs == 0;
}

/*
 * include/linux/slab.h: kzalloc/kmalloc/kfree and kzalloc_obj, through the shim's accounted,
 * fault-injectable allocator (kernel/shim/alloc.c). The call site (this file's __FILE__,
 * __LINE__, __func__) is recorded: these macros are only used by the kernel file under test.
 */
void *svacheck_kalloc(size_t size, bool zero, const char *label, const char *file, int line, const char *func);
void svacheck_kfree(const void *p, const char *file, int line);
#define kmalloc(size, gfp) svacheck_kalloc((size), false, "kmalloc(" #size ")", __FILE__, __LINE__, __func__)
#define kzalloc(size, gfp) svacheck_kalloc((size), true, "kzalloc(" #size ")", __FILE__, __LINE__, __func__)
#define kfree(p) svacheck_kfree((p), __FILE__, __LINE__)
/* kzalloc_obj(TYPE_OR_EXPR[, gfp]): sizeof and typeof both take a type or an expression. */
#define kzalloc_obj(obj, ...) \
	((typeof(obj) *)svacheck_kalloc(sizeof(obj), true, #obj, __FILE__, __LINE__, __func__))
#define kmalloc_obj(obj, ...) \
	((typeof(obj) *)svacheck_kalloc(sizeof(obj), false, #obj, __FILE__, __LINE__, __func__))

/* include/linux/cleanup.h: guard(name)(args) declares a scoped object released at scope exit. */
#define guard(name) \
	struct __svacheck_guard_##name __UNIQUE_ID(guard) \
	__attribute__((cleanup(__svacheck_guard_##name##_exit), unused)) = __svacheck_guard_##name##_enter

/* include/linux/workqueue.h: the shape only; queueing work is not modelled. */
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);
struct work_struct { work_func_t func; };
struct workqueue_struct;
#define INIT_WORK(w, f) do { (w)->func = (f); } while (0)
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);

#endif
