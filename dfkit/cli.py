"""Shared CLI plumbing: one clear message and a non-zero exit for bad input."""
import sys

from dfkit.errors import DfkitError

EXIT_BAD_INPUT = 2


def run(main, argv=None):
    """Call ``main(argv)``; a :class:`DfkitError` becomes ``error: <message>`` on stderr and exit 2."""
    try:
        return main(argv)
    except DfkitError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
