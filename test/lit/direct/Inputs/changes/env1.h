#define VIAENV 10
