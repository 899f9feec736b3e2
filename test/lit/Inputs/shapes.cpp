// C++: classes, virtual calls, templates, exceptions, the standard library.
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
};

struct Square : Shape {
  double Side;
  explicit Square(double Side) : Side(Side) {}
  double area() const override { return Side * Side; }
};

struct Circle : Shape {
  double Radius;
  explicit Circle(double Radius) : Radius(Radius) {
    if (Radius < 0)
      throw std::invalid_argument("negative radius");
  }
  double area() const override { return 3.14159265 * Radius * Radius; }
};

template <typename T> T total(const std::vector<std::unique_ptr<Shape>> &S) {
  T Sum{};
  for (const auto &Item : S)
    Sum += static_cast<T>(Item->area());
  return Sum;
}

std::map<std::string, double> summarize(int N) {
  std::vector<std::unique_ptr<Shape>> Shapes;
  for (int I = 0; I < N; ++I) {
    if (I % 2)
      Shapes.push_back(std::make_unique<Square>(I));
    else
      Shapes.push_back(std::make_unique<Circle>(I));
  }
  return {{"double", total<double>(Shapes)}, {"int", total<int>(Shapes)}};
}
