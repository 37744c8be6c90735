// C++ frames (namespaces, templates, methods) in an ASan report.
#include <cstdio>
#include <vector>

namespace dns {
template <typename T> struct Reader {
	std::vector<T> buf;
	__attribute__((noinline)) T at(size_t i) const { return buf.data()[i]; }
};
__attribute__((noinline)) int parse_name(const Reader<int> &r) { return r.at(r.buf.size()); }
} // namespace dns

int main()
{
	dns::Reader<int> r;
	r.buf.resize(4);
	std::printf("%d\n", dns::parse_name(r));
}
