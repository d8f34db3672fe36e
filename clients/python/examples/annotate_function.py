#!/usr/bin/env python3
"""Print the search query the annotator writes for a Python function.

    annotate_function.py [--addr localhost:50053] [--token T] [FILE FUNCTION]

Without FILE and FUNCTION it annotates a small sample function. The token
falls back to $Q4C_AUTH_TOKEN.
"""

import argparse
import ast
import os
import sys

try:
    import query4code
except ImportError:  # run from a checkout: the package is one level up
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import query4code

SAMPLE_PATH = "textutil/lines.py"
SAMPLE = '''def split_multiline(value):
    """Split a multiline string into a list, excluding blank lines."""
    return [l for l in (x.strip() for x in value.split('\\n')) if l]
'''


def function_source(path: str, name: str) -> str:
    """The source of the first function or method called name in path."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for node in ast.walk(ast.parse(text, filename=path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            lines = text.splitlines(keepends=True)
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return "".join(lines[start - 1:node.end_lineno])
    raise SystemExit(f"{path}: no function named {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--addr", default=os.environ.get("Q4C_ANNOTATOR_ADDR", "localhost:50053"))
    parser.add_argument("--token", default=os.environ.get("Q4C_AUTH_TOKEN"))
    parser.add_argument("file", nargs="?")
    parser.add_argument("function", nargs="?")
    args = parser.parse_args()
    if (args.file is None) != (args.function is None):
        parser.error("give both FILE and FUNCTION, or neither")

    path, code = SAMPLE_PATH, SAMPLE
    if args.file:
        path, code = args.file, function_source(args.file, args.function)
    with query4code.Client(args.addr, token=args.token) as client:
        try:
            result = client.annotate(code, path=path)
        except query4code.Q4CError as err:
            print(f"annotate failed: {err}", file=sys.stderr)
            return 1
    print(f"query: {result.query}")
    print(f"score: {result.score} ({'kept' if result.kept else 'rejected'}), model {result.model}")
    print(f"summary: {result.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
