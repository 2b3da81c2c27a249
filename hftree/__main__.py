import sys

from hftree.cli.main import main

sys.exit(main())
