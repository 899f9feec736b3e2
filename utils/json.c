/* json.c - JSON strings for machine-readable output (--print-stats
 * --format=json). Output is always valid JSON text: quotes, backslashes
 * and control characters are escaped, well-formed UTF-8 passes through,
 * and a byte that is not part of well-formed UTF-8 (a path is any bytes)
 * becomes U+FFFD rather than making the whole document unparsable. */
#include "tool.h"

#include <stdio.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *s) {
  unsigned char c = s[0];
  size_t len;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      min_second = 0xA0; /* overlong */
    if (c == 0xED)
      max_second = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      min_second = 0x90; /* overlong */
    if (c == 0xF4)
      max_second = 0x8F; /* past U+10FFFF */
  } else
    return 0;
  if (s[1] < min_second || s[1] > max_second)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return len;
}

void tool_json_string(FILE *out, const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  fputc('"', out);
  while (*s) {
    unsigned char c = *s;
    if (c == '"' || c == '\\') {
      fputc('\\', out);
      fputc(c, out);
      s++;
    } else if (c == '\n') {
      fputs("\\n", out);
      s++;
    } else if (c == '\t') {
      fputs("\\t", out);
      s++;
    } else if (c < 0x20) {
      fprintf(out, "\\u%04x", c);
      s++;
    } else if (c < 0x80) {
      fputc(c, out);
      s++;
    } else {
      size_t len = utf8_length(s); /* stops at the NUL: it is not 0x80-0xBF */
      if (len) {
        fwrite(s, 1, len, out);
        s += len;
      } else {
        fputs("\\ufffd", out);
        s++;
      }
    }
  }
  fputc('"', out);
}
