/* util.c - a loop the optimizer has something to do with. */
#include "util.h"

unsigned checksum(const char *text) {
  unsigned sum = 2166136261u;
  for (; *text; text++)
    sum = (sum ^ (unsigned char)*text) * 16777619u;
  return sum;
}
