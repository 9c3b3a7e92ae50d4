// SPDX-License-Identifier: MIT
/*
 * svacheck kernel shim: the slab allocator as iommu-sva.c sees it (include/linux/slab.h
 * kzalloc/kmalloc/kfree), with live-object accounting and fault injection modelled on the
 * kernel's fault-injection fail_nth (Documentation/fault-injection/fault-injection.rst:
 * the n-th fallible call of a task fails), and an IDA (lib/idr.c ida_alloc_range/ida_free).
 */
#include "shim.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define HDR_MAGIC 0x5afe5afe5afe5afeULL
#define POISON_FREE 0x6b
#define FROM_KERNEL_FILE 0x100u     /* allocated by the kernel file under test */

/* Every live allocation has this header in front of it. */
struct hdr {
	u64 magic;
	struct hdr *prev, *next;
	size_t size;
	const char *label, *file, *func;
	int line;
	unsigned flags;
	_Alignas(16) unsigned char data[];
};

static struct hdr live = { .prev = &live, .next = &live };      /* this run's objects */
static struct hdr abandoned = { .prev = &abandoned, .next = &abandoned };

/* Freed blocks wait poisoned in a quarantine before going back to malloc, so a use after
 * free reads 0x6b6b... (a crash when followed as a pointer) rather than a reused object. */
#define QUARANTINE 512
static struct hdr *quarantine[QUARANTINE];
static unsigned qnext;

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- fault injection ---- */
static struct {
	bool off;                 /* teardown: neither count nor inject */
	unsigned calls, fail_nth;
	bool injected;
	char site[256];
	const char *point;
	const char *scope;        /* the failure point set by the shim function we are in */
} F;

const char *shim_scope_enter(const char *point)
{
	const char *saved = F.scope;
	F.scope = point;
	return saved;
}

void shim_scope_exit(const char *saved) { F.scope = saved; }

void shim_fault_begin(unsigned fail_nth)
{
	F.off = false;
	F.calls = 0;
	F.fail_nth = fail_nth;
	F.injected = false;
	F.site[0] = '\0';
	F.point = NULL;
	F.scope = NULL;
}

void shim_fault_disable(void) { F.off = true; F.fail_nth = 0; }

void shim_fault_end(unsigned *calls, bool *injected, const char **site, const char **point)
{
	*calls = F.calls;
	*injected = F.injected;
	*site = F.site;
	*point = F.point;
}

/*
 * The failure point of a fallible call: the scope of the shim function it happens in, else,
 * for an allocation iommu-sva.c makes itself, the struct its size names.
 */
static const char *classify(bool from_kernel_file, size_t size)
{
	if (F.scope)
		return F.scope;
	if (from_kernel_file && size == sizeof(struct iommu_mm_data))
		return "mm_data";
	if (from_kernel_file && size == sizeof(struct iommu_sva))
		return "handle";
	return "other";
}

static bool should_fail(const char *file, int line, const char *func, bool from_kernel_file, size_t size)
{
	if (F.off)
		return false;
	if (++F.calls != F.fail_nth)
		return false;
	F.injected = true;
	F.point = classify(from_kernel_file, size);
	snprintf(F.site, sizeof(F.site), "%s%s:%d %s", from_kernel_file ? "" : "shim/", base(file), line, func);
	return true;
}

bool shim_should_fail(const char *file, int line, const char *func)
{
	return should_fail(file, line, func, false, 0);
}

/* ---- allocations ---- */
static void *alloc(size_t size, bool zero, const char *label, unsigned flags, const char *file, int line,
		   const char *func, bool from_kernel_file)
{
	struct hdr *h;

	if (should_fail(file, line, func, from_kernel_file, size))
		return NULL;
	h = malloc(sizeof(*h) + size);
	if (!h) {
		fputs("svacheck shim: out of host memory\n", stderr);
		exit(70);
	}
	h->magic = HDR_MAGIC;
	h->size = size;
	h->label = label;
	h->file = file;
	h->line = line;
	h->func = func;
	h->flags = flags;
	/* kmalloc hands out garbage: make it recognisable */
	memset(h->data, zero ? 0 : 0xa5, size);
	h->next = &live;
	h->prev = live.prev;
	live.prev->next = h;
	live.prev = h;
	return h->data;
}

/* The size-named label of an allocation iommu-sva.c makes. */
static const char *kernel_label(size_t size, const char *expr)
{
	if (size == sizeof(struct iommu_mm_data))
		return "struct iommu_mm_data";
	if (size == sizeof(struct iommu_sva))
		return "struct iommu_sva";
	return expr;
}

/* include/linux/slab.h kmalloc/kzalloc/kzalloc_obj, as called by the kernel file under test. */
void *svacheck_kalloc(size_t size, bool zero, const char *label, const char *file, int line, const char *func)
{
	return alloc(size, zero, kernel_label(size, label), FROM_KERNEL_FILE, file, line, func, true);
}

void *shim_kalloc(size_t size, const char *label, unsigned flags, const char *file, int line, const char *func)
{
	return alloc(size, true, label, flags, file, line, func, false);
}

static struct hdr *find_live(const void *p)
{
	for (struct hdr *h = live.next; h != &live; h = h->next)
		if (h->data == p)
			return h;
	return NULL;
}

static void do_free(const void *p, const char *file, int line)
{
	struct hdr *h;

	if (!p)
		return;
	h = find_live(p);
	if (!h)
		svacheck_panic(file, line, "kfree", "kfree(%p): not a live allocation (double free, or never allocated)", p);
	h->prev->next = h->next;
	h->next->prev = h->prev;
	h->magic = 0;
	memset(h->data, POISON_FREE, h->size);
	free(quarantine[qnext]);
	quarantine[qnext] = h;
	qnext = (qnext + 1) % QUARANTINE;
}

/* include/linux/slab.h kfree, as called by the kernel file under test. */
void svacheck_kfree(const void *p, const char *file, int line) { do_free(p, file, line); }

void shim_kfree(const void *p) { do_free(p, "shim", 0); }

size_t shim_live_objects(void (*each)(const char *label, const char *file, int line, void *ctx), void *ctx)
{
	size_t n = 0;
	for (struct hdr *h = live.next; h != &live; h = h->next) {
		if (h->flags & SHIM_LONG_LIVED)
			continue;
		n++;
		if (each) {
			char where[256];
			snprintf(where, sizeof(where), "%s%s", h->flags & FROM_KERNEL_FILE ? "" : "shim/", base(h->file));
			each(h->label, where, h->line, ctx);
		}
	}
	return n;
}

void shim_abandon_all(void)
{
	while (live.next != &live) {
		struct hdr *h = live.next;
		h->prev->next = h->next;
		h->next->prev = h->prev;
		h->next = &abandoned;
		h->prev = abandoned.prev;
		abandoned.prev->next = h;
		abandoned.prev = h;
	}
}

void shim_free_abandoned(void)
{
	shim_abandon_all();
	while (abandoned.next != &abandoned) {
		struct hdr *h = abandoned.next;
		abandoned.next = h->next;
		free(h);
	}
	abandoned.prev = &abandoned;
	for (unsigned i = 0; i < QUARANTINE; i++) {
		free(quarantine[i]);
		quarantine[i] = NULL;
	}
}

/* ---- IDA (lib/idr.c): lowest free id in [min, max] ---- */
#define BPL (8 * sizeof(unsigned long))

void shim_ida_init(struct shim_ida *ida, const char *name, u32 nbits)
{
	ida->bits = calloc((nbits + BPL - 1) / BPL, sizeof(unsigned long));
	if (!ida->bits) {
		fputs("svacheck shim: out of host memory\n", stderr);
		exit(70);
	}
	ida->nbits = nbits;
	ida->count = 0;
	ida->name = name;
}

void shim_ida_reset(struct shim_ida *ida)
{
	memset(ida->bits, 0, (ida->nbits + BPL - 1) / BPL * sizeof(unsigned long));
	ida->count = 0;
}

void shim_ida_destroy(struct shim_ida *ida)
{
	free(ida->bits);
	ida->bits = NULL;
}

bool shim_ida_test(const struct shim_ida *ida, u32 id)
{
	return id < ida->nbits && (ida->bits[id / BPL] >> (id % BPL)) & 1;
}

/* lib/idr.c ida_alloc_range(): one fallible call (its bitmap/node allocation); -ENOSPC when
 * the range is empty or full. */
int shim_ida_alloc_range(struct shim_ida *ida, u32 min, u32 max, const char *file, int line, const char *func)
{
	if (should_fail(file, line, func, false, 0))
		return -ENOMEM;
	if (max >= ida->nbits)
		max = ida->nbits - 1;
	for (u64 id = min; id <= max; id++) {
		unsigned long w = ida->bits[id / BPL];
		if (id % BPL == 0 && w == ~0UL) {
			id += BPL - 1;
			continue;
		}
		if (!((w >> (id % BPL)) & 1)) {
			ida->bits[id / BPL] |= 1UL << (id % BPL);
			ida->count++;
			return (int)id;
		}
	}
	return -ENOSPC;
}

/* lib/idr.c ida_free(): freeing an id not allocated is a WARN ("ida_free called for id=%d
 * which is not allocated"); here it aborts. */
void shim_ida_free(struct shim_ida *ida, u32 id)
{
	if (!shim_ida_test(ida, id))
		svacheck_die("%s: ida_free called for id=%u which is not allocated", ida->name, id);
	ida->bits[id / BPL] &= ~(1UL << (id % BPL));
	ida->count--;
}

void shim_ida_each(const struct shim_ida *ida, void (*each)(u32 id, void *ctx), void *ctx)
{
	for (u32 w = 0; w < (ida->nbits + BPL - 1) / BPL; w++)
		for (unsigned long b = ida->bits[w]; b; b &= b - 1)
			each(w * (u32)BPL + (u32)__builtin_ctzl(b), ctx);
}
