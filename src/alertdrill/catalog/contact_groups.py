"""`notifiers/contact-groups.yml`: which Alertmanager receiver and which notify URLs belong to whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alertdrill.catalog.mailbox import Mailbox, parse_mailbox
from alertdrill.yamlfile import YamlDoc, load_yaml


@dataclass(frozen=True)
class ContactGroup:
    name: str
    receiver: str
    notify: tuple[str, ...] = ()
    line: int = 0
    imap: Mailbox | None = None  # where its email is read back (see catalog.mailbox)
    delivery: str = ""  # "routed": routing seen counts as reaching the group (delivery not observable)


@dataclass(frozen=True)
class ContactGroups:
    path: Path
    groups: dict[str, ContactGroup] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.groups

    def names(self) -> list[str]:
        return list(self.groups)

    def receiver(self, group: str) -> str:
        return self.groups[group].receiver

    def routed_receivers(self) -> frozenset[str]:
        """Receivers whose contact group accepts routing as proof (`delivery: routed`)."""
        return frozenset(g.receiver for g in self.groups.values() if g.delivery == "routed")

    def group_of(self, receiver: str) -> str | None:
        return next((g.name for g in self.groups.values() if g.receiver == receiver), None)

    @classmethod
    def load(cls, path: Path | None) -> ContactGroups:
        if path is None or not path.exists():
            return cls(path or Path("notifiers/contact-groups.yml"))
        doc = load_yaml(path, what="contact groups file")
        if doc.data is None:
            return cls(path)
        if not isinstance(doc.data, dict):
            raise doc.error("contact groups file must map group names to {receiver, notify}")
        groups = {}
        for name, body in doc.data.items():
            if not isinstance(body, dict):
                raise doc.error(
                    f"contact group {name!r} must be a mapping, not {_short(body)}",
                    name,
                    fix="e.g. receiver: payments-oncall",
                )
            unknown = sorted(str(key) for key in body if key not in KEYS)
            if unknown:
                raise doc.error(
                    f"contact group {name!r} has unknown key {unknown[0]!r}",
                    name,
                    unknown[0],
                    fix=f"known keys: {', '.join(KEYS)}",
                )
            receiver = body.get("receiver")
            if not isinstance(receiver, str) or not receiver.strip():
                where = (name, "receiver") if "receiver" in body else (name,)
                raise doc.error(
                    f"contact group {name!r} names no receiver",
                    *where,
                    fix="add `receiver: <Alertmanager receiver name>`",
                )
            notify = body.get("notify") or []
            if not isinstance(notify, list):
                raise doc.error(
                    f"contact group {name!r}: notify must be a list of Apprise URLs",
                    name,
                    "notify",
                    fix='e.g. notify: ["mailto://oncall@example.com"]',
                )
            for index, url in enumerate(notify):
                if not isinstance(url, str) or "://" not in url or not url.split("://", 1)[0].strip():
                    shown = "an empty string" if url == "" else "text" if isinstance(url, str) else _short(url)
                    raise doc.error(
                        f"contact group {name!r}: notify entry {index + 1} ({shown}) is not an Apprise URL "
                        "(scheme://...)",
                        name,
                        "notify",
                        index,
                        fix='e.g. "mailto://oncall@example.com" or "json://host/path"',
                    )
            imap = _mailbox(doc, name, body, path.parent)
            delivery = body.get("delivery", "")
            if "delivery" in body and delivery != "routed":
                raise doc.error(
                    f"contact group {name!r}: delivery must be `routed` (or left out), not {_short(delivery)}",
                    name,
                    "delivery",
                    fix="`delivery: routed` accepts routing as proof where delivery cannot be observed",
                )
            groups[str(name)] = ContactGroup(str(name), receiver, tuple(notify), doc.line(name), imap, str(delivery))
        return cls(path, groups)


KEYS = ("receiver", "notify", "imap", "password_file", "delivery")


def _mailbox(doc: YamlDoc, name: str, body: dict[str, object], base: Path) -> Mailbox | None:
    if "imap" not in body:
        if "password_file" in body:
            raise doc.error(
                f"contact group {name!r}: password_file without imap", name, "password_file", fix="add imap: or drop it"
            )
        return None
    try:
        return parse_mailbox(body["imap"], body.get("password_file"), base)
    except ValueError as exc:
        where = "password_file" if "password_file" in str(exc) and "password_file" in body else "imap"
        raise doc.error(
            f"contact group {name!r}: {exc}", name, where, fix="e.g. imap: imaps://oncall@mail.example.com/INBOX"
        ) from None


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
