"""Fails when two sibling modules of a crate import each other (`a` uses
`crate::b` and `b` uses `crate::a`, or the same through `super::`): an
import circle means neither module owns the concept they share. Comments
are left out, so a doc link is not an import; a module's `tests` are too.

Usage: python3 scripts/import_circles.py crates/service/src [more roots]
"""

import itertools
import os
import re
import sys


def module_name(root, path):
    rel = os.path.relpath(path, root)[:-3]
    if rel.endswith("/mod"):
        rel = rel[: -len("/mod")]
    return "crate" if rel in ("lib", "main") else rel.replace("/", "::")


def references(name, source):
    source = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", source, flags=re.S)
    source = re.sub(r"//[^\n]*", "", source)
    parent = name.rsplit("::", 1)[0] if "::" in name else ""
    found = set()
    for m in re.finditer(r"crate::([a-z_]+)(?:::([a-z_]+))?", source):
        found.add(m.group(1))
        if m.group(2):
            found.add(f"{m.group(1)}::{m.group(2)}")
    for m in re.finditer(r"super::([a-z_]+)", source):
        found.add(f"{parent}::{m.group(1)}" if parent else m.group(1))
    return found


def circles(root):
    modules = {}
    for directory, _, files in os.walk(root):
        for file in files:
            if file.endswith(".rs"):
                path = os.path.join(directory, file)
                name = module_name(root, path)
                with open(path) as f:
                    modules[name] = references(name, f.read())
    for a, b in itertools.combinations(sorted(m for m in modules if m != "crate"), 2):
        if b in modules[a] and a in modules[b]:
            yield a, b


def main():
    found = [(root, a, b) for root in sys.argv[1:] for a, b in circles(root)]
    for root, a, b in found:
        print(f"{root}: {a} and {b} import each other", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"no import circles in {', '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
