/* objcache.c - placeholder entry point of the objcache command (replaced by
 * the real tool). */
#include <stdio.h>
int main(void) {
  fputs("objcache: not implemented yet\n", stderr);
  return 2;
}
