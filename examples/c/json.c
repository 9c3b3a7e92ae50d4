/* A tiny JSON reader (recursive descent, arena-allocated) and writer helpers. */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: chunks freed all at once by json_reset ---- */
struct chunk { struct chunk *next; size_t used, cap; char data[]; };
static struct chunk *arena;

static void *amalloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!arena || arena->used + n > arena->cap) {
		size_t cap = n > 65536 ? n : 65536;
		struct chunk *c = malloc(sizeof(*c) + cap);
		if (!c) { fputs("sva: out of memory\n", stderr); exit(70); }
		c->next = arena; c->used = 0; c->cap = cap;
		arena = c;
	}
	void *p = arena->data + arena->used;
	arena->used += n;
	return p;
}

void json_reset(void)
{
	while (arena && arena->next) { struct chunk *n = arena->next; free(arena); arena = n; }
	if (arena) arena->used = 0;
}

/* ---- parser ---- */
struct parser { const char *s; size_t i, len; const char *err; int depth; };

static void ws(struct parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r' || p->s[p->i] == '\n'))
		p->i++;
}

static struct jv *fail(struct parser *p, const char *msg) { if (!p->err) p->err = msg; return NULL; }

static int hex4(struct parser *p, unsigned *out)
{
	unsigned v = 0;
	if (p->i + 4 > p->len) return -1;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

static size_t utf8(char *o, unsigned cp)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
	if (cp < 0x10000) { o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F)); return 3; }
	o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* p->s[p->i] is the opening quote. The decoded string is never longer than the source. */
static const char *string(struct parser *p)
{
	size_t start = ++p->i, n = 0;
	int plain = 1;                 /* no escape, no control character: copied as it is */
	char *out;
	while (p->i < p->len && p->s[p->i] != '"') {
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '\\') { plain = 0; p->i++; }
		else if (c < 0x20) plain = 0;
		p->i++;
	}
	if (p->i >= p->len) { fail(p, "unterminated string"); return NULL; }
	out = amalloc(p->i - start + 1);
	if (plain) {
		memcpy(out, p->s + start, p->i - start);
		out[p->i - start] = '\0';
		p->i++;
		return out;
	}
	for (size_t k = start; k < p->i; k++) {
		char c = p->s[k];
		if ((unsigned char)c < 0x20) { fail(p, "control character in string"); return NULL; }
		if (c != '\\') { out[n++] = c; continue; }
		c = p->s[++k];
		switch (c) {
		case '"': case '\\': case '/': out[n++] = c; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			struct parser q = { p->s, k + 1, p->i, NULL, 0 };
			if (hex4(&q, &cp)) { fail(p, "bad \\u escape"); return NULL; }
			k = q.i - 1;
			if (cp >= 0xD800 && cp < 0xDC00 && k + 6 < p->i && p->s[k + 1] == '\\' && p->s[k + 2] == 'u') {
				q.i = k + 3;
				if (!hex4(&q, &lo) && lo >= 0xDC00 && lo < 0xE000) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); k = q.i - 1; }
			}
			n += utf8(out + n, cp);
			break;
		}
		default: fail(p, "bad escape in string"); return NULL;
		}
	}
	out[n] = '\0';
	p->i++;
	return out;
}

static struct jv *value(struct parser *p);

static struct jv *collection(struct parser *p, int obj)
{
	struct jv *v = amalloc(sizeof(*v));
	size_t cap = 8;
	memset(v, 0, sizeof(*v));
	v->t = obj ? J_OBJ : J_ARR;
	v->items = amalloc(cap * sizeof(*v->items));
	if (obj) v->keys = amalloc(cap * sizeof(*v->keys));
	p->i++;
	ws(p);
	if (p->i < p->len && p->s[p->i] == (obj ? '}' : ']')) { p->i++; return v; }
	for (;;) {
		const char *key = NULL;
		struct jv *item;
		ws(p);
		if (obj) {
			if (p->i >= p->len || p->s[p->i] != '"') return fail(p, "expected a string key");
			if (!(key = string(p))) return NULL;
			ws(p);
			if (p->i >= p->len || p->s[p->i] != ':') return fail(p, "expected ':'");
			p->i++;
		}
		if (!(item = value(p))) return NULL;
		if (v->n == cap) {
			struct jv **items = amalloc(2 * cap * sizeof(*items));
			memcpy(items, v->items, cap * sizeof(*items));
			v->items = items;
			if (obj) {
				const char **keys = amalloc(2 * cap * sizeof(*keys));
				memcpy(keys, v->keys, cap * sizeof(*keys));
				v->keys = keys;
			}
			cap *= 2;
		}
		if (obj) v->keys[v->n] = key;
		v->items[v->n++] = item;
		ws(p);
		if (p->i < p->len && p->s[p->i] == ',') { p->i++; continue; }
		if (p->i < p->len && p->s[p->i] == (obj ? '}' : ']')) { p->i++; return v; }
		return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static struct jv *value(struct parser *p)
{
	struct jv *v;
	ws(p);
	if (p->i >= p->len) return fail(p, "unexpected end of input");
	if (++p->depth > 64) return fail(p, "nested too deeply");
	switch (p->s[p->i]) {
	case '{': v = collection(p, 1); break;
	case '[': v = collection(p, 0); break;
	case '"': {
		const char *s = string(p);
		if (!s) return NULL;
		v = amalloc(sizeof(*v)); memset(v, 0, sizeof(*v));
		v->t = J_STR; v->str = s;
		break;
	}
	default: {
		static const struct { const char *word; enum jtype t; int b; } words[] = {
			{ "null", J_NULL, 0 }, { "true", J_BOOL, 1 }, { "false", J_BOOL, 0 },
		};
		v = NULL;
		for (size_t k = 0; k < 3; k++) {
			size_t n = strlen(words[k].word);
			if (p->len - p->i >= n && !memcmp(p->s + p->i, words[k].word, n)) {
				v = amalloc(sizeof(*v)); memset(v, 0, sizeof(*v));
				v->t = words[k].t; v->b = words[k].b;
				p->i += n;
				break;
			}
		}
		if (v) break;
		{
			char tmp[64], *end;
			size_t n = 0;
			uint64_t k = 0;
			/* a plain integer (every number of the protocol but none of its errors): no strtod */
			while (p->i + n < p->len && n < 15 && p->s[p->i + n] >= '0' && p->s[p->i + n] <= '9') k = k * 10 + (uint64_t)(p->s[p->i + n++] - '0');
			if (n > 0 && (n == 1 || p->s[p->i] != '0') && (p->i + n == p->len || !strchr("+-0123456789.eE", p->s[p->i + n]))) {
				v = amalloc(sizeof(*v)); memset(v, 0, sizeof(*v));
				v->t = J_NUM; v->num = (double)k;
				p->i += n;
				break;
			}
			n = 0;
			while (p->i + n < p->len && n < sizeof(tmp) - 1 && strchr("+-0123456789.eE", p->s[p->i + n])) { tmp[n] = p->s[p->i + n]; n++; }
			tmp[n] = '\0';
			if (n == 0) return fail(p, "unexpected character");
			v = amalloc(sizeof(*v)); memset(v, 0, sizeof(*v));
			v->t = J_NUM; v->num = strtod(tmp, &end);
			if (end != tmp + n) return fail(p, "bad number");
			p->i += n;
		}
	}
	}
	p->depth--;
	return v;
}

struct jv *json_parse(const char *text, size_t len, const char **err, size_t *at)
{
	struct parser p = { text, 0, len, NULL, 0 };
	struct jv *v = value(&p);
	if (v) { ws(&p); if (p.i != len) v = fail(&p, "trailing characters after the value"); }
	if (!v) { *err = p.err ? p.err : "parse error"; *at = p.i; }
	return v;
}

const struct jv *json_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->t != J_OBJ) return NULL;
	for (size_t k = 0; k < obj->n; k++)
		if (json_streq(obj->keys[k], key)) return obj->items[k];
	return NULL;
}

const char *json_str(const struct jv *obj, const char *key)
{
	const struct jv *v = json_get(obj, key);
	return v && v->t == J_STR ? v->str : NULL;
}

int json_u32(const struct jv *obj, const char *key, uint32_t *out)
{
	const struct jv *v = json_get(obj, key);
	if (!v || v->t != J_NUM || v->num < 0 || v->num >= 4294967296.0 || v->num != (double)(uint64_t)v->num) return -1;
	*out = (uint32_t)v->num;
	return 0;
}

/* ---- writer ---- */
void buf_putn_grow(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1) cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) { fputs("sva: out of memory\n", stderr); exit(70); }
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}


void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_putn(b, tmp, n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void buf_uint(struct buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do { tmp[--i] = (char)('0' + v % 10); v /= 10; } while (v);
	buf_putn(b, tmp + i, sizeof(tmp) - i);
}

void buf_str(struct buf *b, const char *s)
{
	buf_putn(b, "\"", 1);
	for (;;) {
		/* the longest run that needs no escape goes in one copy (names rarely need any) */
		size_t n = 0;
		while (s[n] && s[n] != '"' && s[n] != '\\' && (unsigned char)s[n] >= 0x20) n++;
		if (n) buf_putn(b, s, n);
		s += n;
		if (!*s) break;
		unsigned char c = (unsigned char)*s++;
		if (c == '"' || c == '\\') { char e[2] = { '\\', (char)c }; buf_putn(b, e, 2); }
		else buf_printf(b, "\\u%04x", c);
	}
	buf_putn(b, "\"", 1);
}
