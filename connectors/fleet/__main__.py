"""`python -m connectors.fleet`: the same as `trustops fleet`."""

import sys

from connectors.fleet.command import main

sys.exit(main())
