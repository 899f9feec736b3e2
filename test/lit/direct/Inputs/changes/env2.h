#define VIAENV 20
