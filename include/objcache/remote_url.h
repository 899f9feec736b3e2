/* objcache/remote_url.h - the address of a remote cache, and how to show it
 * without its password.
 *
 * Accepted forms (the `remote` setting, OBJCACHE_REMOTE):
 *   redis://[[user]:password@]host[:port][/db]     TCP, port 6379, db 0
 *   redis+unix://[[user]:password@]/path/to/socket[?db=N]
 * host may be a name, an IPv4 address or an [IPv6] address in brackets. A
 * userinfo without ':' is taken as the password (it is never shown). '%XX'
 * escapes are decoded in the user and password, so they may hold '@', ':'
 * or '/'. The empty string means "no remote". */
#ifndef OBJCACHE_REMOTE_URL_H
#define OBJCACHE_REMOTE_URL_H

#include "objcache/status.h"
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the `remote` setting accepts, for error messages. */
#define OC_REMOTE_URL_FORMS                                                    \
  "redis://[[user]:password@]host[:port][/db] or "                             \
  "redis+unix://[[user]:password@]/path/to/socket[?db=N]"

typedef struct oc_remote_url {
  bool unix_socket;   /* redis+unix:// */
  char host[256];     /* TCP: name or address, without IPv6 brackets */
  int port;           /* TCP: 1..65535 */
  char path[108];     /* unix: the socket path (sun_path's size) */
  int db;             /* the Redis database number, >= 0 */
  char user[128];     /* empty: none (Redis 6 ACL user) */
  char password[512]; /* empty: no AUTH */
} oc_remote_url;

/* Parses text into *url. OC_BAD_CONFIG with a message saying what is wrong
 * (never containing the password) on bad input; OC_NOT_FOUND for the empty
 * string (no remote). */
oc_status oc_remote_url_parse(const char *text, oc_remote_url *url,
                              oc_error *err);

/* Copies text to out with any user information (between "://" and the last
 * '@' before the path) replaced by "***", so that even a malformed URL
 * never shows its password. Always NUL-terminates (truncating). */
void oc_remote_url_redact(const char *text, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
