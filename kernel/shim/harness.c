// SPDX-License-Identifier: MIT
/*
 * sva-kernel: a kernel tree's own drivers/iommu/iommu-sva.c, built in userspace against
 * svacheck's shim, speaking svacheck's subprocess protocol (conformance/PROTOCOL.md, v1) so the
 * conformance runner can hold the real kernel code to the spec. Optional capabilities:
 * fail_nth (per-op fault injection: "fail_nth": n fails the n-th fallible call of the op; every
 * op response says "calls": k and, when injected, where), leaks ({"type":"leaks"}: tear down as
 * a caller would and count what is left), batch and digest (observe answers with the digest
 * alone when it is the one the runner expects: PROTOCOL.md §12).
 *
 *   sva-kernel --variant v2 [--variant NAME ...] [--name TEXT]
 *
 * Each op is the kernel call a driver would make; the harness holds the caller's side (the
 * handles it was given, the ids alloc_global returned, the domains attach_pasid attached).
 */
#include "shim.h"
#include "../../examples/c/json.h"
#include "../../examples/c/protocol.h"

#include <stdlib.h>
#include <string.h>

#define PROGRAM "sva-kernel"

#define PUSH(arr, n, cap)                                                              \
	do {                                                                           \
		if ((n) == (cap)) {                                                    \
			(cap) = (cap) ? 2 * (cap) : 16;                                \
			(arr) = realloc((arr), (size_t)(cap) * sizeof(*(arr)));       \
			if (!(arr)) { fputs(PROGRAM ": out of memory\n", stderr); exit(70); } \
		}                                                                      \
		(n)++;                                                                 \
	} while (0)

struct hdev { char *name; struct device dev; };
struct hsmmu { char *name; struct arm_smmu_device *smmu; };
struct hgroup { char *name; struct iommu_group *group; };
struct hmm { char *name; struct mm_struct *mm; };
struct hname { char *name; struct iommu_sva *h; };
struct href { struct iommu_sva *h; int refs; };     /* references the caller holds */
struct hattach { int dev; ioasid_t pasid; struct iommu_domain *domain; struct iommu_attach_handle *handle; };

static struct {
	const char *name;
	const char **variants; int nvariants, capvariants;
	bool configured;
	struct hdev *devs; int ndev, capdev;
	struct hsmmu *smmus; int nsmmu, capsmmu;
	struct hgroup *groups; int ngroup, capgroup;
	struct hmm *mms; int nmm, capmm;
	struct hname *names; int nnames, capnames;
	struct href *refs; int nrefs, caprefs;
	struct hattach *att; int natt, capatt;
	u32 *held; int nheld, capheld;                  /* alloc_global ids the caller holds */
	void **grave; int ngrave, capgrave;             /* previous runs' mms: freed at exit */
} H;

/* ---- results ---- */
#define res proto_res

static const char *errno_name(long e)
{
	switch (e) {
	case -EBUSY: return "EBUSY";
	case -ENOSPC: return "ENOSPC";
	case -EOVERFLOW: return "EOVERFLOW";
	case -EINVAL: return "EINVAL";
	case -ENODEV: return "ENODEV";
	case -ENOMEM: return "ENOMEM";
	case -EOPNOTSUPP: return "EOPNOTSUPP";
	default: return NULL;
	}
}

static struct result dma_result(struct device *dev, u32 pasid)
{
	struct shim_dma d = shim_smmu_dma(dev, pasid);
	switch (d.kind) {
	case DMA_KERNEL: return res(R_KERNEL, 0, NULL);
	case DMA_MM: return res(R_MM, 0, d.mm);
	default: return res(R_FAULT, 0, d.fault);
	}
}

/* ---- lookups ---- */
static int find_dev(const char *name)
{
	for (int i = 0; name && i < H.ndev; i++) if (!strcmp(H.devs[i].name, name)) return i;
	return -1;
}

static int find_mm(const char *name)
{
	for (int i = 0; name && i < H.nmm; i++) if (!strcmp(H.mms[i].name, name)) return i;
	return -1;
}

static struct href *find_ref(struct iommu_sva *h)
{
	for (int i = 0; i < H.nrefs; i++) if (H.refs[i].h == h) return &H.refs[i];
	return NULL;
}

static struct iommu_sva *find_handle(const char *name)
{
	for (int i = 0; name && i < H.nnames; i++)
		if (!strcmp(H.names[i].name, name)) return find_ref(H.names[i].h) ? H.names[i].h : NULL;
	return NULL;
}

static void name_handle(const char *name, struct iommu_sva *h)
{
	for (int i = 0; i < H.nnames; i++)
		if (!strcmp(H.names[i].name, name)) { H.names[i].h = h; return; }
	PUSH(H.names, H.nnames, H.capnames);
	H.names[H.nnames - 1] = (struct hname){ strdup(name), h };
}

/* The caller got one more reference to h (a successful bind). */
static void ref_get(struct iommu_sva *h)
{
	struct href *r = find_ref(h);
	if (r) { r->refs++; return; }
	PUSH(H.refs, H.nrefs, H.caprefs);
	H.refs[H.nrefs - 1] = (struct href){ h, 1 };
}

/* The caller gave one back (unbind): at zero, the names denoting it are forgotten. */
static void ref_put(struct iommu_sva *h)
{
	struct href *r = find_ref(h);
	if (!r || --r->refs > 0) return;
	memmove(r, r + 1, (size_t)(H.refs + H.nrefs - (r + 1)) * sizeof(*r));
	H.nrefs--;
	for (int i = 0; i < H.nnames; )
		if (H.names[i].h == h) { free(H.names[i].name); H.names[i] = H.names[--H.nnames]; }
		else i++;
}

static struct hattach *find_attach(struct iommu_group *g, u32 pasid)
{
	for (int i = 0; g && i < H.natt; i++)
		if (H.devs[H.att[i].dev].dev.iommu_group == g && H.att[i].pasid == pasid) return &H.att[i];
	return NULL;
}

/* ---- the caller's teardown (leaks, reconfigure) ---- */
static void unbind_one(struct iommu_sva *h) { iommu_sva_unbind_device(h); ref_put(h); }

static void detach_one(struct hattach *a)
{
	struct hattach copy = *a;
	iommu_detach_device_pasid(copy.domain, &H.devs[copy.dev].dev, copy.pasid);
	iommu_domain_free(copy.domain);
	free(copy.handle);
	*a = H.att[--H.natt];
}

static void teardown(void)
{
	shim_fault_disable();
	while (H.nrefs > 0) unbind_one(H.refs[0].h);
	while (H.natt > 0) detach_one(&H.att[0]);
	while (H.nheld > 0) iommu_free_global_pasid(H.held[--H.nheld]);
	for (int i = 0; i < H.nmm; i++)
		if (H.mms[i].mm->mm_users > 0 && !H.mms[i].mm->svacheck_gone) mmput(H.mms[i].mm);
	shim_run_deferred();
}

/* Throw the run away. What the kernel code still holds is abandoned, not freed: its static
 * lists may point into it. */
static void reset(void)
{
	for (int i = 0; i < H.ndev; i++) { shim_smmu_release_device(&H.devs[i].dev); free(H.devs[i].name); }
	shim_abandon_all();
	for (int i = 0; i < H.ngroup; i++) { shim_group_destroy(H.groups[i].group); free(H.groups[i].name); }
	for (int i = 0; i < H.nsmmu; i++) { shim_smmu_destroy(H.smmus[i].smmu); free(H.smmus[i].name); }
	for (int i = 0; i < H.nmm; i++) {
		PUSH(H.grave, H.ngrave, H.capgrave); H.grave[H.ngrave - 1] = H.mms[i].mm;
		PUSH(H.grave, H.ngrave, H.capgrave); H.grave[H.ngrave - 1] = H.mms[i].name;
	}
	for (int i = 0; i < H.nnames; i++) free(H.names[i].name);
	for (int i = 0; i < H.natt; i++) {     /* harness-owned */
		H.att[i].domain->ops->free(H.att[i].domain);
		free(H.att[i].handle);
	}
	H.ndev = H.ngroup = H.nsmmu = H.nmm = H.nnames = H.nrefs = H.natt = H.nheld = 0;
	shim_iommu_reset();
	shim_smmu_reset();
	shim_mm_reset();
	H.configured = false;
}

/* ---- configure ---- */
static bool variant_known(const char *v)
{
	for (int i = 0; i < H.nvariants; i++) if (!strcmp(H.variants[i], v)) return true;
	return false;
}

static struct arm_smmu_device *smmu_named(const char *name, unsigned asid_bits, bool sva, bool create)
{
	for (int i = 0; i < H.nsmmu; i++) if (!strcmp(H.smmus[i].name, name)) return H.smmus[i].smmu;
	if (!create) return NULL;
	PUSH(H.smmus, H.nsmmu, H.capsmmu);
	H.smmus[H.nsmmu - 1].name = strdup(name);
	H.smmus[H.nsmmu - 1].smmu = shim_smmu_create(H.smmus[H.nsmmu - 1].name, asid_bits, sva);
	return H.smmus[H.nsmmu - 1].smmu;
}

static struct iommu_group *group_named(const char *name)
{
	for (int i = 0; i < H.ngroup; i++) if (!strcmp(H.groups[i].name, name)) return H.groups[i].group;
	PUSH(H.groups, H.ngroup, H.capgroup);
	H.groups[H.ngroup - 1].name = strdup(name);
	H.groups[H.ngroup - 1].group = shim_group_create(H.groups[H.ngroup - 1].name);
	return H.groups[H.ngroup - 1].group;
}

/* Returns NULL, "unsupported_variant", or a bad_request message. */
static const char *configure(const struct jv *req)
{
	const char *variant = json_str(req, "variant");
	const struct jv *setup = json_get(req, "setup");
	const struct jv *devs = json_get(setup, "devices"), *ioms = json_get(setup, "iommus"), *mms = json_get(setup, "mms");

	if (!variant) return "configure needs a variant";
	if (!variant_known(variant)) return "unsupported_variant";
	if (!devs || devs->t != J_ARR || !mms || mms->t != J_ARR || (ioms && ioms->t != J_ARR))
		return "setup needs devices[] and mms[] (and iommus[])";
	if (H.configured) teardown();
	reset();
	for (size_t i = 0; ioms && i < ioms->n; i++) {
		const struct jv *io = ioms->items[i], *sva = json_get(io, "sva");
		uint32_t bits = 16;
		if (!json_str(io, "name")) return "every iommu needs a name";
		if (json_get(io, "asid_bits") && (json_u32(io, "asid_bits", &bits) || bits < 1 || bits > 16)) return "asid_bits must be 1..16";
		if (smmu_named(json_str(io, "name"), 0, false, false)) return "two iommus with one name";
		smmu_named(json_str(io, "name"), bits, !(sva && sva->t == J_BOOL && !sva->b), true);
	}
	if ((size_t)H.capdev < devs->n) {      /* devices never move once probed */
		H.devs = realloc(H.devs, devs->n * sizeof(*H.devs));
		if (!H.devs) exit(70);
		H.capdev = (int)devs->n;
	}
	for (size_t i = 0; i < devs->n; i++) {
		const struct jv *dv = devs->items[i], *io = json_get(dv, "iommu");
		const char *name = json_str(dv, "name");
		uint32_t bits;
		if (!name) return "every device needs a name";
		if (find_dev(name) >= 0) return "two devices with one name";
		if (json_u32(dv, "ssid_bits", &bits) || bits > 20) return "ssid_bits must be 0..20";
		PUSH(H.devs, H.ndev, H.capdev);
		struct hdev *d = &H.devs[H.ndev - 1];
		memset(d, 0, sizeof(*d));
		d->name = strdup(name);
		d->dev.init_name = d->name;
		if (io && io->t == J_NULL) continue;            /* behind no IOMMU: no dev->iommu, no group */
		shim_smmu_probe_device(smmu_named(io && io->t == J_STR ? io->str : "smmu0", 16, true, true), &d->dev, bits);
		shim_group_add_device(group_named(json_str(dv, "group") ? json_str(dv, "group") : name), &d->dev);
	}
	for (size_t i = 0; i < mms->n; i++) {
		if (mms->items[i]->t != J_STR) return "mms must be names";
		if (find_mm(mms->items[i]->str) >= 0) return "two mms with one name";
		PUSH(H.mms, H.nmm, H.capmm);
		H.mms[H.nmm - 1].name = strdup(mms->items[i]->str);
		H.mms[H.nmm - 1].mm = shim_mm_create(H.mms[H.nmm - 1].name);
	}
	H.configured = true;
	return NULL;
}

/* ---- observe ---- */
static void put_ida_id(u32 id, void *ctx)
{
	struct buf *o = ctx;
	buf_printf(o, o->p[o->len - 1] == '[' ? "%u" : ",%u", id);
}

static const char *attach_dev_name(struct iommu_group *g, u32 pasid)
{
	struct hattach *a = find_attach(g, pasid);
	return a ? H.devs[a->dev].name : g->name;
}

/* The observation object (PROTOCOL.md §7); proto_observe answers with it or with its digest. */
static void observe(struct buf *o, const struct jv *probes)
{
	bool first = true;

	buf_put(o, "{\"bonds\":[");
	for (int g = 0; g < H.ngroup; g++) {
		struct iommu_group *grp = H.groups[g].group;
		for (int i = 0; i < grp->nentries; i++) {
			struct shim_xa_entry *e = &grp->pasid_array[i];
			struct iommu_attach_handle *ah = e->ptr;
			struct iommu_sva *sva;
			if (e->kind != XA_HANDLE || ah->domain->type != IOMMU_DOMAIN_SVA) continue;
			sva = container_of(ah, struct iommu_sva, handle);
			buf_put(o, first ? "{\"dev\":" : ",{\"dev\":");
			first = false;
			buf_str(o, sva->dev ? sva->dev->init_name : "?");
			buf_printf(o, ",\"pasid\":%u,\"mm\":", e->pasid);
			buf_str(o, ah->domain->mm->svacheck_name);
			buf_printf(o, ",\"users\":%u}", refcount_read(&sva->users));
		}
	}
	buf_put(o, "],\"attaches\":[");
	first = true;
	for (int g = 0; g < H.ngroup; g++) {
		struct iommu_group *grp = H.groups[g].group;
		for (int i = 0; i < grp->nentries; i++) {
			struct shim_xa_entry *e = &grp->pasid_array[i];
			struct iommu_domain *d = e->kind == XA_DOMAIN ? e->ptr
				: e->kind == XA_HANDLE ? ((struct iommu_attach_handle *)e->ptr)->domain : NULL;
			if (!d || d->type == IOMMU_DOMAIN_SVA) continue;
			buf_put(o, first ? "{\"dev\":" : ",{\"dev\":");
			first = false;
			buf_str(o, attach_dev_name(grp, e->pasid));
			buf_printf(o, ",\"pasid\":%u}", e->pasid);
		}
	}
	buf_put(o, "],\"mms\":[");
	for (int m = 0; m < H.nmm; m++) {
		struct mm_struct *mm = H.mms[m].mm;
		struct iommu_mm_data *imm = mm->svacheck_gone ? NULL : mm->iommu_mm;
		const char *state = mm->svacheck_gone ? "gone" : mm->mm_users > 0 ? "live" : "exited";
		buf_put(o, m ? ",{\"mm\":" : "{\"mm\":");
		buf_str(o, H.mms[m].name);
		buf_printf(o, ",\"state\":\"%s\",", state);
		if (imm) {
#if SVACHECK_HAVE_PASID_GLOBAL
			bool global = imm->pasid_global;
#else
			bool global = true;
#endif
			buf_printf(o, "\"pasid\":%u,\"global\":%s,\"domains\":[", imm->pasid, global ? "true" : "false");
			struct iommu_domain *d;
			bool firstd = true;
			list_for_each_entry(d, &imm->sva_domains, next) {
				buf_put(o, firstd ? "{\"iommu\":" : ",{\"iommu\":");
				firstd = false;
				buf_str(o, shim_smmu_domain_iommu_name(d));
				buf_printf(o, ",\"users\":%d}", d->users);
			}
			buf_put(o, "]}");
		} else {
			buf_put(o, "\"pasid\":null,\"global\":null,\"domains\":[]}");
		}
	}
	buf_put(o, "],\"global_pasids\":[");
	shim_ida_each(&shim_global_pasid_ida, put_ida_id, o);
	buf_put(o, "],\"dma\":[");
	for (size_t i = 0; probes && probes->t == J_ARR && i < probes->n; i++) {
		const struct jv *p = probes->items[i];
		uint32_t pasid = 0;
		int d = find_dev(json_str(p, "dev"));
		if (i) buf_put(o, ",");
		buf_put(o, "{\"dev\":");
		buf_str(o, json_str(p, "dev") ? json_str(p, "dev") : "?");
		if (d < 0 || json_u32(p, "pasid", &pasid)) { buf_put(o, ",\"pasid\":null,\"result\":null}"); continue; }
		buf_printf(o, ",\"pasid\":%u,\"result\":", pasid);
		proto_put_result(o, dma_result(&H.devs[d].dev, pasid));
		buf_put(o, "}");
	}
	buf_put(o, "]}");
}

/* ---- leaks ---- */
static void put_leak(const char *label, const char *file, int line, void *ctx)
{
	struct buf *o = ctx;
	char text[512];
	snprintf(text, sizeof(text), "%s allocated at %s:%d", label, file, line);
	if (o->p[o->len - 1] != '[') buf_put(o, ",");
	buf_str(o, text);
}

static void leaks(struct buf *o, const struct jv *req)
{
	size_t cds = 0;
	long mm_refs = 0;

	teardown();
	for (int i = 0; i < H.ndev; i++) cds += shim_smmu_valid_cds(&H.devs[i].dev);
	for (int i = 0; i < H.nmm; i++)
		if (!H.mms[i].mm->svacheck_gone) mm_refs += H.mms[i].mm->mm_count;
	proto_put_id(o, req);
	buf_printf(o, "\"leaks\":{\"objects\":%zu,\"pasids\":%u,\"asids\":%u,\"cd_entries\":%zu,\"mm_refs\":%ld,\"list\":[",
		   shim_live_objects(NULL, NULL), shim_global_pasid_ida.count, shim_asid_pool.count, cds, mm_refs);
	shim_live_objects(put_leak, o);
	buf_put(o, "]}}");
	reset();
}

/* ---- ops ---- */
static char bad_errno[128];

static struct result from_err(long err, const char **bad)
{
	const char *e = errno_name(err);
	if (!e) {
		snprintf(bad_errno, sizeof(bad_errno), "the kernel returned errno %ld (%s), outside the protocol's list",
			 -err, strerror((int)-err));
		*bad = bad_errno;
	}
	return res(R_ERRNO, 0, e ? e : "?");
}

static struct result bind_result(struct iommu_sva *h, const char *as, const char **bad)
{
	u32 pasid;
	if (IS_ERR(h)) return from_err(PTR_ERR(h), bad);
	if (!h) { *bad = "the bind returned NULL"; return res(R_INVALID, 0, NULL); }
	ref_get(h);
	if (as) name_handle(as, h);
	pasid = iommu_sva_get_pasid(h);
	return pasid == IOMMU_PASID_INVALID ? res(R_INVALID, 0, NULL) : res(R_PASID, pasid, NULL);
}

static void op(struct buf *o, const struct jv *req)
{
	const char *name = json_str(req, "op"), *bad = NULL;
	int d = find_dev(json_str(req, "dev")), m = find_mm(json_str(req, "mm"));
	const struct jv *hv = json_get(req, "handle");
	struct iommu_sva *h = hv && hv->t == J_STR ? find_handle(hv->str) : NULL;
	uint32_t pasid = 0, fail_nth = 0;
	bool has_pasid = !json_u32(req, "pasid", &pasid);
	struct mm_struct *mm = m >= 0 ? H.mms[m].mm : NULL;
	struct device *dev = d >= 0 ? &H.devs[d].dev : NULL;
	struct result r = res(R_OK, 0, NULL);
	unsigned calls;
	bool injected;
	const char *site, *point;
	char errmsg[256];

	if (!name) { proto_put_error(o, req, "bad_request", "an op request needs \"op\"", NULL); return; }
	if (json_get(req, "fail_nth") && json_u32(req, "fail_nth", &fail_nth)) {
		proto_put_error(o, req, "bad_request", "fail_nth must be a non-negative integer", NULL);
		return;
	}
#define NEED(cond, code, msg) do { if (!(cond)) { proto_put_error(o, req, code, msg, name); return; } } while (0)
	/* Check the request (names, the caller's contract) before running anything. */
	if (!strcmp(name, "bind") || !strcmp(name, "bind_pasid")) {
		NEED(dev, "unknown_name", "unknown device");
		NEED(mm, "unknown_name", "unknown mm");
		NEED(mm->mm_users > 0 && !mm->svacheck_gone, "bad_request", "caller-contract violation: binding an exited mm");
#if SVACHECK_HAVE_BIND_PASID
		if (name[4]) NEED(has_pasid, "bad_request", "bind_pasid needs a pasid");
#else
		NEED(!name[4], "unsupported_op", "this tree has no iommu_sva_bind_device_pasid");
#endif
	} else if (!strcmp(name, "unbind") || !strcmp(name, "get_pasid")) {
		NEED(h, "unknown_name", "unknown or released handle");
	} else if (!strcmp(name, "enqcmd_pasid") || !strcmp(name, "mm_exit")) {
		NEED(mm, "unknown_name", "unknown mm");
		NEED(!mm->svacheck_gone, "bad_request", "caller-contract violation: the mm is gone");
		if (name[0] == 'm') NEED(mm->mm_users > 0, "bad_request", "caller-contract violation: the mm already exited");
	} else if (!strcmp(name, "alloc_global")) {
		NEED(dev, "unknown_name", "unknown device");
#ifndef SVACHECK_NO_IOMMU_ALLOC_GLOBAL_INVALID   /* test builds: answer INVALID to explore past it */
		NEED(dev->iommu, "bad_request",
		     "caller-contract violation: alloc_global on a device behind no IOMMU (iommu_alloc_global_pasid dereferences dev->iommu, NULL here)");
#endif
	} else if (!strcmp(name, "free_global")) {
		NEED(has_pasid, "bad_request", "free_global needs a pasid");
		int k;
		for (k = 0; k < H.nheld && H.held[k] != pasid; k++) ;
		NEED(k < H.nheld, "bad_request", "caller-contract violation: free_global of an id alloc_global did not return");
	} else if (!strcmp(name, "attach_pasid") || !strcmp(name, "detach_pasid") || !strcmp(name, "dma")) {
		NEED(dev, "unknown_name", "unknown device");
		NEED(has_pasid, "bad_request", "a pasid is needed");
		if (!strcmp(name, "detach_pasid"))
			NEED(find_attach(dev->iommu_group, pasid), "bad_request", "caller-contract violation: no attach_pasid domain there");
	} else {
		proto_put_error(o, req, "unsupported_op", "unknown op", name);
		return;
	}
#undef NEED

	shim_fault_begin(fail_nth);
	if (!strcmp(name, "bind")) {
		r = bind_result(iommu_sva_bind_device(dev, mm), json_str(req, "as"), &bad);
#if SVACHECK_HAVE_BIND_PASID
	} else if (!strcmp(name, "bind_pasid")) {
		r = bind_result(iommu_sva_bind_device_pasid(dev, mm, pasid), json_str(req, "as"), &bad);
#endif
	} else if (!strcmp(name, "unbind")) {
		unbind_one(h);
	} else if (!strcmp(name, "get_pasid")) {
		u32 p = iommu_sva_get_pasid(h);
		r = p == IOMMU_PASID_INVALID ? res(R_INVALID, 0, NULL) : res(R_PASID, p, NULL);
	} else if (!strcmp(name, "enqcmd_pasid")) {
		u32 p = mm_get_enqcmd_pasid(mm);
		r = p == IOMMU_PASID_INVALID ? res(R_INVALID, 0, NULL) : res(R_PASID, p, NULL);
	} else if (!strcmp(name, "alloc_global")) {
		ioasid_t p = dev->iommu ? iommu_alloc_global_pasid(dev) : IOMMU_PASID_INVALID;
		if (p == IOMMU_PASID_INVALID) {
			r = res(R_INVALID, 0, NULL);
		} else {
			PUSH(H.held, H.nheld, H.capheld);
			H.held[H.nheld - 1] = p;
			r = res(R_PASID, p, NULL);
		}
	} else if (!strcmp(name, "free_global")) {
		for (int k = 0; k < H.nheld; k++)
			if (H.held[k] == pasid) { H.held[k] = H.held[--H.nheld]; break; }
		iommu_free_global_pasid(pasid);
	} else if (!strcmp(name, "attach_pasid")) {
		const struct jv *want = json_get(req, "handle");
		struct iommu_domain *domain = shim_smmu_paging_domain_alloc(dev);
		struct iommu_attach_handle *ah = want && want->t == J_BOOL && want->b ? calloc(1, sizeof(*ah)) : NULL;
		int ret = iommu_attach_device_pasid(domain, dev, pasid, ah);
		if (ret) {
			iommu_domain_free(domain);
			free(ah);
			r = from_err(ret, &bad);
		} else {
			PUSH(H.att, H.natt, H.capatt);
			H.att[H.natt - 1] = (struct hattach){ d, pasid, domain, ah };
		}
	} else if (!strcmp(name, "detach_pasid")) {
		detach_one(find_attach(dev->iommu_group, pasid));
	} else if (!strcmp(name, "mm_exit")) {
		mmput(mm);
	} else if (!strcmp(name, "dma")) {
		r = dma_result(dev, pasid);
	}
	shim_run_deferred();            /* an SRCU grace period passes between operations */
	shim_fault_end(&calls, &injected, &site, &point);
	shim_fault_disable();

	if (bad) {
		snprintf(errmsg, sizeof(errmsg), "%s (%s)", bad, name);
		proto_put_error(o, req, "internal", errmsg, NULL);
		return;
	}
	proto_put_id(o, req);
	buf_put(o, "\"result\":");
	proto_put_result(o, r);
	buf_printf(o, ",\"calls\":%u", calls);
	if (injected) {
		buf_put(o, ",\"injected\":{\"site\":");
		buf_str(o, site);
		buf_put(o, ",\"point\":");
		buf_str(o, point);
		buf_put(o, "}");
	}
	buf_put(o, "}");
}

/* ---- requests ---- */
static void put_hello(struct buf *o, const struct jv *req)
{
	proto_put_id(o, req);
	buf_put(o, "\"hello\":{\"name\":");
	buf_str(o, H.name);
	buf_put(o, ",\"protocol\":1,\"variants\":[");
	for (int i = 0; i < H.nvariants; i++) {
		if (i) buf_put(o, ",");
		buf_str(o, H.variants[i]);
	}
	buf_put(o, "],\"ops\":[\"bind\",");
#if SVACHECK_HAVE_BIND_PASID
	buf_put(o, "\"bind_pasid\",");
#endif
	buf_put(o, "\"unbind\",\"get_pasid\",\"enqcmd_pasid\",\"alloc_global\",\"free_global\","
		   "\"attach_pasid\",\"detach_pasid\",\"mm_exit\",\"dma\"],"
		   "\"capabilities\":{\"batch\":1,\"digest\":1,\"fail_nth\":1,\"leaks\":1}}}");
}

/* One request other than a batch (protocol.c frames lines and batches); returns 1 after shutdown. */
static int request(struct buf *o, const struct jv *req, const char *type, int inner)
{
	(void)inner;
	if (!strcmp(type, "hello")) {
		put_hello(o, req);
	} else if (!strcmp(type, "configure")) {
		const char *err = configure(req);
		if (err && !strcmp(err, "unsupported_variant")) proto_put_error(o, req, "unsupported_variant", "this build serves the variants named by --variant; asked", json_str(req, "variant"));
		else if (err) { proto_put_error(o, req, "bad_request", err, NULL); H.configured = false; }
		else { proto_put_id(o, req); buf_put(o, "\"result\":\"ok\"}"); }
	} else if (!strcmp(type, "shutdown")) {
		proto_put_id(o, req);
		buf_put(o, "\"result\":\"ok\"}");
		return 1;
	} else if (!strcmp(type, "op") || !strcmp(type, "observe") || !strcmp(type, "leaks")) {
		if (!H.configured) proto_put_error(o, req, "not_configured", "configure first", NULL);
		else if (!strcmp(type, "op")) op(o, req);
		else if (!strcmp(type, "observe")) proto_observe(o, req, observe);
		else leaks(o, req);
	} else {
		proto_put_error(o, req, "bad_request", "unknown request type", type);
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: " PROGRAM " --variant NAME [--variant NAME ...] [--name TEXT]\n"
	      "  speaks svacheck's subprocess protocol (conformance/PROTOCOL.md) on stdin/stdout\n", stderr);
	exit(64);
}

int main(int argc, char **argv)
{
	H.name = "iommu-sva.c (kernel tree, svacheck shim)";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--variant") && i + 1 < argc) {
			PUSH(H.variants, H.nvariants, H.capvariants);
			H.variants[H.nvariants - 1] = argv[++i];
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			H.name = argv[++i];
		} else {
			usage();
		}
	}
	if (!H.nvariants) {
		PUSH(H.variants, H.nvariants, H.capvariants);
		H.variants[0] = SVACHECK_HAVE_BIND_PASID ? "v2" : "upstream";
	}
	shim_iommu_reset();
	shim_smmu_reset();
	shim_fault_disable();

	proto_serve(request);
	reset();
	shim_free_abandoned();
	for (int i = 0; i < H.ngrave; i++) free(H.grave[i]);
	free(H.grave); free(H.devs); free(H.smmus); free(H.groups); free(H.mms); free(H.names);
	free(H.refs); free(H.att); free(H.held); free(H.variants);
	shim_ida_destroy(&shim_global_pasid_ida);
	shim_ida_destroy(&shim_asid_pool);
	return 0;
}
