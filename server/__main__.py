"""`python -m server …` is the `shoudi` command."""
import sys

from server.cli import main

sys.exit(main())
