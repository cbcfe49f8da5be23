"""`python -m service.apply ROOT`: build the pushed changes waiting in ROOT's journal (service/applier.py).

Its own module, outside what `import service` loads, so running it as __main__ does not load the code twice.
"""

from __future__ import annotations

import sys

from service.applier import main

if __name__ == "__main__":
    sys.exit(main())
