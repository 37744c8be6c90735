#!/usr/bin/env python3
"""The house rules of the source tree, checked from outside (make check).

- no include circle: between files (a .c and its .h are one module, so
  run.c -> warm.h and warm.c -> run.h is a circle) and between folders;
- no production function over 80 lines (signature to closing brace);
- no source file over 800 lines;
- no folder under runner/ with more than 20 files.

Prints every offender and the largest of each kind; exits 1 on any offender.
Usage: tests/tools/house.py [--quiet] (run from the source root)."""
import os
import re
import sys

ROOTS = ["lib", "runner", "catalogue"]
MAX_FUNC, MAX_FILE, MAX_FOLDER = 80, 800, 20
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources():
    for root in ROOTS:
        for d, _, files in os.walk(root):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = INCLUDE.match(line)
            if m:
                yield m.group(1)


def cycles(edges):
    """Every strongly connected component with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def include_graphs(files):
    mods, folders = {}, {}
    for f in files:
        m = os.path.splitext(f)[0]
        for inc in includes(f):
            if not os.path.exists(inc):
                continue  # system or generated header
            t = os.path.splitext(inc)[0]
            if t != m:
                mods.setdefault(m, set()).add(t)
            fa, fb = os.path.dirname(f), os.path.dirname(inc)
            if fa != fb:
                folders.setdefault(fa, set()).add(fb)
    return mods, folders


def functions(path):
    """(name, first line, length) of each function definition: a line at
    column 0 that names a function, up to the '}' at column 0."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().split("\n")
    start, name = None, None
    for i, line in enumerate(lines):
        if start is None:
            if line == "{" and i > 0:
                j = i - 1
                while j > 0 and lines[j - 1][:1] not in ("", "}", "#", "/", " ", "*") and \
                        not lines[j - 1].rstrip().endswith((";", "}", "*/")) and \
                        lines[j][:1] in ("\t", " "):
                    j -= 1
                sig = " ".join(lines[j:i])
                m = re.search(r"([A-Za-z_]\w*)\s*\(", sig)
                if m and "=" not in sig.split("(")[0]:
                    start, name = j, m.group(1)
        elif line.startswith("}"):
            yield name, start + 1, i - start + 1
            start = None


def main():
    quiet = "--quiet" in sys.argv
    files = list(sources())
    bad = 0
    mods, folders = include_graphs(files)
    for kind, graph in (("file", mods), ("folder", folders)):
        for c in cycles(graph):
            print("include circle between %ss: %s" % (kind, " <-> ".join(c)))
            bad += 1
    longest, largest = ("", 0, 0, ""), ("", 0)
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            n = fh.read().count("\n")
        if n > largest[1]:
            largest = (f, n)
        if n > MAX_FILE:
            print("file over %d lines: %s (%d)" % (MAX_FILE, f, n))
            bad += 1
        if not f.endswith(".c"):
            continue
        for name, line, length in functions(f):
            if length > longest[2]:
                longest = (f, line, length, name)
            if length > MAX_FUNC:
                print("function over %d lines: %s:%d %s (%d)" % (MAX_FUNC, f, line, name, length))
                bad += 1
    biggest = ("", 0)
    for d in sorted(os.listdir("runner")):
        p = os.path.join("runner", d)
        if os.path.isdir(p):
            n = len([x for x in os.listdir(p) if os.path.isfile(os.path.join(p, x))])
            if n > biggest[1]:
                biggest = (p, n)
            if n > MAX_FOLDER:
                print("folder over %d files: %s (%d)" % (MAX_FOLDER, p, n))
                bad += 1
    if not quiet:
        print("house: %d file(s); longest function %s (%s:%d, %d lines); largest file %s "
              "(%d lines); largest folder %s (%d files); %d file and %d folder include edges"
              % (len(files), longest[3], longest[0], longest[1], longest[2], largest[0],
                 largest[1], biggest[0], biggest[1], sum(map(len, mods.values())),
                 sum(map(len, folders.values()))))
    if bad:
        print("house: %d offender(s)" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
