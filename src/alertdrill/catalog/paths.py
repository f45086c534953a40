"""Paths as people read them: relative to the project when they are inside it."""

from __future__ import annotations

from pathlib import Path


def display_path(path: Path, root: Path) -> str:
    try:
        return str(path.absolute().relative_to(root.absolute()))
    except ValueError:
        return str(path)
