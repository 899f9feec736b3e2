#define PICK 2
