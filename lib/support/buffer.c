/* buffer.c - the growable byte buffer of buffer.h. */
#include "objcache/buffer.h"

#include <stdlib.h>
#include <string.h>

oc_status oc_buffer_reserve(oc_buffer *buf, size_t extra) {
  if (extra <= buf->capacity - buf->size)
    return OC_OK;
  if (extra > SIZE_MAX - buf->size)
    return OC_NO_MEMORY;
  size_t needed = buf->size + extra;
  size_t capacity = buf->capacity ? buf->capacity : 256;
  while (capacity < needed)
    capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
  uint8_t *data = realloc(buf->data, capacity);
  if (!data)
    return OC_NO_MEMORY;
  buf->data = data;
  buf->capacity = capacity;
  return OC_OK;
}

oc_status oc_buffer_append(oc_buffer *buf, const void *data, size_t len) {
  if (len == 0)
    return OC_OK;
  oc_status status = oc_buffer_reserve(buf, len);
  if (status != OC_OK)
    return status;
  memcpy(buf->data + buf->size, data, len);
  buf->size += len;
  return OC_OK;
}

void oc_buffer_free(oc_buffer *buf) {
  free(buf->data);
  buf->data = NULL;
  buf->size = 0;
  buf->capacity = 0;
}
