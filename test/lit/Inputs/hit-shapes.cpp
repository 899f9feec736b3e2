// C++ input for the hit-path matrix: global objects with constructors and
// destructors (and init_priority), thread_local with dynamic initialisation,
// inline variables, function-local statics (guard variables), vtables,
// templates in comdats, exceptions, aliases, an ifunc, weak and hidden
// symbols, sections, thunks, a replaced operator new. No #include: the matrix
// compiles it many times.
extern "C" int printf(const char *, ...);
extern "C" void *malloc(decltype(sizeof 0));
extern "C" void free(void *);

void *operator new(decltype(sizeof 0) Size) { return malloc(Size ? Size : 1); }
void operator delete(void *P) noexcept { free(P); }
void operator delete(void *P, decltype(sizeof 0)) noexcept { free(P); }

struct Counter {
  int Value;
  const char *Name;
  Counter(const char *Name, int Start) : Value(Start), Name(Name) {}
  ~Counter() { printf("%s=%d\n", Name, Value); }
};

Counter Plain("plain", 1);
Counter Early __attribute__((init_priority(101)))("early", 2);
Counter Late __attribute__((init_priority(65000)))("late", 3);
static Counter Internal("internal", 4);
thread_local Counter PerThread("per-thread", 5);
thread_local int PerThreadValue = Plain.Value + 1;
inline Counter Shared("shared", 6);
inline int SharedValue = Shared.Value * 2;
__attribute__((weak)) Counter WeakObject("weak", 7);
__attribute__((visibility("hidden"))) Counter HiddenObject("hidden", 8);
__attribute__((section(".data.objcache"))) int InSection = 9;

struct Base {
  virtual ~Base() {}
  virtual int area() const = 0;
  virtual int scaled(int K) const { return area() * K; }
};

struct Square : Base {
  int Side;
  explicit Square(int Side) : Side(Side) {}
  int area() const override { return Side * Side; }
};

struct Negative {
  int Value;
};

struct Circle : virtual Base {
  int Radius;
  explicit Circle(int Radius) : Radius(Radius) {
    if (Radius < 0)
      throw Negative{Radius};
  }
  int area() const override { return 3 * Radius * Radius; }
};

template <typename T> struct Box {
  T Item;
  static int Made;
  explicit Box(T Item) : Item(Item) { ++Made; }
  T get() const { return Item; }
};
template <typename T> int Box<T>::Made = 0;
template struct Box<long>;

struct Left {
  virtual ~Left() {}
  virtual int left() { return 1; }
};
struct Right {
  virtual ~Right() {}
  virtual Right *self() { return this; }
};
struct Both : Left, Right {
  Both *self() override { return this; } // a covariant this-adjusting thunk
};

template <typename T> constexpr T Scale = T(3);
extern template struct Box<short>;

template <typename T> T sum(const T *First, int N) {
  T Total{};
  for (int I = 0; I < N; ++I)
    Total += First[I];
  return Total;
}

Counter &singleton() {
  static Counter Once("once", 10);
  return Once;
}

int guarded(int X) {
  static int Computed = X * 3 + singleton().Value;
  return Computed;
}

int tryShapes(int R) {
  try {
    Circle C(R);
    Square S(R + 1);
    Base *Shapes[] = {&C, &S};
    int Total = 0;
    for (Base *B : Shapes)
      Total += B->scaled(2);
    return Total;
  } catch (const Negative &N) {
    return N.Value;
  } catch (...) {
    return -1;
  }
}

extern "C" int realEntry(int X) { return X + Plain.Value; }
extern "C" int aliasEntry(int) __attribute__((alias("realEntry")));

extern "C" {
static int pickSlow() { return 1; }
static int pickFast() { return 2; }
int (*resolvePick())() { return Plain.Value > 100 ? pickFast : pickSlow; }
int picked() __attribute__((ifunc("resolvePick")));
}

__attribute__((weak)) int weakFunction(int X) { return X * 5; }
__attribute__((visibility("hidden"))) int hiddenFunction(int X) {
  return X - 5;
}
__attribute__((section(".text.objcache"))) int sectionFunction(int X) {
  return X ^ 0x33;
}

namespace {
struct Local {
  int V;
  Local() : V(PerThreadValue) {}
};
Local AnonymousGlobal;
} // namespace

int heap(int X) {
  Right *R = new Both;
  int V = R->self() != nullptr ? X : 0;
  delete R;
  thread_local int Calls = 0;
  return V + ++Calls + Scale<int> + static_cast<int>(Scale<double>);
}

int useEverything(int X) {
  Box<int> B(X);
  Box<long> L(X);
  Box<double> D(X);
  long Values[] = {1, 2, 3, X};
  auto Lambda = [X](int Y) { return X * Y + SharedValue; };
  return B.get() + static_cast<int>(L.get() + D.get()) +
         static_cast<int>(sum(Values, 4)) + Lambda(2) + guarded(X) +
         tryShapes(X) + aliasEntry(X) + picked() + weakFunction(X) +
         hiddenFunction(X) + sectionFunction(X) + PerThread.Value +
         Internal.Value + Early.Value + Late.Value + WeakObject.Value +
         HiddenObject.Value + InSection + AnonymousGlobal.V + Box<int>::Made +
         heap(X);
}
