/* String handling, a switch table, globals and static data. */
#include <stdio.h>
#include <string.h>

static const char *const names[] = {"zero", "one", "two", "three", "four"};
int calls;

const char *name_of(unsigned i) {
  calls++;
  return i < sizeof names / sizeof *names ? names[i] : "many";
}

int classify(int c) {
  switch (c) {
  case 'a': case 'e': case 'i': case 'o': case 'u':
    return 1;
  case ' ': case '\t': case '\n':
    return 2;
  case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9':
    return 3;
  default:
    return 0;
  }
}

size_t count_vowels(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += classify(*s) == 1;
  return n;
}

void print_report(const char *s) {
  printf("%s: %zu vowels, %zu bytes, first word %s\n", s, count_vowels(s),
         strlen(s), name_of((unsigned)strlen(s) % 7));
}
