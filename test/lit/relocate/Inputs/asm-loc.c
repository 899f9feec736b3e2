/* File-scope assembly with its own line table: the integrated assembler
 * writes .debug_line for it without -g, and would put a compilation
 * directory there if MC had one. */
__asm__(".file 1 \"asm-loc.c\"\n.text\n.loc 1 3\nnop\n");
int f(int x) { return x + 1; }
