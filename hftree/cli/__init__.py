"""The ``hftree`` command line: one module per sub-command, dispatched by :mod:`hftree.cli.main`."""
