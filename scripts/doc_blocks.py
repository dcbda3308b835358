"""The shell blocks of README.md and docs/*.md, by name.

A block that a reader may paste is fenced as ```sh <name>; this prints the
names (`list`) or one block (`show NAME`), so that the check that runs them
reads what the documents say, not a copy.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^( *)```sh(?:[ \t]+(\S+))?[ \t]*\n(.*?)^\1```", re.M | re.S)


def blocks():
    found = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for match in FENCE.finditer(path.read_text(encoding="utf-8")):
            indent, name, body = match.groups()
            where = path.relative_to(ROOT)
            if not name:
                sys.exit(f"{where}: a sh block without a name (```sh <name>)")
            if name in found:
                sys.exit(f"{where}: the block name {name} is used twice")
            lines = [line[len(indent):] if line.startswith(indent) else line for line in body.splitlines()]
            found[name] = (str(where), "\n".join(lines) + "\n")
    return found


if __name__ == "__main__":
    all_blocks = blocks()
    if sys.argv[1:] == ["list"]:
        for name, (where, _) in all_blocks.items():
            print(name, where)
    elif len(sys.argv) == 3 and sys.argv[1] == "show":
        if sys.argv[2] not in all_blocks:
            sys.exit(f"no sh block named {sys.argv[2]}")
        sys.stdout.write(all_blocks[sys.argv[2]][1])
    else:
        sys.exit("usage: doc_blocks.py list | show NAME")
