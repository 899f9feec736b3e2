/* remote_url.c - parsing the `remote` setting (remote_url.h) and redacting
 * it for display. Messages about a bad URL describe the part at fault but
 * never quote the user information, where the password lives. */
#include "objcache/remote_url.h"

#include "objcache/hash.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define TCP_SCHEME "redis://"
#define UNIX_SCHEME "redis+unix://"
#define DEFAULT_PORT 6379

/* The position just after "scheme://", or NULL when there is none. */
static const char *after_scheme(const char *text) {
  const char *p = strstr(text, "://");
  return p ? p + 3 : NULL;
}

/* End of the authority: the first '/' or '?' after the scheme (for
 * redis+unix:// the path starts right after the user information). */
static const char *authority_end(const char *start) {
  const char *p = start;
  while (*p && *p != '/' && *p != '?')
    p++;
  return p;
}

/* True when [p, end) is a plausible "host[:port]" (a ':' followed by
 * something other than digits is a password without its '@'). */
static bool looks_like_host(const char *p, const char *end) {
  if (p < end && *p == '[')
    return true; /* [IPv6]:port: the parser checks the rest */
  const char *colon = memchr(p, ':', (size_t)(end - p));
  if (!colon)
    return true;
  if (colon + 1 == end)
    return false;
  for (const char *q = colon + 1; q < end; q++)
    if (!isdigit((unsigned char)*q))
      return false;
  return true;
}

void oc_remote_url_redact(const char *text, char *out, size_t out_size) {
  if (!out || out_size == 0)
    return;
  out[0] = '\0';
  if (!text)
    return;
  /* Redaction errs on the side of hiding: the user information ends at the
   * LAST '@' of the text, wherever it is (a password may hold unescaped
   * '@' and '/': "redis://u:p@ss/word@host"). */
  const char *start = after_scheme(text);
  const char *at = strrchr(start ? start : text, '@');
  if (!start)
    start = text;
  if (!at) {
    /* No '@' at all: "redis://:secret" still hides what is not a port. */
    const char *end = authority_end(start);
    if (!looks_like_host(start, end)) {
      snprintf(out, out_size, "%.*s***%s", (int)(start - text), text, end);
      return;
    }
    snprintf(out, out_size, "%s", text);
    return;
  }
  snprintf(out, out_size, "%.*s***%s", (int)(start - text), text, at);
}

/* Copies [begin, end) into out with %XX escapes decoded; false when an
 * escape is malformed, decodes to NUL, or the result does not fit. */
static bool decode(const char *begin, const char *end, char *out,
                   size_t out_size) {
  size_t n = 0;
  for (const char *p = begin; p < end; p++) {
    char c = *p;
    if (c == '%') {
      if (end - p < 3 || oc_hex_value(p[1]) < 0 || oc_hex_value(p[2]) < 0)
        return false;
      c = (char)(oc_hex_value(p[1]) * 16 + oc_hex_value(p[2]));
      if (c == '\0')
        return false;
      p += 2;
    }
    if (n + 1 >= out_size)
      return false;
    out[n++] = c;
  }
  out[n] = '\0';
  return true;
}

/* A decimal number in [min, max] spanning exactly [begin, end). */
static bool parse_number(const char *begin, const char *end, long min, long max,
                         int *out) {
  if (begin == end || end - begin > 9)
    return false;
  long v = 0;
  for (const char *p = begin; p < end; p++) {
    if (!isdigit((unsigned char)*p))
      return false;
    v = v * 10 + (*p - '0');
  }
  if (v < min || v > max)
    return false;
  *out = (int)v;
  return true;
}

static oc_status bad(oc_error *err, const char *what) {
  return oc_fail(err, OC_BAD_CONFIG, "%s; expected %s", what,
                 OC_REMOTE_URL_FORMS);
}

/* "[user]:password" or "password" in [begin, end). */
static oc_status parse_userinfo(const char *begin, const char *end,
                                oc_remote_url *url, oc_error *err) {
  const char *colon = memchr(begin, ':', (size_t)(end - begin));
  const char *pass = colon ? colon + 1 : begin;
  if (colon && !decode(begin, colon, url->user, sizeof url->user))
    return bad(err, "the user name is too long or has a bad %-escape");
  if (!decode(pass, end, url->password, sizeof url->password))
    return bad(err, "the password is too long or has a bad %-escape");
  if (url->password[0] == '\0')
    return bad(err, "the password after ':' is empty");
  return OC_OK;
}

/* host[:port] or [v6][:port] in [begin, end). */
static oc_status parse_host_port(const char *begin, const char *end,
                                 oc_remote_url *url, oc_error *err) {
  const char *host = begin, *host_end, *port = NULL;
  if (*begin == '[') {
    const char *close = memchr(begin, ']', (size_t)(end - begin));
    if (!close)
      return bad(err, "an IPv6 address needs its closing ']'");
    host = begin + 1;
    host_end = close;
    if (close + 1 < end) {
      if (close[1] != ':')
        return bad(err, "expected ':port' after the IPv6 address");
      port = close + 2;
    }
  } else {
    const char *colon = memchr(begin, ':', (size_t)(end - begin));
    host_end = colon ? colon : end;
    port = colon ? colon + 1 : NULL;
  }
  if (host == host_end)
    return bad(err, "the host is missing");
  if ((size_t)(host_end - host) >= sizeof url->host)
    return bad(err, "the host name is too long");
  for (const char *p = host; p < host_end; p++)
    if (!isalnum((unsigned char)*p) && !strchr(".-_:", *p))
      return bad(err, "the host contains a character not allowed there");
  memcpy(url->host, host, (size_t)(host_end - host));
  url->host[host_end - host] = '\0';
  url->port = DEFAULT_PORT;
  if (port && !parse_number(port, end, 1, 65535, &url->port))
    return bad(err, "the port must be a number from 1 to 65535");
  return OC_OK;
}

oc_status oc_remote_url_parse(const char *text, oc_remote_url *url,
                              oc_error *err) {
  if (!text || !url)
    return oc_fail(err, OC_INVALID, "oc_remote_url_parse: NULL argument");
  memset(url, 0, sizeof *url);
  if (text[0] == '\0')
    return OC_NOT_FOUND;
  bool is_unix = strncmp(text, UNIX_SCHEME, strlen(UNIX_SCHEME)) == 0;
  if (!is_unix && strncmp(text, TCP_SCHEME, strlen(TCP_SCHEME)) != 0) {
    if (strncmp(text, "rediss://", 9) == 0)
      return bad(err, "TLS (rediss://) is not supported");
    return bad(err, "unknown scheme");
  }
  url->unix_socket = is_unix;
  const char *start = text + strlen(is_unix ? UNIX_SCHEME : TCP_SCHEME);
  const char *auth_end = authority_end(start);
  const char *at = NULL;
  for (const char *p = start; p < auth_end; p++)
    if (*p == '@')
      at = p;
  if (!at && strchr(auth_end, '@'))
    return bad(err, "a '/' or '?' in the password must be written %2F or %3F");
  if (at) {
    oc_status status = parse_userinfo(start, at, url, err);
    if (status != OC_OK)
      return status;
    start = at + 1;
  }

  if (is_unix) {
    if (start != auth_end)
      return bad(err, "redis+unix:// takes no host: write redis+unix:///path");
    const char *path = auth_end;
    const char *query = strchr(path, '?');
    const char *path_end = query ? query : path + strlen(path);
    if (*path != '/' || path_end - path < 2)
      return bad(err, "the socket path must be absolute");
    if ((size_t)(path_end - path) >= sizeof url->path)
      return bad(err, "the socket path is longer than 107 bytes");
    memcpy(url->path, path, (size_t)(path_end - path));
    url->path[path_end - path] = '\0';
    if (query) {
      if (strncmp(query, "?db=", 4) != 0 ||
          !parse_number(query + 4, query + strlen(query), 0, 1 << 20, &url->db))
        return bad(err, "the only query is ?db=N with N a database number");
    }
    return OC_OK;
  }

  oc_status status = parse_host_port(start, auth_end, url, err);
  if (status != OC_OK)
    return status;
  if (*auth_end == '?')
    return bad(err, "redis:// takes no query; put the database in the path");
  if (*auth_end == '/' && auth_end[1] != '\0' &&
      !parse_number(auth_end + 1, auth_end + strlen(auth_end), 0, 1 << 20,
                    &url->db))
    return bad(err, "the path must be a database number such as /0");
  return OC_OK;
}
