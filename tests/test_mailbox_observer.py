"""What the observer makes of messages read back from a mailbox: only this drill's alert, only after the
drill began, timed at the latest moment its INTERNALDATE allows, as evidence `mailbox`."""

from __future__ import annotations

from alertdrill.catalog.mailbox import Mailbox
from alertdrill.observe.mailbox import MailboxMessage, MailboxReader, parse_internaldate
from alertdrill.observe.watch import Watch, WatchTarget
from alertdrill.score.events import Timeline

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z: in the past, as arrivals are
BODY = (
    "<html><body>[1] Firing<br>Labels<br>alertname = A<br>drill_run = {run}<br>"
    "Annotations<br>runbook_url = https://x/r.md<br></body></html>"
)


def message(uid: int, arrived_at: float, run: str) -> MailboxMessage:
    return MailboxMessage(uid, arrived_at, "14-Nov-2023 22:13:23 +0000", "[FIRING:1] A", "o@x", BODY.format(run=run))


def test_internaldate_is_read_in_its_zone() -> None:
    assert parse_internaldate("14-Nov-2023 23:13:23 +0100") == T0 + 3
    assert parse_internaldate(" 4-Nov-2023 22:13:20 +0000") == T0 - 10 * 86400


def test_only_this_drill_s_message_after_its_start_counts() -> None:
    timeline = Timeline()
    target = WatchTarget("A", T0, lambda receiver: "team", labels={"drill_run": "r-2"})
    watch = Watch(target, timeline, None, None, None)  # type: ignore[arg-type]  # only the parsing runs
    reader = MailboxReader(Mailbox(True, "mail", 993, "u", "INBOX", "pw"), "team", "team-receiver")
    watch._mailed(reader, message(1, T0 - 60, "r-2"))  # before the drill
    watch._mailed(reader, message(2, T0 + 2, "r-1"))  # another drill's run
    watch._mailed(reader, message(3, T0 + 3, "r-2"))
    (event,) = timeline.events()
    assert event.at == T0 + 4  # INTERNALDATE counts whole seconds: the end of that second
    assert (event.detail("evidence"), event.detail("channel"), event.detail("contact_group")) == (
        "mailbox",
        "email",
        "team",
    )
    assert (event.detail("receiver"), event.detail("mailbox"), event.detail("runbook_url")) == (
        "team-receiver",
        "imaps://u@mail:993/INBOX",
        "https://x/r.md",
    )
