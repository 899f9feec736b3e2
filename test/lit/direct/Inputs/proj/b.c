#include <stdio.h>
#include "common.h"
int main(void) {
  printf("%d\n", twice(21));
  return 0;
}
