"""Small command-line tools (python -m fineweb_kit.tools.<name>)."""
