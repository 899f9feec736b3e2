#define PICK 1
