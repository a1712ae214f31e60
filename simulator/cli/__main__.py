"""``python -m simulator.cli``: the same as the ``mcusim`` console script."""
import sys

from . import main

sys.exit(main())
