# shellcheck shell=bash
# Recipe: 127.0.0.1:5000/sandrun/libfuzzer — runs binaries built on this
# machine with `clang -fsanitize=fuzzer,address,undefined`.
#
# The libFuzzer, ASan and UBSan runtimes are linked statically into such a
# binary (libclang-rt-14-dev), so the image needs only the shared libraries
# it loads, found with ldd on a freshly built sample target (libstdc++, libm,
# libgcc_s, libc and the dynamic loader).
#
# Symbolizer: llvm-symbolizer needs libLLVM-14, libz3, libicudata and ~40
# other libraries (about 185 MB), so the image carries binutils' addr2line
# instead (4 MB with its libraries). The sanitizer runtime drives it when
# *_SYMBOLIZER_PATH names a binary called addr2line, so reports come out with
# function, file and line.
# Usage (from ci/setup.sh): bash ci/images/libfuzzer.sh OUTDIR
# shellcheck source=ci/images/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rootfs_busybox

sample=$OUT/sample
mkdir -p "$sample"
cat >"$sample/t.c" <<'C'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return size > 0 && data[0] == 'x';
}
C
clang -g -O1 -fsanitize=fuzzer,address,undefined -o "$sample/t" "$sample/t.c"
for lib in $(elf_libs "$sample/t"); do
	add_path "$lib"
done

add_elf /usr/bin/addr2line
for v in ASAN_SYMBOLIZER_PATH UBSAN_SYMBOLIZER_PATH LSAN_SYMBOLIZER_PATH; do
	set_env "$v" /usr/bin/addr2line
done

clang_version=$(clang --version | sed -n '1s/.*clang version \([^ ]*\).*/\1/p')
set_toolchain "libFuzzer + ASan/UBSan runtime for targets built with Debian clang $clang_version (-fsanitize=fuzzer,address,undefined); addr2line symbolizer; busybox"
