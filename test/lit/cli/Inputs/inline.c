/* inline.c - a call worth inlining, so that -O and -mllvm
 * -inline-threshold= settings show up as factors for --explain. */
static int add(int a, int b) { return a + b; }
int sum(const int *v, int n) {
  int s = 0;
  for (int i = 0; i < n; i++)
    s = add(s, v[i]);
  return s;
}
