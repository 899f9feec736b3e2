/* A warning on every compile: its text names this file as given. */
int f(int x) { int unused; return x; }
