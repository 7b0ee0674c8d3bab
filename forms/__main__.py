"""``python -m forms --out DIR [--policy FILE] [FORM_ID ...]``: build the shipped forms without the
server (the server's ``shoudi forms build`` calls the same ``cli_build``)."""
from __future__ import annotations

import argparse
import sys

from .build import cli_build
from .errors import FormsError
from .fields import FORM_IDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forms", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory to write <id>.xlsx, <id>.xml, <id>-media/")
    parser.add_argument("--policy", help="policy file (TOML/JSON); default: the bundled demo policy")
    parser.add_argument("form_ids", nargs="*", metavar="FORM_ID",
                        help=f"forms to build (default: all of {', '.join(FORM_IDS)})")
    args = parser.parse_args(argv)
    unknown = [f for f in args.form_ids if f not in FORM_IDS]
    if unknown:
        parser.error(f"unknown form id(s): {', '.join(unknown)}; known: {', '.join(FORM_IDS)}")
    try:
        written = cli_build(args.out, policy=args.policy, form_ids=args.form_ids or None)
    except FormsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
