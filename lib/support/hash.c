/* hash.c - BLAKE2b-256 through libb2, behind the opaque oc_hasher. */
#include "objcache/hash.h"

#include <blake2.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(blake2b_state) <= sizeof(oc_hasher),
               "oc_hasher too small for blake2b_state");

static blake2b_state *state_of(oc_hasher *hasher) {
  return (blake2b_state *)(void *)hasher->state;
}

void oc_hasher_init(oc_hasher *hasher) {
  blake2b_init(state_of(hasher), OC_DIGEST_SIZE);
}

void oc_hasher_update(oc_hasher *hasher, const void *data, size_t len) {
  blake2b_update(state_of(hasher), data, len);
}

oc_digest oc_hasher_final(oc_hasher *hasher) {
  oc_digest digest;
  blake2b_final(state_of(hasher), digest.bytes, OC_DIGEST_SIZE);
  return digest;
}

oc_digest oc_hash_bytes(const void *data, size_t len) {
  oc_hasher hasher;
  oc_hasher_init(&hasher);
  oc_hasher_update(&hasher, data, len);
  return oc_hasher_final(&hasher);
}

oc_status oc_hash_file(const char *path, oc_digest *out, oc_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return oc_fail(err, OC_IO_ERROR, "cannot open %s: %s", path,
                   strerror(errno));
  oc_hasher hasher;
  oc_hasher_init(&hasher);
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int saved = errno;
      close(fd);
      return oc_fail(err, OC_IO_ERROR, "cannot read %s: %s", path,
                     strerror(saved));
    }
    oc_hasher_update(&hasher, chunk, (size_t)n);
  }
  close(fd);
  *out = oc_hasher_final(&hasher);
  return OC_OK;
}

void oc_digest_to_hex(const oc_digest *digest, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < OC_DIGEST_SIZE; i++) {
    out[2 * i] = digits[digest->bytes[i] >> 4];
    out[2 * i + 1] = digits[digest->bytes[i] & 15];
  }
  out[2 * OC_DIGEST_SIZE] = '\0';
}

int oc_hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool oc_digest_from_hex(const char *hex, oc_digest *out) {
  for (size_t i = 0; i < OC_DIGEST_SIZE; i++) {
    int hi = oc_hex_value(hex[2 * i]);
    int lo = hi < 0 ? -1 : oc_hex_value(hex[2 * i + 1]);
    if (lo < 0)
      return false;
    out->bytes[i] = (uint8_t)(hi << 4 | lo);
  }
  return hex[2 * OC_DIGEST_SIZE] == '\0';
}

bool oc_digest_equal(const oc_digest *a, const oc_digest *b) {
  return memcmp(a->bytes, b->bytes, OC_DIGEST_SIZE) == 0;
}
