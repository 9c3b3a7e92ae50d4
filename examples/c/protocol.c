/* The framing of svacheck's subprocess protocol: see protocol.h. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "protocol.h"

struct result proto_res(enum rkind k, uint32_t pasid, const char *s)
{
	struct result r = { k, pasid, s };
	return r;
}

void proto_put_result(struct buf *o, struct result r)
{
	switch (r.k) {
	case R_PASID: buf_printf(o, "{\"pasid\":%u}", r.pasid); break;
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
	if (id && id->t == J_NUM) buf_printf(o, "{\"id\":%.0f,", id->num);
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

/* One request (top level or inside a batch, PROTOCOL.md §8); returns 1 after shutdown. */
static int request(struct buf *o, const struct jv *req, int inner, proto_handler handle)
{
	const char *type = req ? json_str(req, "type") : NULL;
	if (!req || req->t != J_OBJ || !type) { proto_put_error(o, req, "bad_request", "a request is an object with \"type\"", NULL); return 0; }
	if (inner && strcmp(type, "op") && strcmp(type, "observe")) { proto_put_error(o, req, "bad_request", "a batch holds only op and observe", type); return 0; }
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

void proto_serve(proto_handler handle)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct buf out = { 0 };
	int done = 0;

	while (!done && (n = getline(&line, &cap, stdin)) > 0) {
		const char *err = NULL;
		size_t at = 0;
		struct jv *req;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
		if (n == 0) continue;
		out.len = 0;
		json_reset();
		req = json_parse(line, (size_t)n, &err, &at);
		if (!req) {
			char msg[128];
			snprintf(msg, sizeof(msg), "bad JSON at byte %zu: %s", at, err);
			proto_put_error(&out, NULL, "bad_request", msg, NULL);
		} else {
			done = request(&out, req, 0, handle);
		}
		buf_put(&out, "\n");
		fwrite(out.p, 1, out.len, stdout);
		fflush(stdout);
	}
	json_reset();
	free(line);
	free(out.p);
}
