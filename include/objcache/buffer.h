/* objcache/buffer.h - a growable byte buffer owned by the caller.
 *
 * Used wherever the library hands back bytes of unknown size (objects,
 * records, explanations). A zero-initialised oc_buffer is empty and valid. */
#ifndef OBJCACHE_BUFFER_H
#define OBJCACHE_BUFFER_H

#include "objcache/status.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct oc_buffer {
  uint8_t *data;
  size_t size;
  size_t capacity;
} oc_buffer;

/* Appends len bytes; OC_NO_MEMORY if the buffer cannot grow. */
oc_status oc_buffer_append(oc_buffer *buf, const void *data, size_t len);
/* Makes room for at least `extra` more bytes without changing size. */
oc_status oc_buffer_reserve(oc_buffer *buf, size_t extra);
/* Frees the storage and leaves an empty buffer. */
void oc_buffer_free(oc_buffer *buf);

#ifdef __cplusplus
}
#endif
#endif
