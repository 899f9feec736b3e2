/* Shared by the project's files; tests edit it. */
#define SCALE 3
int twice(int x);
