/* sign.c - keyed BLAKE2b tags on shared values (sign.h). The tag covers a
 * domain string, the kind, the key the value is stored under and the whole
 * value, so a signed value cannot be replayed under another key or as
 * another kind. The BLAKE2b key is derived from the secret (BLAKE2b-512 of
 * a domain string and the secret), so secrets of any length up to the
 * setting's limit work and the secret itself is never a MAC key that other
 * code might also use. Comparison runs in constant time. */
#include "sign.h"

#include <blake2.h>
#include <stdbool.h>
#include <string.h>

#define DOMAIN "objcache value tag v1"

static void derive_key(const char *secret, uint8_t key[BLAKE2B_KEYBYTES]) {
  blake2b_state s;
  blake2b_init(&s, BLAKE2B_KEYBYTES);
  blake2b_update(&s, (const uint8_t *)DOMAIN, sizeof DOMAIN);
  blake2b_update(&s, (const uint8_t *)secret, strlen(secret));
  blake2b_final(&s, key, BLAKE2B_KEYBYTES);
}

static void compute_tag(const char *secret, oc_sign_kind kind,
                        const oc_digest *key, const void *data, size_t size,
                        uint8_t tag[OC_SIGN_TAG_SIZE]) {
  uint8_t mac_key[BLAKE2B_KEYBYTES];
  derive_key(secret, mac_key);
  blake2b_state s;
  blake2b_init_key(&s, OC_SIGN_TAG_SIZE, mac_key, sizeof mac_key);
  uint8_t head[1 + OC_DIGEST_SIZE];
  head[0] = (uint8_t)kind;
  memcpy(head + 1, key->bytes, OC_DIGEST_SIZE);
  blake2b_update(&s, head, sizeof head);
  if (size > 0)
    blake2b_update(&s, data, size);
  blake2b_final(&s, tag, OC_SIGN_TAG_SIZE);
  memset(mac_key, 0, sizeof mac_key);
}

oc_status oc_sign_append(const char *secret, oc_sign_kind kind,
                         const oc_digest *key, oc_buffer *buf, size_t start,
                         oc_error *err) {
  if (!secret || !secret[0])
    return OC_OK;
  uint8_t trailer[OC_SIGN_TRAILER_SIZE];
  compute_tag(secret, kind, key, buf->data + start, buf->size - start,
              trailer);
  memcpy(trailer + OC_SIGN_TAG_SIZE, OC_SIGN_MAGIC, OC_SIGN_MAGIC_SIZE);
  if (oc_buffer_append(buf, trailer, sizeof trailer) != OC_OK)
    return oc_fail(err, OC_NO_MEMORY, "out of memory signing a value");
  return OC_OK;
}

static bool has_trailer(const uint8_t *p, size_t size) {
  return size >= OC_SIGN_TRAILER_SIZE &&
         memcmp(p + size - OC_SIGN_MAGIC_SIZE, OC_SIGN_MAGIC,
                OC_SIGN_MAGIC_SIZE) == 0;
}

oc_status oc_sign_check(const char *secret, oc_sign_kind kind,
                        const oc_digest *key, const void *data, size_t size,
                        size_t *payload_size, oc_error *err) {
  const uint8_t *p = data;
  bool signed_value = p && has_trailer(p, size);
  size_t payload = signed_value ? size - OC_SIGN_TRAILER_SIZE : size;
  *payload_size = payload;
  if (!secret || !secret[0])
    return OC_OK;
  if (!signed_value)
    return oc_fail(err, OC_CORRUPT,
                   "not signed with remote_secret (refused)");
  uint8_t tag[OC_SIGN_TAG_SIZE];
  compute_tag(secret, kind, key, p, payload, tag);
  uint8_t diff = 0;
  for (size_t i = 0; i < OC_SIGN_TAG_SIZE; i++)
    diff |= (uint8_t)(tag[i] ^ p[payload + i]);
  if (diff != 0)
    return oc_fail(err, OC_CORRUPT,
                   "its signature does not match remote_secret (refused)");
  return OC_OK;
}
