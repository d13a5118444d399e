"""Generate learner templates from the reference solutions (nbgrader-style markers).

In ``solutions/<phase>/template_*.py`` each part the learner writes sits between two comment lines::

    def crop_face(frame, box, margin=1.3):
        \"\"\"...the exercise statement stays...\"\"\"
        # BEGIN SOLUTION
        # HINT: scale the box about its centre first.
        x0, y0, x1, y1 = box
        ...
        # END SOLUTION

In ``<phase>/template_*.py`` the region becomes::

        # HINT: scale the box about its centre first.
        raise NotImplementedError("phase1_cnn_detection: implement crop_face")

``# BEGIN SOLUTION <what>`` names the part explicitly; otherwise the enclosing function is named.
Nested or unclosed markers raise :class:`MarkerError` naming the file and line.

Every template starts with a fingerprint of its generated text. A template whose text still matches
its fingerprint is untouched and may be regenerated; one the learner edited is never overwritten
unless ``--force`` is given. Edited templates are the normal state of a learner's checkout: they
are reported as "edited by you (kept)", never as an error.

Command line::

    python -m dfkit.curriculum.generate            # regenerate untouched templates, keep edited ones
    python -m dfkit.curriculum.generate --force    # overwrite edited templates too
    python -m dfkit.curriculum.generate --check    # exit 1 if an UNEDITED template is stale
    python -m dfkit.curriculum.generate --out DIR  # write into DIR/<phase>/ instead
"""
import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dfkit.curriculum.switch import ROOT, discover_phases

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HINT = "# HINT:"
FINGERPRINT = re.compile(r"^# template fingerprint: ([0-9a-f]{16})$", re.MULTILINE)
_DEF = re.compile(r"^(\s*)(?:async\s+def|def|class)\s+(\w+)")


class MarkerError(ValueError):
    """Solution markers are nested, unclosed or unmatched."""


@dataclass
class _Region:
    line: int
    indent: str
    what: str
    hints: list = field(default_factory=list)


def _indent(line):
    return line[: len(line) - len(line.lstrip())]


def _enclosing_name(lines, index):
    """Dotted name of the def/class enclosing ``lines[index]`` (e.g. ``"Meso4.forward"``)."""
    names, limit = [], len(_indent(lines[index]))
    for line in reversed(lines[:index]):
        match = _DEF.match(line)
        if match and len(match.group(1)) < limit:
            names.append(match.group(2))
            limit = len(match.group(1))
            if limit == 0:
                break
    return ".".join(reversed(names)) or "this part"


def fingerprint(body):
    """First 16 hex digits of the SHA-256 of a template's body (everything after its header)."""
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _header(solution_rel, body):
    return (f"# Learner template generated from {solution_rel} by `make templates`.\n"
            f"# Replace each `raise NotImplementedError(...)` with your code; see IMPLEMENTATION_GUIDE.md.\n"
            f"# template fingerprint: {fingerprint(body)}\n")


def strip_solutions(source, filename, phase):
    """Return ``source`` with every solution region replaced by its hints and a ``raise``."""
    lines = source.splitlines(keepends=True)
    out, region = [], None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if region:
                raise MarkerError(f"{filename}:{number}: nested '{BEGIN}' "
                                  f"(the region opened at line {region.line} is not closed)")
            what = stripped[len(BEGIN):].strip(" :-") or _enclosing_name(lines, number - 1)
            region = _Region(number, _indent(line), what)
        elif stripped.startswith(END):
            if not region:
                raise MarkerError(f"{filename}:{number}: '{END}' without a matching '{BEGIN}'")
            out.extend(region.hints)
            out.append(f'{region.indent}raise NotImplementedError("{phase}: implement {region.what}")\n')
            region = None
        elif region is None:
            out.append(line)
        elif stripped.startswith(HINT):
            region.hints.append(line)
    if region:
        raise MarkerError(f"{filename}:{region.line}: '{BEGIN}' is never closed with '{END}'")
    return "".join(out)


def render_template(solution_path, root=ROOT):
    """The full template text (header + stripped body) for one solution file."""
    solution_path = Path(solution_path)
    rel = solution_path.relative_to(root).as_posix()
    phase = solution_path.parent.name
    body = strip_solutions(solution_path.read_text(), rel, phase)
    compile(body, rel.replace("solutions/", "", 1), "exec")  # a template must at least parse
    return _header(rel, body) + body


def is_untouched(template_text):
    """True when a template still matches its own fingerprint (the learner has not edited it)."""
    match = FINGERPRINT.search(template_text)
    return bool(match) and fingerprint(template_text[match.end() + 1:]) == match.group(1)


def is_from_current_solution(template_text, generated_text):
    """True when an (edited) template was generated from the solution as it is now (same fingerprint)."""
    have, want = FINGERPRINT.search(template_text), FINGERPRINT.search(generated_text)
    return bool(have) and have.group(1) == want.group(1)


def solution_files(root=ROOT):
    """All ``solutions/<phase>/template_*.py`` files, sorted."""
    solutions = Path(root) / "solutions"
    return sorted(p for phase in discover_phases(root) for p in (solutions / phase).glob("template_*.py"))


def template_path(solution_path, root=ROOT, out=None):
    """Where the template of ``solution_path`` lives (under ``out`` instead of the repo when given)."""
    rel = Path(solution_path).relative_to(Path(root) / "solutions")
    return Path(out or root) / rel


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dfkit.curriculum.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale templates (exit 1 if any)")
    parser.add_argument("--force", action="store_true", help="overwrite templates the learner has edited")
    parser.add_argument("--out", type=Path, help="write templates under this folder instead of the repository")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    stale, kept, written = [], [], []
    for solution in solution_files(args.root):
        try:
            text = render_template(solution, args.root)
        except (MarkerError, SyntaxError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        target = template_path(solution, args.root, args.out)
        current = target.read_text() if target.exists() else None
        if current == text:
            continue
        if current is not None and not args.force and not is_untouched(current):
            kept.append((target, is_from_current_solution(current, text)))
        elif args.check:
            stale.append(target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(target)
    for path in written:
        print(f"wrote {path}")
    for path, current in kept:
        note = "" if current else ("; its solution has changed since: `make templates FORCE=1` regenerates it "
                                   "and discards your edits")
        print(f"edited by you (kept): {path}{note}")
    for path in stale:
        print(f"stale: {path} (unedited) differs from what its solution generates (run `make templates`)",
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
