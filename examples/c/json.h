/*
 * A tiny JSON reader and writer for the svacheck protocol (conformance/PROTOCOL.md).
 * No dependencies. Values of one line live in an arena that is reset before the next line.
 */
#ifndef SVA_JSON_H
#define SVA_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	int b;                 /* J_BOOL */
	double num;            /* J_NUM */
	const char *str;       /* J_STR: NUL-terminated, UTF-8 */
	size_t n;              /* J_ARR, J_OBJ: number of items */
	struct jv **items;     /* J_ARR, J_OBJ: values */
	const char **keys;     /* J_OBJ: keys */
};

/* Parse one JSON text; NULL on error with *err set to a static message and *at to the offset. */
struct jv *json_parse(const char *text, size_t len, const char **err, size_t *at);
/* Forget every value parsed so far. */
void json_reset(void);

/* Whether two NUL-terminated strings are equal (inline: keys and names are a few bytes). */
static inline int json_streq(const char *a, const char *b)
{
	while (*a && *a == *b) { a++; b++; }
	return *a == *b;
}
/* Object member by key, or NULL. */
const struct jv *json_get(const struct jv *obj, const char *key);
/* Convenience: string member or NULL; integer member (0 <= v < 2^32) into *out, 0 on success. */
const char *json_str(const struct jv *obj, const char *key);
int json_u32(const struct jv *obj, const char *key, uint32_t *out);

/* A growable output buffer. */
struct buf { char *p; size_t len, cap; };
void buf_putn_grow(struct buf *b, const char *s, size_t n);
/* Inline, as most pieces are a few bytes into a buffer with room: one copy, no call. */
static inline void buf_putn(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) { buf_putn_grow(b, s, n); return; }
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
/* Inline, so that the length of a literal is known at compile time. */
static inline void buf_put(struct buf *b, const char *s) { buf_putn(b, s, strlen(s)); }
void buf_printf(struct buf *b, const char *fmt, ...);
/* An unsigned integer in decimal (what buf_printf("%llu") writes, without its cost). */
void buf_uint(struct buf *b, uint64_t v);
/* A JSON string literal, escaped. */
void buf_str(struct buf *b, const char *s);

#endif
