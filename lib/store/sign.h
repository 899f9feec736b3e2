/* sign.h - authenticity of shared values (internal, not installed): with a
 * shared secret (the remote_secret setting), writers append a keyed
 * BLAKE2b-256 tag to every entry and manifest they store, locally and in
 * the remote, and readers that hold the secret refuse values without a
 * valid one. Readers without the secret ignore the tag. See "Trust" in
 * docs/store.md. */
#ifndef OBJCACHE_LIB_SIGN_H
#define OBJCACHE_LIB_SIGN_H

#include "objcache/buffer.h"
#include "objcache/hash.h"
#include "objcache/status.h"

#include <stddef.h>

/* Trailer: tag (32) | magic "OCSIG\0\0\1" (8), after the value itself. */
#define OC_SIGN_TAG_SIZE 32
#define OC_SIGN_MAGIC "OCSIG\0\0\1"
#define OC_SIGN_MAGIC_SIZE 8
#define OC_SIGN_TRAILER_SIZE (OC_SIGN_TAG_SIZE + OC_SIGN_MAGIC_SIZE)

/* What is signed, so an entry's tag cannot pass for a manifest's. */
typedef enum oc_sign_kind {
  OC_SIGN_ENTRY = 1,
  OC_SIGN_MANIFEST = 2
} oc_sign_kind;

/* Appends the trailer for buf->data[start..buf->size) stored under key.
 * A no-op when secret is NULL or empty. */
oc_status oc_sign_append(const char *secret, oc_sign_kind kind,
                         const oc_digest *key, oc_buffer *buf, size_t start,
                         oc_error *err);

/* The size of the value inside a stored one of `size` bytes. With a
 * secret: OC_CORRUPT unless it carries a valid tag for (kind, key). Without
 * one: a trailer, if present, is stripped unchecked. */
oc_status oc_sign_check(const char *secret, oc_sign_kind kind,
                        const oc_digest *key, const void *data, size_t size,
                        size_t *payload_size, oc_error *err);

#endif
