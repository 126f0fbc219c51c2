"""Sub-commands of the ``fineweb-kit`` CLI, one module each (``add_parser`` + ``run``)."""
