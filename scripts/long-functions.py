#!/usr/bin/env python3
"""Lists the functions in src/ longer than a limit (default 60 lines), longest first.

    scripts/long-functions.py [LIMIT]

A function's length runs from its `fn` line to its closing brace (braces counted outside
comments, strings and character literals). `#[cfg(test)]` modules are not counted.
"""
import os
import re
import sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 60
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")


def code_of(line):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)
    return line.split("//")[0]


def length(lines, start):
    """Lines from `start` to the function's closing brace; None for a declaration."""
    depth, opened = 0, False
    for i in range(start, len(lines)):
        code = code_of(lines[i])
        for ch in code:
            if ch == "{":
                depth, opened = depth + 1, True
            elif ch == "}":
                depth -= 1
        if not opened and code.rstrip().endswith(";"):
            return None
        if opened and depth == 0:
            return i - start + 1
    return None


found = []
for folder, _, files in os.walk(ROOT):
    for name in files:
        if not name.endswith(".rs"):
            continue
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            if line.strip().startswith("#[cfg(test)]"):
                break
            m = FN.match(line)
            n = m and length(lines, i)
            if n and n > LIMIT:
                found.append((n, os.path.relpath(path, ROOT), i + 1, m.group(6)))
for n, path, line, name in sorted(found, reverse=True):
    print(f"{n:4} src/{path}:{line} {name}")
sys.exit(1 if found else 0)
