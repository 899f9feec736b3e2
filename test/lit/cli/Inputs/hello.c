/* hello.c - a small, complete program for launcher tests: compiles, links
 * and runs. */
#include <stdio.h>

static int square(int x) { return x * x; }

int main(void) {
  printf("hello %d\n", square(7));
  return 0;
}
