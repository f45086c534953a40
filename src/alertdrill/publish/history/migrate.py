"""Bring a history database to the newest schema with Alembic, on the caller's engine.

no tables at all                        -> upgrade to HEAD (revision 0001, then 0002, ...)
alertdrill_runs but no alembic_version  -> written by alertdrill 0.1.0, before migrations:
                                           stamp 0001 (its exact schema), then upgrade to HEAD
alembic_version at HEAD                 -> nothing (one small query; Alembic is not even imported)
alembic_version at an unknown revision  -> ConfigError: written by a newer alertdrill
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from alertdrill.errors import ConfigError
from alertdrill.publish.history.schema import HEAD, runs

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
BEFORE_MIGRATIONS = "0001"  # the schema alertdrill 0.1.0 created with metadata.create_all()


def current_revision(db: Connection) -> str | None:
    """The database's schema revision; BEFORE_MIGRATIONS for 0.1.0's tables; None when empty."""
    tables = set(inspect(db).get_table_names())
    if VERSION_TABLE in tables:
        versions = db.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        if versions:
            return str(versions[0])
    return BEFORE_MIGRATIONS if runs.name in tables else None


def alembic_config(db: Connection) -> Config:
    """Alembic's configuration for the migrations shipped in this package, run on `db` (no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = db
    return config


def upgrade(engine: Engine) -> None:
    """Migrate to HEAD in one transaction (on PostgreSQL the DDL too); a no-op when already there."""
    with engine.connect() as db:
        if current_revision(db) == HEAD:
            return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    with engine.begin() as db:
        config = alembic_config(db)
        known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
        found = current_revision(db)
        if found is not None and found not in known:
            raise ConfigError(
                f"history: the database is at schema revision {found!r}, which this alertdrill "
                f"does not know (its newest is {HEAD!r})",
                fix="upgrade alertdrill, or point history at another database",
            )
        try:
            if found is not None and not inspect(db).has_table(VERSION_TABLE):
                command.stamp(config, found)
            command.upgrade(config, "head")
        except CommandError as exc:
            raise ConfigError(
                f"history: cannot migrate the database to schema revision {HEAD} ({exc})",
                fix="restore the database from a backup or report the message",
            ) from None
