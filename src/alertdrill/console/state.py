"""What every request handler shares: the settings, who may do what, the runs, the templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, select_autoescape

from alertdrill.config import Settings
from alertdrill.console.access import Access
from alertdrill.console.catalog import Catalog, Entry, read_catalog
from alertdrill.console.runs import RunManager


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("alertdrill", "console/templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["secs"] = lambda v: "-" if v is None else f"{v:.1f} s"
    env.filters["when"] = lambda v: "-" if v is None else v.strftime("%a %Y-%m-%d %H:%M %Z")
    return env


@dataclass
class Console:
    settings: Settings
    access: Access
    runs: RunManager
    pages: Environment = field(default_factory=templates)

    def catalog(self) -> list[Entry]:
        return read_catalog(self.settings).entries

    def catalog_and_problems(self) -> Catalog:
        return read_catalog(self.settings)

    def entry(self, drill_id: str) -> Entry | None:
        return next((e for e in self.catalog() if e.id == drill_id), None)
