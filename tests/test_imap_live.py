"""Email read back from a real mailbox: the lab's Alertmanager sends to a real SMTP server (msmtpd),
which delivers into a Maildir that a real Dovecot serves over IMAP; the drill finds its message there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alertdrill.testing import Project, copy_project, running_lab
from tests.conftest import REPO, alertdrill
from tests.mailservers import MailServers, missing, running_mail_servers
from tests.test_email_live import BY_EMAIL


def mailbox_project(dest: Path, servers: MailServers) -> Project:
    """The example project, its storefront email sent to `servers` and read back from their mailbox."""
    project = copy_project(REPO, dest)
    raw = yaml.safe_load(project.config_path.read_text())
    raw["sink"].pop("smtp", None)  # no sink SMTP: the smarthost stays the real server
    project.config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    am = project.root / "alerts" / "alertmanager.yml"
    am.write_text(am.read_text().replace("smarthost: 127.0.0.1:9096", f"smarthost: 127.0.0.1:{servers.smtp_port}"))
    (project.root / "notifiers" / "imap.pw").write_text(servers.password + "\n")
    groups = project.root / "notifiers" / "contact-groups.yml"
    user = servers.user.replace("@", "%40")
    imap = f"imap://{user}@127.0.0.1:{servers.imap_port}/INBOX"
    groups.write_text(
        groups.read_text().replace(
            "storefront-oncall:\n  receiver: storefront-oncall\n",
            f"storefront-oncall:\n  receiver: storefront-oncall\n  imap: {imap}\n  password_file: imap.pw\n",
        )
    )
    return project


@pytest.fixture(scope="module")
def mail_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, MailServers]]:
    absent = missing()
    if absent:
        pytest.fail(absent, pytrace=False)
    with running_mail_servers() as servers:
        project = mailbox_project(tmp_path_factory.mktemp("imap-project"), servers)
        with running_lab(project):
            yield project, servers


def test_the_drill_finds_its_email_in_the_contact_groups_mailbox(mail_lab: tuple[Project, MailServers]) -> None:
    lab, servers = mail_lab
    feature = lab.write_feature("email.feature", BY_EMAIL)
    done = alertdrill("run", str(feature), "--config", str(lab.config_path))
    card_text = (lab.root / "reports" / "latest" / "scorecard.json").read_text()
    drill = json.loads(card_text)["drills"][0]
    assert done.returncode == 0 and drill["status"] == "passed", done.stdout + done.stderr + servers.dovecot_log[-2000:]
    mails = [e for e in drill["events"] if e["name"] == "notification_delivered" and e["details"]["channel"] == "email"]
    assert mails and all(m["details"]["evidence"] == "mailbox" for m in mails), mails
    mail = mails[0]["details"]
    assert (mail["receiver"], mail["contact_group"], mail["status"], mail["to"]) == (
        "storefront-oncall",
        "storefront-oncall",
        "firing",
        "storefront-oncall@example.invalid",
    )
    assert mail["mailbox"] == f"imap://{servers.user}@127.0.0.1:{servers.imap_port}/INBOX" and mail["arrived"]
    assert mail["runbook_url"] == "https://github.com/acme/oncall/blob/main/runbooks/checkout-api-errors.md"
    assert drill["phases"]["notify"]["elapsed_s"] == mails[0]["t_s"]
    assert servers.password not in card_text + done.stdout + done.stderr


def test_dry_run_logs_in_to_the_mailbox(mail_lab: tuple[Project, MailServers]) -> None:
    lab, servers = mail_lab
    feature = lab.write_feature("email.feature", BY_EMAIL)
    done = alertdrill("run", str(feature), "--config", str(lab.config_path), "--dry-run")
    shown = f"imap://{servers.user}@127.0.0.1:{servers.imap_port}/INBOX"
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"the mailbox of contact group storefront-oncall answers: {shown}" in done.stdout


def test_an_email_that_never_reaches_the_mailbox_fails_the_drill(mail_lab: tuple[Project, MailServers]) -> None:
    """Alertmanager mails an address the mail server does not know: the message never reaches the
    mailbox, and the webhook that does arrive is no evidence of email."""
    lab, _ = mail_lab
    am = lab.root / "alerts" / "alertmanager.yml"
    am.write_text(am.read_text().replace("to: storefront-oncall@example.invalid", "to: nobody-here@example.invalid"))
    reloaded = alertdrill("lab", "reload", "--config", str(lab.config_path))
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
    short = BY_EMAIL.replace("by email within 1 minute", "by email within 10 seconds")
    done = alertdrill("run", str(lab.write_feature("email-lost.feature", short)), "--config", str(lab.config_path))
    drill = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]
    assert done.returncode == 1 and drill["status"] == "failed", done.stdout + done.stderr
    check = next(c for c in drill["checks"] if c["name"] == "routed to contact group by email")
    assert not check["passed"], check
    delivered = [e["details"] for e in drill["events"] if e["name"] == "notification_delivered"]
    assert not [d for d in delivered if d["channel"] == "email"], delivered


def test_a_mailbox_that_cannot_be_read_stops_the_drill_before_the_fault(mail_lab: tuple[Project, MailServers]) -> None:
    lab, servers = mail_lab
    password_file = lab.root / "notifiers" / "imap.pw"
    password_file.write_text("not-the-password-Qx7\n")
    feature = str(lab.write_feature("email.feature", BY_EMAIL))
    try:
        dry = alertdrill("run", feature, "--config", str(lab.config_path), "--dry-run")
        done = alertdrill("run", feature, "--config", str(lab.config_path))
    finally:
        password_file.write_text(servers.password + "\n")
    for ran, status in ((dry, 2), (done, 1)):
        output = ran.stdout + ran.stderr
        assert ran.returncode == status and "cannot read the mailbox of contact group storefront-oncall" in output, (
            output
        )
        assert "nothing was injected" in output and "not-the-password-Qx7" not in output
    events = json.loads((lab.root / "reports" / "latest" / "scorecard.json").read_text())["drills"][0]["events"]
    assert "fault_injected" not in [e["name"] for e in events]
