/*
 * The framing of svacheck's subprocess protocol (conformance/PROTOCOL.md) for C
 * implementations: results, ids, error responses, and the request loop with batches.
 * Shared by the reference implementation (sva.c) and svacheck's kernel harness.
 */
#ifndef SVA_PROTOCOL_H
#define SVA_PROTOCOL_H

#include <stdint.h>
#include "json.h"

/* The result of an operation (PROTOCOL.md §6); errno names are the kernel's. */
enum rkind { R_PASID, R_OK, R_INVALID, R_ERRNO, R_MM, R_KERNEL, R_FAULT };
struct result { enum rkind k; uint32_t pasid; const char *s; };

struct result proto_res(enum rkind k, uint32_t pasid, const char *s);
void proto_put_result(struct buf *o, struct result r);
/* `{"id":N,` opening a response to req (null when req has no numeric id). */
void proto_put_id(struct buf *o, const struct jv *req);
/* A whole error response (PROTOCOL.md §9): message, then ": what" when what is given. */
void proto_put_error(struct buf *o, const struct jv *req, const char *code, const char *msg, const char *what);

/*
 * Writes the observation object alone (`{"bonds":[...],...,"dma":[...]}`, PROTOCOL.md §7) for
 * the probes asked (null when the request has none).
 */
typedef void (*proto_observer)(struct buf *o, const struct jv *probes);
/*
 * Answers an observe request with what `write` gives: the whole observation, or, when the
 * request carries the digest the runner expects (capability `digest`, PROTOCOL.md §12) and
 * the observation's digest equals it, that digest alone.
 */
void proto_observe(struct buf *o, const struct jv *req, proto_observer write);
/* The digest of an observation (PROTOCOL.md §12) into out: 16 lowercase hex digits. */
void proto_digest(const struct jv *obs, char out[17]);
/*
 * The same from the observation's text, without parsing it, when the text is compact, has its
 * members in the order of PROTOCOL.md §7 and names without escapes (as sva.c writes it): 1;
 * else 0, and the text is to be parsed and given to proto_digest.
 */
int proto_digest_text(const char *text, size_t len, char out[17]);

/*
 * Answers one request other than a batch, writing one whole response to o; `inner` when it
 * stands inside a batch (only op and observe may). Returns 1 after shutdown.
 */
typedef int (*proto_handler)(struct buf *o, const struct jv *req, const char *type, int inner);

/* Read requests from stdin line by line until shutdown or EOF, answering each on stdout. */
void proto_serve(proto_handler handle);

#endif
