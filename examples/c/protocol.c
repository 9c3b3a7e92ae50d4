/* The framing of svacheck's subprocess protocol: see protocol.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#undef R_OK          /* access()'s, not needed here: protocol.h names a result kind R_OK */
#include "protocol.h"

struct result proto_res(enum rkind k, uint32_t pasid, const char *s)
{
	struct result r = { k, pasid, s };
	return r;
}

void proto_put_result(struct buf *o, struct result r)
{
	switch (r.k) {
	case R_PASID: buf_put(o, "{\"pasid\":"); buf_uint(o, r.pasid); buf_put(o, "}"); break;
	case R_OK: buf_put(o, "\"ok\""); break;
	case R_INVALID: buf_put(o, "\"INVALID\""); break;
	case R_KERNEL: buf_put(o, "\"kernel\""); break;
	case R_ERRNO: buf_put(o, "{\"errno\":"); buf_str(o, r.s); buf_put(o, "}"); break;
	case R_MM: buf_put(o, "{\"mm\":"); buf_str(o, r.s); buf_put(o, "}"); break;
	case R_FAULT: buf_put(o, "{\"fault\":"); buf_str(o, r.s); buf_put(o, "}"); break;
	}
}

void proto_put_id(struct buf *o, const struct jv *req)
{
	const struct jv *id = req ? json_get(req, "id") : NULL;
	if (id && id->t == J_NUM && id->num >= 0 && id->num < 9007199254740992.0 && id->num == (double)(uint64_t)id->num) { buf_put(o, "{\"id\":"); buf_uint(o, (uint64_t)id->num); buf_put(o, ","); }
	else if (id && id->t == J_NUM) buf_printf(o, "{\"id\":%.0f,", id->num);
	else buf_put(o, "{\"id\":null,");
}

void proto_put_error(struct buf *o, const struct jv *req, const char *code, const char *msg, const char *what)
{
	char text[512];
	snprintf(text, sizeof(text), "%s%s%s", msg, what ? ": " : "", what ? what : "");
	proto_put_id(o, req);
	buf_put(o, "\"error\":{\"code\":"); buf_str(o, code);
	buf_put(o, ",\"message\":"); buf_str(o, text); buf_put(o, "}}");
}

/*
 * The observation digest (PROTOCOL.md §12; conformance/protocol/digest.ts computes the same):
 * each item of the observation is a list of tokens, hashed on its own (the bytes of each token
 * and a 0 byte after it, two 32-bit lanes, cyrb53's finish); the digest is the sum of the item
 * hashes, lane by lane, modulo 2^32, so the order of the lists does not matter.
 */
struct digest { uint32_t h1, h2, s1, s2; };

static void dg_byte(struct digest *g, unsigned char c)
{
	g->h1 = (uint32_t)((g->h1 ^ c) * 2654435761u);
	g->h2 = (uint32_t)((g->h2 ^ c) * 1597334677u);
}

static void dg_token(struct digest *g, const char *s)
{
	for (; s && *s; s++) dg_byte(g, (unsigned char)*s);
	dg_byte(g, 0);
}

/* A number in decimal, null, true or false: a value of the observation as its token. */
static void dg_value(struct digest *g, const struct jv *v)
{
	char text[32];
	if (!v || v->t == J_NULL) dg_token(g, "null");
	else if (v->t == J_BOOL) dg_token(g, v->b ? "true" : "false");
	else if (v->t == J_STR) dg_token(g, v->str);
	else if (v->t == J_NUM && v->num >= 0 && v->num < 9007199254740992.0 && v->num == (double)(uint64_t)v->num) {
		/* an integer (every number of an observation): its decimal digits, as "%.0f" writes them */
		uint64_t n = (uint64_t)v->num;
		size_t i = sizeof(text) - 1;
		text[i] = '\0';
		do { text[--i] = (char)('0' + n % 10); n /= 10; } while (n);
		dg_token(g, text + i);
	}
	else if (v->t == J_NUM) { snprintf(text, sizeof(text), "%.0f", v->num); dg_token(g, text); }
	else dg_token(g, "?");
}

static void dg_begin(struct digest *g, const char *tag)
{
	g->h1 = 0xdeadbeefu;
	g->h2 = 0x41c6ce57u;
	dg_token(g, tag);
}

static void dg_end(struct digest *g)
{
	uint32_t a = g->h1, b = g->h2;
	a = (uint32_t)((a ^ (a >> 16)) * 2246822507u); a ^= (uint32_t)((b ^ (b >> 13)) * 3266489909u);
	b = (uint32_t)((b ^ (b >> 16)) * 2246822507u); b ^= (uint32_t)((a ^ (a >> 13)) * 3266489909u);
	g->s1 += a;
	g->s2 += b;
}

/* The items of one list of the observation: each element's fields, in order, after the tag. */
static void dg_list(struct digest *g, const struct jv *obs, const char *key, const char *tag, const char *const *fields)
{
	const struct jv *list = json_get(obs, key);
	for (size_t i = 0; list && list->t == J_ARR && i < list->n; i++) {
		dg_begin(g, tag);
		if (!fields) dg_value(g, list->items[i]);
		for (int f = 0; fields && fields[f]; f++) dg_value(g, json_get(list->items[i], fields[f]));
		dg_end(g);
	}
}

/* A result's tokens: its kind, then its value; a fault is `fault` whatever its kind. */
static void dg_result(struct digest *g, const struct jv *r)
{
	if (r && r->t == J_OBJ && r->n == 1) {
		if (!strcmp(r->keys[0], "fault")) { dg_token(g, "fault"); return; }
		dg_token(g, r->keys[0]);
		dg_value(g, r->items[0]);
		return;
	}
	dg_value(g, r);
}

void proto_digest(const struct jv *obs, char out[17])
{
	static const char *const bond[] = { "dev", "pasid", "mm", "users", NULL };
	static const char *const attach[] = { "dev", "pasid", NULL };
	static const char *const mmf[] = { "mm", "state", "pasid", "global", NULL };
	struct digest g = { 0, 0, 0, 0 };
	const struct jv *mms = json_get(obs, "mms"), *dma = json_get(obs, "dma");

	dg_list(&g, obs, "bonds", "b", bond);
	dg_list(&g, obs, "attaches", "a", attach);
	dg_list(&g, obs, "mms", "m", mmf);
	for (size_t i = 0; mms && mms->t == J_ARR && i < mms->n; i++) {
		const struct jv *doms = json_get(mms->items[i], "domains");
		for (size_t k = 0; doms && doms->t == J_ARR && k < doms->n; k++) {
			dg_begin(&g, "d");
			dg_value(&g, json_get(mms->items[i], "mm"));
			dg_value(&g, json_get(doms->items[k], "iommu"));
			dg_value(&g, json_get(doms->items[k], "users"));
			dg_end(&g);
		}
	}
	dg_list(&g, obs, "global_pasids", "g", NULL);
	for (size_t i = 0; dma && dma->t == J_ARR && i < dma->n; i++) {
		dg_begin(&g, "p");
		dg_value(&g, json_get(dma->items[i], "dev"));
		dg_value(&g, json_get(dma->items[i], "pasid"));
		dg_result(&g, json_get(dma->items[i], "result"));
		dg_end(&g);
	}
	snprintf(out, 17, "%08x%08x", (unsigned)g.s1, (unsigned)g.s2);
}

/*
 * The same digest read straight off the text, for an observation written as sva.c writes it:
 * compact, its members in the order of PROTOCOL.md §7, names without escapes. Each token is
 * hashed from the bytes between its quotes (or the digits of a number), as proto_digest hashes
 * the value it parses there, without building the value. Returns 0 at the first thing of
 * another shape (a space, another member order, a backslash, a number with a sign, a leading
 * zero or a fraction): the caller then parses the text and calls proto_digest, the one
 * definition. test/protocol-digest.test.ts holds the two to the runner's digest.
 */
struct cursor { const char *p, *end; };

static int lit(struct cursor *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n)) return 0;
	c->p += n;
	return 1;
}

/* A string's bytes as a token; where they are in *at, *n (for a name hashed again). */
static int tx_str(struct cursor *c, struct digest *g, const char **at, size_t *n)
{
	const char *s;
	if (c->p >= c->end || *c->p != '"') return 0;
	s = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '\\' || ch < 0x20) return 0;
		dg_byte(g, ch);
		c->p++;
	}
	if (c->p >= c->end) return 0;
	if (at) { *at = s; *n = (size_t)(c->p - s); }
	c->p++;
	dg_byte(g, 0);
	return 1;
}

/* A non-negative integer's decimal digits as a token (what dg_value hashes for it). */
static int tx_num(struct cursor *c, struct digest *g)
{
	const char *s = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - s < 15) dg_byte(g, (unsigned char)*c->p++);
	if (c->p == s || (*s == '0' && c->p - s > 1)) return 0;
	if (c->p < c->end && strchr(".eE0123456789", *c->p)) return 0;
	dg_byte(g, 0);
	return 1;
}

/* null, true or false, or a number: the token dg_value gives it. */
static int tx_word_or_num(struct cursor *c, struct digest *g)
{
	if (lit(c, "null")) { dg_token(g, "null"); return 1; }
	if (lit(c, "true")) { dg_token(g, "true"); return 1; }
	if (lit(c, "false")) { dg_token(g, "false"); return 1; }
	return tx_num(c, g);
}

/* A dma result (dg_result): a string, or an object of one member. */
static int tx_result(struct cursor *c, struct digest *g)
{
	if (c->p < c->end && *c->p == '"') return tx_str(c, g, NULL, NULL);
	if (lit(c, "{\"pasid\":")) { dg_token(g, "pasid"); if (!tx_num(c, g)) return 0; }
	else if (lit(c, "{\"errno\":")) { dg_token(g, "errno"); if (!tx_str(c, g, NULL, NULL)) return 0; }
	else if (lit(c, "{\"mm\":")) { dg_token(g, "mm"); if (!tx_str(c, g, NULL, NULL)) return 0; }
	else if (lit(c, "{\"fault\":")) {
		struct digest unused = *g;                 /* the fault's kind is not hashed */
		dg_token(g, "fault");
		if (!lit(c, "null") && !tx_str(c, &unused, NULL, NULL)) return 0;
	}
	else return 0;
	return lit(c, "}");
}

/* After a list item: true when another follows (`,`), false at the list's end (`]`, taken). */
static int tx_next(struct cursor *c, int *ok)
{
	if (lit(c, ",")) return 1;
	*ok = lit(c, "]");
	return 0;
}

int proto_digest_text(const char *text, size_t len, char out[17])
{
	struct cursor c = { text, text + len };
	struct digest g = { 0, 0, 0, 0 };
	int ok = 1;
	if (!lit(&c, "{\"bonds\":[")) return 0;
	if (!lit(&c, "]")) do {
		dg_begin(&g, "b");
		if (!(lit(&c, "{\"dev\":") && tx_str(&c, &g, NULL, NULL) && lit(&c, ",\"pasid\":") && tx_num(&c, &g)
			&& lit(&c, ",\"mm\":") && tx_str(&c, &g, NULL, NULL) && lit(&c, ",\"users\":") && tx_num(&c, &g) && lit(&c, "}"))) return 0;
		dg_end(&g);
	} while (tx_next(&c, &ok));
	if (!ok || !lit(&c, ",\"attaches\":[")) return 0;
	if (!lit(&c, "]")) do {
		dg_begin(&g, "a");
		if (!(lit(&c, "{\"dev\":") && tx_str(&c, &g, NULL, NULL) && lit(&c, ",\"pasid\":") && tx_num(&c, &g) && lit(&c, "}"))) return 0;
		dg_end(&g);
	} while (tx_next(&c, &ok));
	if (!ok || !lit(&c, ",\"mms\":[")) return 0;
	if (!lit(&c, "]")) do {
		const char *mm;
		size_t n;
		dg_begin(&g, "m");
		if (!(lit(&c, "{\"mm\":") && tx_str(&c, &g, &mm, &n) && lit(&c, ",\"state\":") && tx_str(&c, &g, NULL, NULL)
			&& lit(&c, ",\"pasid\":") && tx_word_or_num(&c, &g) && lit(&c, ",\"global\":") && tx_word_or_num(&c, &g)
			&& lit(&c, ",\"domains\":["))) return 0;
		dg_end(&g);
		if (!lit(&c, "]")) do {
			dg_begin(&g, "d");
			for (size_t k = 0; k < n; k++) dg_byte(&g, (unsigned char)mm[k]);
			dg_byte(&g, 0);
			if (!(lit(&c, "{\"iommu\":") && tx_str(&c, &g, NULL, NULL) && lit(&c, ",\"users\":") && tx_num(&c, &g) && lit(&c, "}"))) return 0;
			dg_end(&g);
		} while (tx_next(&c, &ok));
		if (!ok || !lit(&c, "}")) return 0;
	} while (tx_next(&c, &ok));
	if (!ok || !lit(&c, ",\"global_pasids\":[")) return 0;
	if (!lit(&c, "]")) do {
		dg_begin(&g, "g");
		if (!tx_num(&c, &g)) return 0;
		dg_end(&g);
	} while (tx_next(&c, &ok));
	if (!ok || !lit(&c, ",\"dma\":[")) return 0;
	if (!lit(&c, "]")) do {
		dg_begin(&g, "p");
		if (!(lit(&c, "{\"dev\":") && tx_str(&c, &g, NULL, NULL) && lit(&c, ",\"pasid\":") && tx_num(&c, &g)
			&& lit(&c, ",\"result\":") && tx_result(&c, &g) && lit(&c, "}"))) return 0;
		dg_end(&g);
	} while (tx_next(&c, &ok));
	if (!ok || !lit(&c, "}") || c.p != c.end) return 0;
	snprintf(out, 17, "%08x%08x", (unsigned)g.s1, (unsigned)g.s2);
	return 1;
}

/*
 * The probes of the last observe that named them, kept past the line they came in (values of a
 * line live until the next): with the digest capability, an observe without probes asks at
 * those (PROTOCOL.md §12). Forgotten at configure.
 */
struct kept_probe { struct jv obj, dev, pasid; struct jv *vals[2]; const char *keys[2]; };
static struct { struct jv list; struct kept_probe *p; struct jv **items; size_t n; int set; } kept;

static void forget_probes(void)
{
	for (size_t i = 0; i < kept.n; i++) free((char *)kept.p[i].dev.str);
	free(kept.p);
	free(kept.items);
	memset(&kept, 0, sizeof(kept));
}

static void keep_probes(const struct jv *probes)
{
	size_t n = probes->t == J_ARR ? probes->n : 0;
	forget_probes();
	kept.p = calloc(n + 1, sizeof(*kept.p));
	kept.items = calloc(n + 1, sizeof(*kept.items));
	if (!kept.p || !kept.items) { fputs("out of memory\n", stderr); exit(70); }
	for (size_t i = 0; i < n; i++) {
		struct kept_probe *k = &kept.p[i];
		const char *dev = json_str(probes->items[i], "dev");
		const struct jv *pasid = json_get(probes->items[i], "pasid");
		k->dev.t = J_STR; k->dev.str = strdup(dev ? dev : "");
		if (pasid) k->pasid = *pasid; else k->pasid.t = J_NULL;
		k->keys[0] = "dev"; k->keys[1] = "pasid";
		k->vals[0] = &k->dev; k->vals[1] = &k->pasid;
		k->obj.t = J_OBJ; k->obj.n = 2; k->obj.keys = k->keys; k->obj.items = k->vals;
		kept.items[i] = &k->obj;
	}
	kept.n = n;
	kept.list.t = J_ARR; kept.list.n = n; kept.list.items = kept.items;
	kept.set = 1;
}

void proto_observe(struct buf *o, const struct jv *req, proto_observer write)
{
	static struct buf obs, last;
	static char last_digest[17];
	const char *want = json_str(req, "digest");
	const struct jv *probes = json_get(req, "probes");
	const char *err = NULL;
	size_t at = 0;
	const struct jv *v;
	char digest[17];
	size_t mark = o->len;

	if (want && probes) keep_probes(probes);
	else if (want && !kept.set) { proto_put_error(o, req, "bad_request", "an observe without probes asks at those of the last observe, and there was none since configure", NULL); return; }
	else if (want) probes = &kept.list;
	obs.len = 0;
	write(&obs, probes);
	proto_put_id(o, req);
	if (!want) {
		buf_put(o, "\"observation\":");
		buf_putn(o, obs.p, obs.len);
		buf_put(o, "}");
		return;
	}
	/*
	 * The digest of what was written, read back: one definition for every implementation. Most
	 * steps leave the observation as it was (a failed bind, a dma): the same text has the same
	 * digest, so it is read back only when it changed, straight off the text where it has the
	 * shape sva.c writes (proto_digest_text), else parsed.
	 */
	if (obs.len == last.len && last.len > 0 && !memcmp(obs.p, last.p, obs.len)) {
		memcpy(digest, last_digest, sizeof(digest));
	} else {
		if (!proto_digest_text(obs.p, obs.len, digest)) {
			v = json_parse(obs.p, obs.len, &err, &at);
			if (!v) { o->len = mark; proto_put_error(o, req, "internal", "the observation written is not JSON", err); return; }
			proto_digest(v, digest);
		}
		last.len = 0;
		buf_putn(&last, obs.p, obs.len);
		memcpy(last_digest, digest, sizeof(digest));
	}
	if (!strcmp(digest, want)) {
		buf_printf(o, "\"digest\":\"%s\"}", digest);
		return;
	}
	buf_put(o, "\"observation\":");
	buf_putn(o, obs.p, obs.len);
	buf_printf(o, ",\"digest\":\"%s\"}", digest);
}

/* One request (top level or inside a batch, PROTOCOL.md §8); returns 1 after shutdown. */
static int request(struct buf *o, const struct jv *req, int inner, proto_handler handle)
{
	const char *type = req ? json_str(req, "type") : NULL;
	if (!req || req->t != J_OBJ || !type) { proto_put_error(o, req, "bad_request", "a request is an object with \"type\"", NULL); return 0; }
	if (inner && strcmp(type, "op") && strcmp(type, "observe")) { proto_put_error(o, req, "bad_request", "a batch holds only op and observe", type); return 0; }
	if (!strcmp(type, "configure")) forget_probes();
	if (strcmp(type, "batch")) return handle(o, req, type, inner);
	const struct jv *list = json_get(req, "requests");
	if (!list || list->t != J_ARR) { proto_put_error(o, req, "bad_request", "a batch needs requests[]", NULL); return 0; }
	proto_put_id(o, req);
	buf_put(o, "\"responses\":[");
	for (size_t i = 0; i < list->n; i++) {
		if (i) buf_put(o, ",");
		request(o, list->items[i], 1, handle);
	}
	buf_put(o, "]}");
	return 0;
}

/*
 * Request lines from stdin, read in large pieces: the runner writes several lines at once
 * (configure, an observe, a batch), and whether a whole next line is already here decides
 * whether to flush before reading it (PROTOCOL.md §2: flush at least before blocking on stdin).
 */
static struct { char *p; size_t len, cap, pos; } in;

/* The next line (without its newline, NUL-terminated, valid until the next call); NULL at end of input. */
static char *next_line(size_t *n)
{
	for (;;) {
		char *nl = memchr(in.p + in.pos, '\n', in.len - in.pos);
		if (nl) {
			char *line = in.p + in.pos;
			*nl = '\0';
			*n = (size_t)(nl - line);
			in.pos = (size_t)(nl - in.p) + 1;
			return line;
		}
		if (in.pos > 0) { memmove(in.p, in.p + in.pos, in.len - in.pos); in.len -= in.pos; in.pos = 0; }
		if (in.cap - in.len < 65536) {
			in.cap = in.cap ? 2 * in.cap : 131072;
			in.p = realloc(in.p, in.cap);
			if (!in.p) { fputs("out of memory\n", stderr); exit(70); }
		}
		ssize_t r = read(0, in.p + in.len, in.cap - in.len - 1);
		if (r < 0) {
			if (errno == EINTR) continue;   /* interrupted: read again */
			return NULL;                    /* EIO, EBADF...: end as at end of input */
		}
		if (r == 0) {
			if (in.len == 0) return NULL;
			in.p[in.len] = '\0';               /* a last line without its newline */
			*n = in.len;
			in.len = 0;
			return in.p;
		}
		in.len += (size_t)r;
	}
}

/* Whether the next line is already read: no need to flush before it. */
static int line_waiting(void)
{
	return memchr(in.p + in.pos, '\n', in.len - in.pos) != NULL;
}

void proto_serve(proto_handler handle)
{
	char *line;
	size_t n;
	struct buf out = { 0 };
	int done = 0;

	while (!done && (line = next_line(&n)) != NULL) {
		const char *err = NULL;
		size_t at = 0;
		struct jv *req;
		int urgent = 0;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
		if (n == 0) continue;
		out.len = 0;
		json_reset();
		req = json_parse(line, n, &err, &at);
		if (!req) {
			char msg[128];
			snprintf(msg, sizeof(msg), "bad JSON at byte %zu: %s", at, err);
			proto_put_error(&out, NULL, "bad_request", msg, NULL);
		} else {
			const char *type = json_str(req, "type");
			done = request(&out, req, 0, handle);
			/*
			 * A batch's answers, and configure's, go out at once: the runner sends a run ahead
			 * and checks it step by step as the answers come back, starting once configure is
			 * answered, so answers held back until the input runs dry would keep it waiting
			 * while this program works through the rest. Lone requests sent ahead are flushed
			 * together, when no further line is already here.
			 */
			urgent = type && (!strcmp(type, "batch") || !strcmp(type, "configure"));
		}
		buf_put(&out, "\n");
		fwrite(out.p, 1, out.len, stdout);
		if (done || urgent || !line_waiting()) fflush(stdout);
	}
	fflush(stdout);
	json_reset();
	free(in.p);
	free(out.p);
}
