"""Parity gate, part (a): every public name and signature of a solution exists identically in its template.

Read with :mod:`ast`, so a template that does not import (or does not even parse) is still reported
clearly. Public names are top-level functions, classes (with their public methods and ``__init__``)
and constants not starting with ``_``.

Command line: ``python -m dfkit.curriculum.parity`` (exit 1 and one line per difference).
"""
import ast
import sys
from pathlib import Path

from dfkit.curriculum.generate import solution_files, template_path
from dfkit.curriculum.switch import ROOT


def _signature(node):
    return f"({ast.unparse(node.args)})"


def _is_public(name):
    return not name.startswith("_") or name == "__init__"


def public_api(source):
    """Map each public dotted name to its signature (functions), base list (classes) or ``"constant"``."""
    api = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_public(node.name):
            api[node.name] = _signature(node)
        elif isinstance(node, ast.ClassDef) and _is_public(node.name):
            api[node.name] = f"class({', '.join(ast.unparse(b) for b in node.bases)})"
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_public(item.name):
                    api[f"{node.name}.{item.name}"] = _signature(item)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and _is_public(target.id):
                    api[target.id] = "constant"
    return api


def compare(solution_source, template_source):
    """Differences between the solution's public API and the template's, as readable strings."""
    want = public_api(solution_source)
    try:
        got = public_api(template_source)
    except SyntaxError as err:
        return [f"does not parse: {err.msg} (line {err.lineno})"]
    problems = []
    for name, sig in want.items():
        if name not in got:
            problems.append(f"{name} is missing (the solution defines {name}{sig if sig.startswith('(') else ''})")
        elif got[name] != sig:
            problems.append(f"{name}: expected {sig}, got {got[name]}")
    return problems


def check(root=ROOT):
    """All parity problems in the repository, as ``path: problem`` lines."""
    lines = []
    for solution in solution_files(root):
        template = template_path(solution, root)
        rel = template.relative_to(root)
        if not template.exists():
            lines.append(f"{rel}: missing (run `make templates`)")
            continue
        lines.extend(f"{rel}: {p}" for p in compare(solution.read_text(), template.read_text()))
    return lines


def main(argv=None):
    root = Path(argv[0]) if argv else ROOT
    problems = check(root)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"parity ok: {len(solution_files(root))} templates expose the solutions' public API")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
