"""``python -m arrivals.matching INSTANCE.json`` (or ``-`` for standard input): print the answer.

Bad input prints one line on standard error and exits with status 2.
"""

from __future__ import annotations

import json
import sys

from . import answer_to_json, instance_from_json, solve

USAGE = "usage: python -m arrivals.matching INSTANCE.json  (- reads standard input)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 0 if args and args[0] in ("-h", "--help") else 2
    path = args[0]
    try:
        if path == "-":
            data = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        spaces, parties = instance_from_json(data)
        answer = solve(spaces=spaces, parties=parties)
    except OSError as error:
        print(f"arrivals.matching: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        print(f"arrivals.matching: bad instance {path}: {error}", file=sys.stderr)
        return 2
    json.dump(answer_to_json(answer), sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
