/* The program of the multi-file tests: calls into sort.c and strings.c. */
#include <stdio.h>
#include <stddef.h>

void quick_sort(void *base, size_t n, size_t size,
                int (*cmp)(const void *, const void *));
int compare_ints(const void *a, const void *b);
int is_sorted(const int *v, size_t n);
void print_report(const char *s);

int main(void) {
  int v[] = {5, 3, 9, 1, 7, 2, 8};
  quick_sort(v, sizeof v / sizeof *v, sizeof *v, compare_ints);
  print_report("objcache");
  printf("sorted: %d\n", is_sorted(v, sizeof v / sizeof *v));
  return 0;
}
