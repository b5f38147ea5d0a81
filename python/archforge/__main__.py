import sys

from archforge.cli import main

sys.exit(main())
