"""Shared CLI plumbing: one clear message and a non-zero exit for bad input."""
import argparse
import ast
import sys

from dfkit.errors import DfkitError

EXIT_BAD_INPUT = 2


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error: ``error: <what is wrong> (see <prog> --help)``, exit status 2."""

    def error(self, message):
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def _number(text, convert, accept, expected):
    """``convert(text)`` if ``accept`` holds for it, else an argparse error saying ``expected``."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not accept(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text):
    """argparse type: an integer >= 1."""
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def fraction(text):
    """argparse type: a number strictly between 0 and 1."""
    return _number(text, float, lambda v: 0 < v < 1, "a fraction between 0 and 1")


def probability(text):
    """argparse type: a number in [0, 1]."""
    return _number(text, float, lambda v: 0 <= v <= 1, "a probability between 0 and 1")


def key_value(text):
    """argparse type: ``name=value`` -> (name, value); the value is a Python literal (1, 0.5, True, 'x') or text;
    ``true`` / ``false`` are booleans."""
    name, sep, raw = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected name=value (e.g. attention=true), got {text!r}")
    literal = {"true": "True", "false": "False", "none": "None"}.get(raw.lower(), raw)
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        value = raw
    return name, value


def run(main, argv=None, **options):
    """Call ``main(argv, **options)``; a :class:`DfkitError` becomes ``error: <message>`` on stderr and exit 2."""
    try:
        return main(argv, **options)
    except DfkitError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
