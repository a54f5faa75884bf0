"""`python -m onramp` is the `onramp` console script."""

import sys

from onramp.cli import main

sys.exit(main())
