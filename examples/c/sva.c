/*
 * sva: a reference external implementation of the SVA PASID rules for svacheck, speaking the
 * subprocess protocol of conformance/PROTOCOL.md on stdin/stdout. Written from the protocol
 * and docs/semantics.md; it models the kernel's data (iommu_mm_data, the group pasid_array,
 * SVA domains per IOMMU instance, the one global PASID ida), it does not copy kernel code.
 *
 * Variants: v2 (the patch as posted), v1 (v2 without the V4 reuse fix) and upstream.
 * Build with -DPLANT_V1_REUSE_BUG to plant the v1 bug into v2: a device-local mm keeps its
 * first PASID after all its bonds are unbound, so a later bind_pasid with another PASID fails
 * with ENOSPC where v2 succeeds. svacheck's tests require that build to be caught.
 */
#include "json.h"
#include "protocol.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASID_BITS 20                       /* the global PASID space */
#define PASID_SPACE (1u << PASID_BITS)
#define WORDS (PASID_SPACE / 64)

enum variant { V_UPSTREAM, V_V1, V_V2 };
enum mm_state { MM_LIVE, MM_EXITED, MM_GONE };
enum slot_kind { SLOT_FREE, SLOT_SVA, SLOT_KERNEL };


/* `json`: the name as a JSON string (quoted, escaped), `jlen` bytes, written as is by observe. */
struct device { char *name; int ssid_bits; int group; int iommu; char *json; size_t jlen; };
struct iommu { char *name; int asid_bits; bool sva; };
struct mm {
	char *name;
	char *json; size_t jlen;    /* the name as a JSON string, as for a device */
	enum mm_state state;
	bool has_data;          /* mm->iommu_mm published */
	uint32_t pasid;         /* iommu_mm->pasid */
	bool global;            /* iommu_mm->pasid_global */
	int *domain_users;      /* per IOMMU instance: attached devices of its SVA domain, 0 = none */
	int *domain_asid;       /* per IOMMU instance: its SVA domain's ASID, 0 = none */
};
/* A filled PASID slot of a group: an SVA bond (struct iommu_sva) or a kernel (non-SVA) attach. */
struct slot { enum slot_kind kind; int group; uint32_t pasid; int mm; int dev; int users; unsigned gen; bool handle; };
/* A handle name the runner chose, denoting the bond in `slot` while its generation matches. */
struct name { char *key; int slot; unsigned gen; };

static struct {
	bool configured;
	enum variant variant;
	int ndev, niommu, ngroup, nmm;
	struct device *dev;
	struct iommu *iommu;
	char **group_name;
	struct mm *mm;
	struct slot *slots; int nslots, capslots;
	struct name *names; int capnames, nnames;   /* open addressing, capnames a power of two */
	uint64_t ida[WORDS];                        /* the one system-wide global PASID allocator */
	uint32_t ida_count;                         /* ids it holds: observe's scan stops after the last */
} S;


/* ---- helpers ---- */
static struct result res_pasid(uint32_t p) { return proto_res(R_PASID, p, NULL); }
static struct result res(enum rkind k, const char *s) { return proto_res(k, 0, s); }
#define OK res(R_OK, NULL)
#define INVALID res(R_INVALID, NULL)
#define ERR(e) res(R_ERRNO, e)

static uint64_t max_pasids(int d) { return S.dev[d].iommu < 0 ? 0 : (uint64_t)1 << S.dev[d].ssid_bits; }
static bool ida_held(uint32_t p) { return p < PASID_SPACE && (S.ida[p / 64] >> (p % 64)) & 1; }
static void ida_set(uint32_t p) { if (!ida_held(p)) S.ida_count++; S.ida[p / 64] |= (uint64_t)1 << (p % 64); }
static void ida_clear(uint32_t p) { if (ida_held(p)) S.ida_count--; if (p < PASID_SPACE) S.ida[p / 64] &= ~((uint64_t)1 << (p % 64)); }

/* iommu_alloc_global_pasid's range search: lowest free id in [1, max-1], or 0 if none. */
static uint32_t ida_lowest_free(uint64_t max)
{
	for (uint32_t w = 0; (uint64_t)w * 64 < max && w < WORDS; w++) {
		uint64_t free = ~S.ida[w];
		if (w == 0) free &= ~(uint64_t)1;           /* PASID 0 is IOMMU_NO_PASID */
		if (!free) continue;
		uint32_t p = w * 64 + (uint32_t)__builtin_ctzll(free);
		return p < max ? p : 0;
	}
	return 0;
}

static struct slot *slot_at(int group, uint32_t pasid)
{
	for (int i = 0; i < S.nslots; i++)
		if (S.slots[i].kind != SLOT_FREE && S.slots[i].group == group && S.slots[i].pasid == pasid)
			return &S.slots[i];
	return NULL;
}

static struct slot *slot_new(void)
{
	for (int i = 0; i < S.nslots; i++)
		if (S.slots[i].kind == SLOT_FREE) return &S.slots[i];
	if (S.nslots == S.capslots) {
		S.capslots = S.capslots ? 2 * S.capslots : 64;
		S.slots = realloc(S.slots, (size_t)S.capslots * sizeof(*S.slots));
		if (!S.slots) { fputs("sva: out of memory\n", stderr); exit(70); }
	}
	memset(&S.slots[S.nslots], 0, sizeof(S.slots[0]));
	return &S.slots[S.nslots++];
}

static bool has_domain(const struct mm *m)
{
	for (int i = 0; i < S.niommu; i++) if (m->domain_users[i] > 0) return true;
	return false;
}

/* ---- handle names ---- */
static unsigned long hash(const char *s) { unsigned long h = 5381; while (*s) h = h * 33 + (unsigned char)*s++; return h; }

static struct name *name_find(const char *key, bool create)
{
	if (create && 2 * (S.nnames + 1) > S.capnames) {
		struct name *old = S.names; int oldcap = S.capnames;
		S.capnames = oldcap ? 2 * oldcap : 256;
		S.names = calloc((size_t)S.capnames, sizeof(*S.names));
		if (!S.names) { fputs("sva: out of memory\n", stderr); exit(70); }
		for (int i = 0; i < oldcap; i++) {
			if (!old[i].key) continue;
			unsigned long h = hash(old[i].key) & (unsigned long)(S.capnames - 1);
			while (S.names[h].key) h = (h + 1) & (unsigned long)(S.capnames - 1);
			S.names[h] = old[i];
		}
		free(old);
	}
	if (!S.capnames) return NULL;
	unsigned long h = hash(key) & (unsigned long)(S.capnames - 1);
	while (S.names[h].key) {
		if (!strcmp(S.names[h].key, key)) return &S.names[h];
		h = (h + 1) & (unsigned long)(S.capnames - 1);
	}
	if (!create) return NULL;
	S.names[h].key = strdup(key);
	S.nnames++;
	return &S.names[h];
}

/* The live bond a name denotes, or NULL. */
static struct slot *handle(const char *key)
{
	struct name *n = key ? name_find(key, false) : NULL;
	if (!n) return NULL;
	struct slot *s = &S.slots[n->slot];
	return s->kind == SLOT_SVA && s->gen == n->gen ? s : NULL;
}

static void name_bond(const char *key, struct slot *s)
{
	if (!key) return;
	struct name *n = name_find(key, true);
	n->slot = (int)(s - S.slots);
	n->gen = s->gen;
}

/* ---- the attach path: iommu_attach_device_pasid checks (B1) and SVA attach (S4, S5) ---- */

/* B1 after the group check: the errno refusing an attach at (group, pasid), or NULL. */
static const char *attach_refusal(int group, uint32_t pasid)
{
	if (pasid == 0) return "EINVAL";                            /* IOMMU_NO_PASID */
	for (int d = 0; d < S.ndev; d++)                            /* every device of the group */
		if (S.dev[d].iommu >= 0 && S.dev[d].group == group && pasid >= max_pasids(d)) return "EINVAL";
	if (slot_at(group, pasid)) return "EBUSY";                  /* the pasid_array slot is taken */
	return NULL;
}

/* arm_smmu_asid_xa is one system-wide xarray; each SMMU allocates within its own asid_bits:
 * the lowest ASID in [1, 2^asid_bits - 1] no domain behind any SMMU holds, or 0. */
static int lowest_free_asid(int iommu)
{
	for (int asid = 1; asid < (1 << S.iommu[iommu].asid_bits); asid++) {
		bool held = false;
		for (int m = 0; m < S.nmm && !held; m++)
			for (int i = 0; i < S.niommu; i++) if (S.mm[m].domain_asid[i] == asid) { held = true; break; }
		if (!held) return asid;
	}
	return 0;
}

/* Bind (dev, mm) at pasid once the mm data is settled: the bond's slot, or an errno in *err. */
static struct slot *sva_attach(int d, int m, uint32_t pasid, const char **err)
{
	int group = S.dev[d].group, iommu = S.dev[d].iommu;
	struct slot *s = slot_at(group, pasid);
	struct mm *mm = &S.mm[m];
	const char *refusal;

	if (s && s->kind == SLOT_SVA) {                             /* iommu_attach_handle_get */
		if (s->mm != m) { *err = "EBUSY"; return NULL; }
		s->users++;
		return s;
	}
	if (s && s->kind == SLOT_KERNEL && s->handle) { *err = "EBUSY"; return NULL; }  /* a handle of another type */
	refusal = attach_refusal(group, pasid);
	if (mm->domain_users[iommu] > 0 && !refusal) {              /* an existing domain attaches */
		mm->domain_users[iommu]++;
	} else {
		if (!S.iommu[iommu].sva) { *err = "EOPNOTSUPP"; return NULL; }
		int asid = lowest_free_asid(iommu);
		if (!asid) { *err = "EBUSY"; return NULL; }
		if (refusal) { *err = refusal; return NULL; }       /* the new domain is freed */
		mm->domain_users[iommu] = 1;
		mm->domain_asid[iommu] = asid;
	}
	s = slot_new();
	s->kind = SLOT_SVA; s->group = group; s->pasid = pasid; s->mm = m; s->dev = d; s->users = 1; s->gen++;
	return s;
}

/* __mmdrop → mm_pasid_drop: upstream frees always, v1/v2 only a global PASID (V9). */
static void mm_gone(struct mm *m)
{
	if (m->has_data && (S.variant == V_UPSTREAM || m->global)) ida_clear(m->pasid);
	m->state = MM_GONE;
	m->has_data = false;
}

/* ---- operations ---- */

/* upstream iommu_sva_bind_device: the PASID is published before the attach and kept (S6). */
static struct result bind_upstream(int d, int m, const char *as)
{
	struct mm *mm = &S.mm[m];
	const char *err = NULL;
	struct slot *s;
	if (S.dev[d].iommu < 0) return ERR("ENODEV");
	if (mm->has_data) {
		if (mm->pasid >= max_pasids(d)) return ERR("EOVERFLOW");
	} else {
		uint32_t p = ida_lowest_free(max_pasids(d));
		if (!p) return ERR("ENOSPC");
		ida_set(p);
		mm->has_data = true; mm->pasid = p; mm->global = true;
	}
	if (!(s = sva_attach(d, m, mm->pasid, &err))) return ERR(err);
	name_bond(as, s);
	return res_pasid(mm->pasid);
}

/* v1/v2 iommu_sva_bind_device_internal; want 0 is IOMMU_PASID_GLOBAL_ANY. */
static struct result bind_v2(int d, int m, uint32_t want, const char *as)
{
	struct mm *mm = &S.mm[m];
	bool fresh = false, global = false;
	uint32_t pasid;
	const char *err = NULL;
	struct slot *s;
#ifdef PLANT_V1_REUSE_BUG
	bool replace_idle = false;
#else
	bool replace_idle = S.variant == V_V2;
#endif
	if (S.dev[d].iommu < 0) return ERR("ENODEV");
	if (mm->has_data) {                                         /* iommu_alloc_mm_data, existing */
		if ((want == 0) != mm->global) return ERR("EBUSY");     /* no mixing (V2), sticky (V5) */
		if (!mm->global) {
			if (replace_idle && !has_domain(mm)) mm->pasid = want;  /* V4: kept even on failure */
			if (want != mm->pasid) return ERR("ENOSPC");        /* V3 */
		}
		if (mm->pasid >= max_pasids(d)) return ERR("EOVERFLOW");
		pasid = mm->pasid;
	} else if (want == 0) {
		pasid = ida_lowest_free(max_pasids(d));
		if (!pasid) return ERR("ENOSPC");
		ida_set(pasid);
		fresh = global = true;
	} else {
		if (want >= max_pasids(d)) return ERR("EOVERFLOW");  /* V6 */
		pasid = want;
		fresh = true;
	}
	if (!(s = sva_attach(d, m, pasid, &err))) {
		if (fresh && global) ida_clear(pasid);                  /* out_free_iommu_mm (V7) */
		return ERR(err);
	}
	if (fresh) { mm->has_data = true; mm->pasid = pasid; mm->global = global; }  /* published now */
	name_bond(as, s);
	return res_pasid(pasid);
}

static struct result unbind(struct slot *s)
{
	struct mm *mm = &S.mm[s->mm];
	if (--s->users > 0) return OK;
	s->kind = SLOT_FREE;                                        /* iommu_detach_device_pasid */
	if (--mm->domain_users[S.dev[s->dev].iommu] == 0) mm->domain_asid[S.dev[s->dev].iommu] = 0;
	if (mm->state == MM_EXITED && !has_domain(mm)) mm_gone(mm);  /* the last mmdrop */
	return OK;
}

static struct result get_pasid(struct slot *s)
{
	struct mm *mm = &S.mm[s->mm];
	return mm->has_data ? res_pasid(mm->pasid) : INVALID;
}

static struct result enqcmd_pasid(int m)
{
	struct mm *mm = &S.mm[m];
	if (!mm->has_data || (S.variant != V_UPSTREAM && !mm->global)) return INVALID;  /* V8 */
	return res_pasid(mm->pasid);
}

static struct result alloc_global(int d)
{
	uint32_t p = ida_lowest_free(max_pasids(d));
	if (!p) return INVALID;
	ida_set(p);
	return res_pasid(p);
}

/* handle: attached with an attach handle of its own (non-SVA) type, as iommufd attaches. */
static struct result attach_pasid(int d, uint32_t pasid, bool handle)
{
	const char *refusal;
	struct slot *s;
	if (S.dev[d].iommu < 0) return ERR("ENODEV");
	if ((refusal = attach_refusal(S.dev[d].group, pasid))) return ERR(refusal);
	s = slot_new();
	s->kind = SLOT_KERNEL; s->group = S.dev[d].group; s->pasid = pasid; s->dev = d; s->mm = -1; s->gen++;
	s->handle = handle;
	return OK;
}

static struct result mm_exit(int m)
{
	struct mm *mm = &S.mm[m];
	mm->state = MM_EXITED;                                      /* CDs fault everything from now */
	if (!has_domain(mm)) mm_gone(mm);
	return OK;
}

/* A DMA as the SMMUv3 walks the STE and the CD table. */
static struct result dma(int d, uint32_t pasid)
{
	struct slot *s;
	if (pasid >= max_pasids(d)) return pasid == 0 ? res(R_KERNEL, NULL) : res(R_FAULT, "bad_substream");
	if (pasid == 0) return res(R_KERNEL, NULL);                /* CD 0: RID traffic */
	s = slot_at(S.dev[d].group, pasid);
	if (!s) return res(R_FAULT, "bad_cd");
	if (s->kind == SLOT_KERNEL) return res(R_KERNEL, NULL);
	if (S.mm[s->mm].state != MM_LIVE) return res(R_FAULT, "translation");
	return res(R_MM, S.mm[s->mm].name);
}

/* ---- protocol ---- */

static int find_dev(const char *name)
{
	for (int i = 0; name && i < S.ndev; i++) if (json_streq(S.dev[i].name, name)) return i;
	return -1;
}

static int find_mm(const char *name)
{
	for (int i = 0; name && i < S.nmm; i++) if (json_streq(S.mm[i].name, name)) return i;
	return -1;
}

static void reset(void)
{
	for (int i = 0; i < S.ndev; i++) { free(S.dev[i].name); free(S.dev[i].json); }
	for (int i = 0; i < S.niommu; i++) free(S.iommu[i].name);
	for (int i = 0; i < S.ngroup; i++) free(S.group_name[i]);
	for (int i = 0; i < S.nmm; i++) { free(S.mm[i].name); free(S.mm[i].json); free(S.mm[i].domain_users); free(S.mm[i].domain_asid); }
	for (int i = 0; i < S.capnames; i++) free(S.names[i].key);
	free(S.dev); free(S.iommu); free(S.group_name); free(S.mm); free(S.slots); free(S.names);
	memset(&S, 0, sizeof(S));
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* A name as a JSON string (buf_str's text), made once at configure: observe writes it as is. */
static char *quoted(const char *name, size_t *len)
{
	struct buf b = { 0 };
	buf_str(&b, name);
	*len = b.len;
	return b.p;
}

/* configure: throw everything away and load the setup. Returns an error message or NULL. */
static const char *configure(const struct jv *req)
{
	const char *variant = json_str(req, "variant");
	const struct jv *setup = json_get(req, "setup");
	const struct jv *devs = json_get(setup, "devices"), *ioms = json_get(setup, "iommus"), *mms = json_get(setup, "mms");
	enum variant v;
	if (!variant) return "configure needs a variant";
	if (!strcmp(variant, "v2")) v = V_V2;
	else if (!strcmp(variant, "v1")) v = V_V1;
	else if (!strcmp(variant, "upstream")) v = V_UPSTREAM;
	else return "unsupported_variant";
	if (!devs || devs->t != J_ARR || !mms || mms->t != J_ARR || (ioms && ioms->t != J_ARR))
		return "setup needs devices[] and mms[] (and iommus[])";
	reset();
	S.variant = v;
	S.dev = calloc(devs->n + 1, sizeof(*S.dev));
	S.iommu = calloc(devs->n + (ioms ? ioms->n : 0) + 1, sizeof(*S.iommu));
	S.group_name = calloc(devs->n + 1, sizeof(*S.group_name));
	S.mm = calloc(mms->n + 1, sizeof(*S.mm));
	for (size_t i = 0; ioms && i < ioms->n; i++) {
		const struct jv *io = ioms->items[i], *sva = json_get(io, "sva");
		uint32_t bits = 16;
		if (!json_str(io, "name")) return "every iommu needs a name";
		if (json_get(io, "asid_bits") && (json_u32(io, "asid_bits", &bits) || bits < 1 || bits > 16)) return "asid_bits must be 1..16";
		S.iommu[S.niommu].name = strdup(json_str(io, "name"));
		S.iommu[S.niommu].asid_bits = (int)bits;
		S.iommu[S.niommu].sva = !(sva && sva->t == J_BOOL && !sva->b);
		S.niommu++;
	}
	for (size_t i = 0; i < devs->n; i++) {
		const struct jv *dv = devs->items[i], *io = json_get(dv, "iommu");
		const char *name = json_str(dv, "name"), *gname;
		struct device *d = &S.dev[S.ndev++];
		uint32_t bits;
		if (!name) return "every device needs a name";
		if (json_u32(dv, "ssid_bits", &bits) || bits > 20) return "ssid_bits must be 0..20";
		d->name = strdup(name); d->ssid_bits = (int)bits; d->iommu = d->group = -1;
		d->json = quoted(name, &d->jlen);
		if (io && io->t == J_NULL) continue;                    /* no IOMMU, no group */
		{
			const char *iname = io && io->t == J_STR ? io->str : "smmu0";
			int k;
			for (k = 0; k < S.niommu && strcmp(S.iommu[k].name, iname); k++) ;
			if (k == S.niommu) { S.iommu[k].name = strdup(iname); S.iommu[k].asid_bits = 16; S.iommu[k].sva = true; S.niommu++; }
			d->iommu = k;
		}
		gname = json_str(dv, "group") ? json_str(dv, "group") : name;
		for (d->group = 0; d->group < S.ngroup && strcmp(S.group_name[d->group], gname); d->group++) ;
		if (d->group == S.ngroup) S.group_name[S.ngroup++] = dup_or_null(gname);
	}
	for (size_t i = 0; i < mms->n; i++) {
		if (mms->items[i]->t != J_STR) return "mms must be names";
		S.mm[S.nmm].name = strdup(mms->items[i]->str);
		S.mm[S.nmm].json = quoted(mms->items[i]->str, &S.mm[S.nmm].jlen);
		S.mm[S.nmm].domain_users = calloc((size_t)S.niommu + 1, sizeof(int));
		S.mm[S.nmm].domain_asid = calloc((size_t)S.niommu + 1, sizeof(int));
		S.nmm++;
	}
	S.configured = true;
	return NULL;
}

/* The observation object (PROTOCOL.md §7); proto_observe answers with it or with its digest. */
static void observe(struct buf *o, const struct jv *probes)
{
	bool first = true;
	buf_put(o, "{\"bonds\":[");
	for (int i = 0; i < S.nslots; i++) {
		struct slot *s = &S.slots[i];
		if (s->kind != SLOT_SVA) continue;
		if (!first) buf_put(o, ",");
		first = false;
		buf_put(o, "{\"dev\":"); buf_putn(o, S.dev[s->dev].json, S.dev[s->dev].jlen);
		buf_put(o, ",\"pasid\":"); buf_uint(o, s->pasid); buf_put(o, ",\"mm\":"); buf_putn(o, S.mm[s->mm].json, S.mm[s->mm].jlen);
		buf_put(o, ",\"users\":"); buf_uint(o, (uint64_t)s->users); buf_put(o, "}");
	}
	buf_put(o, "],\"attaches\":[");
	first = true;
	for (int i = 0; i < S.nslots; i++) {
		struct slot *s = &S.slots[i];
		if (s->kind != SLOT_KERNEL) continue;
		if (!first) buf_put(o, ",");
		first = false;
		buf_put(o, "{\"dev\":"); buf_putn(o, S.dev[s->dev].json, S.dev[s->dev].jlen); buf_put(o, ",\"pasid\":"); buf_uint(o, s->pasid); buf_put(o, "}");
	}
	buf_put(o, "],\"mms\":[");
	for (int m = 0; m < S.nmm; m++) {
		struct mm *mm = &S.mm[m];
		static const char *const states[] = { "live", "exited", "gone" };
		bool firstd = true;
		buf_put(o, m ? ",{\"mm\":" : "{\"mm\":"); buf_putn(o, mm->json, mm->jlen);
		buf_put(o, ",\"state\":\""); buf_put(o, states[mm->state]); buf_put(o, "\",");
		if (mm->has_data) { buf_put(o, "\"pasid\":"); buf_uint(o, mm->pasid); buf_put(o, mm->global ? ",\"global\":true," : ",\"global\":false,"); }
		else buf_put(o, "\"pasid\":null,\"global\":null,");
		buf_put(o, "\"domains\":[");
		for (int k = 0; k < S.niommu; k++) {
			if (mm->domain_users[k] <= 0) continue;
			buf_put(o, firstd ? "{\"iommu\":" : ",{\"iommu\":"); buf_str(o, S.iommu[k].name);
			buf_put(o, ",\"users\":"); buf_uint(o, (uint64_t)mm->domain_users[k]); buf_put(o, "}");
			firstd = false;
		}
		buf_put(o, "]}");
	}
	buf_put(o, "],\"global_pasids\":[");
	first = true;
	uint32_t listed = 0;
	for (uint32_t w = 0; w < WORDS && listed < S.ida_count; w++) {
		for (uint64_t bits = S.ida[w]; bits; bits &= bits - 1, listed++) {
			if (!first) buf_put(o, ",");
			buf_uint(o, w * 64 + (uint32_t)__builtin_ctzll(bits));
			first = false;
		}
	}
	buf_put(o, "],\"dma\":[");
	for (size_t i = 0; probes && probes->t == J_ARR && i < probes->n; i++) {
		const struct jv *p = probes->items[i];
		const char *dev = json_str(p, "dev");
		uint32_t pasid = 0;
		int d = find_dev(dev);
		if (i) buf_put(o, ",");
		buf_put(o, "{\"dev\":");
		if (d >= 0) buf_putn(o, S.dev[d].json, S.dev[d].jlen);       /* the same name, quoted at configure */
		else buf_str(o, dev ? dev : "?");
		if (d < 0 || json_u32(p, "pasid", &pasid)) { buf_put(o, ",\"pasid\":null,\"result\":null}"); continue; }
		buf_put(o, ",\"pasid\":"); buf_uint(o, pasid); buf_put(o, ",\"result\":");
		proto_put_result(o, dma(d, pasid));
		buf_put(o, "}");
	}
	buf_put(o, "]}");
}

/* One op request: the result, or an error response. */
static void op(struct buf *o, const struct jv *req)
{
	const char *name = json_str(req, "op");
	int d = find_dev(json_str(req, "dev")), m = find_mm(json_str(req, "mm"));
	uint32_t pasid = 0;
	bool has_pasid = !json_u32(req, "pasid", &pasid);
	struct slot *h = handle(json_str(req, "handle"));
	struct result r;

	if (!name) { proto_put_error(o, req, "bad_request", "an op request needs \"op\"", NULL); return; }
#define NEED(cond, code, msg) do { if (!(cond)) { proto_put_error(o, req, code, msg, name); return; } } while (0)
	if (!strcmp(name, "bind") || !strcmp(name, "bind_pasid")) {
		NEED(d >= 0, "unknown_name", "unknown device");
		NEED(m >= 0, "unknown_name", "unknown mm");
		if (!strcmp(name, "bind")) {
			r = S.variant == V_UPSTREAM ? bind_upstream(d, m, json_str(req, "as")) : bind_v2(d, m, 0, json_str(req, "as"));
		} else {
			NEED(S.variant != V_UPSTREAM, "unsupported_op", "upstream has no bind_pasid");
			NEED(has_pasid, "bad_request", "bind_pasid needs a pasid");
			r = pasid == 0 ? ERR("EINVAL") : bind_v2(d, m, pasid, json_str(req, "as"));  /* V1 */
		}
	} else if (!strcmp(name, "unbind") || !strcmp(name, "get_pasid")) {
		NEED(h, "unknown_name", "unknown or released handle");
		r = name[0] == 'u' ? unbind(h) : get_pasid(h);
	} else if (!strcmp(name, "enqcmd_pasid") || !strcmp(name, "mm_exit")) {
		NEED(m >= 0, "unknown_name", "unknown mm");
		r = name[0] == 'e' ? enqcmd_pasid(m) : mm_exit(m);
	} else if (!strcmp(name, "alloc_global")) {
		NEED(d >= 0, "unknown_name", "unknown device");
		r = alloc_global(d);
	} else if (!strcmp(name, "free_global")) {
		NEED(has_pasid, "bad_request", "free_global needs a pasid");
		NEED(ida_held(pasid), "bad_request", "free_global of an id the allocator does not hold");
		ida_clear(pasid);
		r = OK;
	} else if (!strcmp(name, "attach_pasid") || !strcmp(name, "detach_pasid") || !strcmp(name, "dma")) {
		NEED(d >= 0, "unknown_name", "unknown device");
		NEED(has_pasid, "bad_request", "a pasid is needed");
		if (name[0] == 'a') {
			const struct jv *h = json_get(req, "handle");
			r = attach_pasid(d, pasid, h && h->t == J_BOOL && h->b);
		}
		else if (name[1] == 'm') r = dma(d, pasid);
		else {
			struct slot *s = S.dev[d].iommu < 0 ? NULL : slot_at(S.dev[d].group, pasid);
			NEED(s && s->kind == SLOT_KERNEL, "bad_request", "no attach_pasid domain there");
			s->kind = SLOT_FREE;                            /* detach never fails (B3) */
			r = OK;
		}
	} else {
		proto_put_error(o, req, "unsupported_op", "unknown op", name);
		return;
	}
#undef NEED
	proto_put_id(o, req);
	buf_put(o, "\"result\":");
	proto_put_result(o, r);
	buf_put(o, "}");
}

static const char *const OPS =
	"[\"bind\",\"bind_pasid\",\"unbind\",\"get_pasid\",\"enqcmd_pasid\",\"alloc_global\","
	"\"free_global\",\"attach_pasid\",\"detach_pasid\",\"mm_exit\",\"dma\"]";

/* One request other than a batch (protocol.c frames lines and batches); returns 1 after shutdown. */
static int request(struct buf *o, const struct jv *req, const char *type, int inner)
{
	(void)inner;
	if (!strcmp(type, "hello")) {
		proto_put_id(o, req);
#ifdef PLANT_V1_REUSE_BUG
		buf_put(o, "\"hello\":{\"name\":\"sva-c (examples/c, PLANTED v1 reuse bug)\",\"protocol\":1,");
#else
		buf_put(o, "\"hello\":{\"name\":\"sva-c (examples/c)\",\"protocol\":1,");
#endif
		buf_put(o, "\"variants\":[\"v2\",\"v1\",\"upstream\"],\"ops\":");
		buf_put(o, OPS);
		buf_put(o, ",\"capabilities\":{\"batch\":1,\"digest\":1}}}");
	} else if (!strcmp(type, "configure")) {
		const char *err = configure(req);
		if (err && !strcmp(err, "unsupported_variant")) proto_put_error(o, req, "unsupported_variant", "variants: v2, v1, upstream; asked", json_str(req, "variant"));
		else if (err) { proto_put_error(o, req, "bad_request", err, NULL); S.configured = false; }
		else { proto_put_id(o, req); buf_put(o, "\"result\":\"ok\"}"); }
	} else if (!strcmp(type, "shutdown")) {
		proto_put_id(o, req); buf_put(o, "\"result\":\"ok\"}");
		return 1;
	} else if (!strcmp(type, "op") || !strcmp(type, "observe")) {
		if (!S.configured) proto_put_error(o, req, "not_configured", "configure first", NULL);
		else if (type[0] == 'o' && type[1] == 'p') op(o, req);
		else proto_observe(o, req, observe);
	} else {
		proto_put_error(o, req, "bad_request", "unknown request type", type);
	}
	return 0;
}

int main(void)
{
	proto_serve(request);
	reset();
	return 0;
}
