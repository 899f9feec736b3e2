/* remote_redis.h - the Redis protocol half of the remote tier: connect with
 * timeouts, authenticate, select the database, GET and SET one value. It
 * knows nothing about entries, down periods or statistics (remote.c does).
 * Not part of the API. */
#ifndef OBJCACHE_LIB_REMOTE_REDIS_H
#define OBJCACHE_LIB_REMOTE_REDIS_H

#include "objcache/buffer.h"
#include "objcache/remote_url.h"

#include <stdint.h>

typedef struct oc_redis oc_redis;

/* Connects (within connect_ms), sets the per-operation timeout op_ms,
 * sends AUTH and SELECT as the URL asks. OC_IO_ERROR with a message that
 * names the server (never the password) on any failure. */
oc_status oc_redis_connect(const oc_remote_url *url, uint32_t connect_ms,
                           uint32_t op_ms, oc_redis **out, oc_error *err);
void oc_redis_close(oc_redis *redis);

/* OC_OK with the value in *value (replacing its contents); a value over
 * max_size bytes (0: no limit) is OC_IO_ERROR, refused before it is read.
 * The whole exchange has one deadline (op_ms of connect). OC_NOT_FOUND
 * when the key is absent; OC_CORRUPT when the key holds something other
 * than a string (a foreign value); OC_IO_ERROR when the server failed or
 * timed out (the connection is then unusable). */
oc_status oc_redis_get(oc_redis *redis, const char *key, size_t max_size,
                       oc_buffer *value, oc_error *err);

/* SET key value [PX expiry_ms] (expiry_ms 0: no expiry). OC_IO_ERROR on
 * failure, including an error reply (e.g. a read-only replica). */
oc_status oc_redis_set(oc_redis *redis, const char *key, const void *value,
                       size_t size, uint64_t expiry_ms, oc_error *err);

#endif
