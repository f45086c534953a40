"""A ledger of injected faults on disk: written before injection, cleared after revert.

What a killed run (`kill -9`) leaves here, `alertdrill cleanup` and the next run revert.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alertdrill.config import FaultConfig
from alertdrill.endpoints import SECRET_HEADER
from alertdrill.processes import same_process, start_time
from alertdrill.redact import MASK, redact
from alertdrill.shell import GroupRecord


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    drill: str
    fault: str
    type: str
    options: dict[str, object]
    source: str
    config_path: str
    pid: int
    injected_at: float
    owner_start: int | None = None  # the harness's start time: a reused pid is not the owner

    def fault_config(self) -> FaultConfig:
        return FaultConfig(self.fault, self.type, self.options, self.source)

    @property
    def owner_alive(self) -> bool:
        return self.pid != os.getpid() and same_process(self.pid, self.owner_start)


SECRET_OPTIONS = frozenset({"password", "credentials"})  # an endpoint's inline secrets (see endpoints)


def _redacted(value: object, key: str = "", parent: str = "") -> Any:
    """Options as kept on disk: credentials in URLs hidden, and an endpoint's inline `password`,
    `credentials` and secret-looking headers (cleanup takes the real ones from the config)."""
    if isinstance(value, str):
        secret = key in SECRET_OPTIONS or (parent == "headers" and SECRET_HEADER.search(key) is not None)
        return MASK if secret else redact(value)
    if isinstance(value, Mapping):
        return {str(k): _redacted(v, str(k), key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


@dataclass(frozen=True)
class Ledger:
    folder: Path

    def record(self, drill: str, fault: FaultConfig, config_path: Path) -> LedgerEntry:
        entry = LedgerEntry(
            uuid.uuid4().hex[:12],
            drill,
            fault.name,
            fault.type,
            _redacted(fault.options),
            fault.source,
            str(config_path),
            os.getpid(),
            time.time(),
            start_time(os.getpid()),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{entry.id}.tmp"
        tmp.write_text(json.dumps(asdict(entry), indent=2, default=str))
        with open(tmp) as handle:
            os.fsync(handle.fileno())
        tmp.replace(self.folder / f"{entry.id}.json")
        return entry

    def clear(self, entry: LedgerEntry) -> None:
        (self.folder / f"{entry.id}.json").unlink(missing_ok=True)

    def entries(self) -> list[LedgerEntry]:
        found = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                found.append(LedgerEntry(**json.loads(path.read_text())))
            except (ValueError, TypeError):
                path.rename(path.with_suffix(".corrupt"))
        return found

    @property
    def groups(self) -> GroupRecord:
        """Process groups of the shells that inject, revert and run runbook steps."""
        return GroupRecord(self.folder / "groups")

    def orphans(self) -> list[LedgerEntry]:
        """Entries whose harness process is gone: nobody else will revert them."""
        return [e for e in self.entries() if not e.owner_alive]
