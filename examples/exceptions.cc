// exceptions.cc: the target of cxxexcept.pytap.  It throws and catches a
// few exceptions of different types, one of them rethrown, and prints
// what it caught.
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace shop {
struct OutOfStock {
	int item;
};
}

static int lookup(const std::vector<int> &v, size_t i)
{
	return v.at(i);	// throws std::out_of_range past the end
}

static void sell(int item)
{
	if (item > 2)
		throw shop::OutOfStock{item};
}

static void checkout()
{
	try {
		sell(3);
	} catch (...) {
		throw;	// rethrown to the caller
	}
}

int main()
{
	std::vector<int> v{1, 2, 3};

	try {
		lookup(v, 7);
	} catch (const std::out_of_range &) {
		std::puts("caught std::out_of_range");
	}
	try {
		checkout();
	} catch (const shop::OutOfStock &e) {
		std::printf("caught shop::OutOfStock %d\n", e.item);
	}
	try {
		throw 42;
	} catch (int n) {
		std::printf("caught int %d\n", n);
	}
	return 0;
}
