"""The ``plotkit`` command line (typer + rich): thin wrappers over plotkit's core functions.

``app`` holds the commands; ``boundary`` is the one place where errors become exit codes.
"""
