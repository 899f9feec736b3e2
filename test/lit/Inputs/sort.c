/* A small sorting library: loops, recursion, function pointers. */
#include <stddef.h>
#include <string.h>

typedef int (*cmp_fn)(const void *, const void *);

static void swap_bytes(char *a, char *b, size_t size) {
  while (size--) {
    char t = *a;
    *a++ = *b;
    *b++ = t;
  }
}

void quick_sort(void *base, size_t n, size_t size, cmp_fn cmp) {
  char *items = base;
  if (n < 2)
    return;
  char *pivot = items + (n / 2) * size;
  swap_bytes(pivot, items + (n - 1) * size, size);
  size_t store = 0;
  for (size_t i = 0; i + 1 < n; i++)
    if (cmp(items + i * size, items + (n - 1) * size) < 0)
      swap_bytes(items + i * size, items + store++ * size, size);
  swap_bytes(items + store * size, items + (n - 1) * size, size);
  quick_sort(items, store, size, cmp);
  quick_sort(items + (store + 1) * size, n - store - 1, size, cmp);
}

int compare_ints(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int is_sorted(const int *v, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (v[i - 1] > v[i])
      return 0;
  return 1;
}
