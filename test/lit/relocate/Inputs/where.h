static inline const char *where(void) { return __FILE__; }
