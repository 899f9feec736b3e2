/* util.h - the one function util.c gives main.c. */
#ifndef DEMO_UTIL_H
#define DEMO_UTIL_H
unsigned checksum(const char *text);
#endif
