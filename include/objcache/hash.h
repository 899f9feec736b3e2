/* objcache/hash.h - BLAKE2b-256 digests for keys and content checksums.
 *
 * A streaming hasher (init, update..., final) so that large inputs such as a
 * module's bitcode are hashed as they are produced, never held twice. */
#ifndef OBJCACHE_HASH_H
#define OBJCACHE_HASH_H

#include "objcache/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OC_DIGEST_SIZE 32
#define OC_DIGEST_HEX_SIZE (2 * OC_DIGEST_SIZE + 1) /* with the NUL */

typedef struct oc_digest {
  uint8_t bytes[OC_DIGEST_SIZE];
} oc_digest;

/* Opaque hasher state, sized for libb2's blake2b_state (checked in hash.c)
 * so that callers can keep hashers on the stack. */
typedef struct oc_hasher {
  uint64_t state[48];
} oc_hasher;

void oc_hasher_init(oc_hasher *hasher);
void oc_hasher_update(oc_hasher *hasher, const void *data, size_t len);
oc_digest oc_hasher_final(oc_hasher *hasher);

/* One-shot digest of a memory range. */
oc_digest oc_hash_bytes(const void *data, size_t len);

/* Digest of a file's contents. OC_IO_ERROR names the file on failure. */
oc_status oc_hash_file(const char *path, oc_digest *out, oc_error *err);

/* Lower-case hex, NUL-terminated, into out[OC_DIGEST_HEX_SIZE]. */
void oc_digest_to_hex(const oc_digest *digest, char *out);
/* The value of one hex digit (either case), -1 for any other char. */
int oc_hex_value(char c);
/* Parses exactly 64 hex digits; false on any other input. */
bool oc_digest_from_hex(const char *hex, oc_digest *out);

bool oc_digest_equal(const oc_digest *a, const oc_digest *b);

#ifdef __cplusplus
}
#endif
#endif
