"""Real mail servers for the tests, on free loopback ports, private to one test and gone afterwards.

SMTP: msmtpd (Debian's msmtp-mta), a small real SMTP server; it hands each message to Dovecot's
delivery agent (dovecot-lda), which stores it in a Maildir. IMAP: a private Dovecot instance (its own
config file, base_dir, passwd-file users, `dovecot -F -c conf`) serves that Maildir. Nothing of the
system's mail setup is used or touched. As root, mail is stored as `nobody` (Dovecot refuses uid 0).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from alertdrill.polling import poll_until
from alertdrill.processes import free_port

DOVECOT, MSMTPD, LDA = "/usr/sbin/dovecot", "/usr/bin/msmtpd", "/usr/lib/dovecot/dovecot-lda"
USER, PASSWORD = "storefront-oncall@example.invalid", "imap-pass-Zq81"


@dataclass(frozen=True)
class MailServers:
    root: Path
    smtp_port: int
    imap_port: int
    user: str = USER
    password: str = PASSWORD

    @property
    def dovecot_log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def missing() -> str | None:
    """What is not installed, or None."""
    absent = [path for path in (DOVECOT, MSMTPD, LDA) if not os.access(path, os.X_OK)]
    if absent:
        return f"{', '.join(absent)} missing: scripts/setup --with-test-tools installs dovecot-imapd and msmtp-mta"
    return None


def _mail_user() -> pwd.struct_passwd:
    return pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())


def _dovecot_conf(root: Path, imap_port: int) -> str:
    user = _mail_user()
    unprivileged = "" if os.geteuid() == 0 else f"default_internal_user = {user.pw_name}\n"
    unprivileged += "" if os.geteuid() == 0 else f"default_login_user = {user.pw_name}\n"
    return f"""base_dir = {root}/run
state_dir = {root}/state
instance_name = alertdrill-{imap_port}
{unprivileged}protocols = imap
listen = 127.0.0.1
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user.pw_uid} gid={user.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _answers(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        return conn.recv(64).startswith((b"* OK", b"220"))


@contextmanager
def _process(argv: list[str], port: int, log: Path) -> Iterator[None]:
    with log.open("ab") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not poll_until(lambda: _answers(port), 10, 0.05, on_error=(OSError,)):
            raise RuntimeError(f"{argv[0]} did not answer on 127.0.0.1:{port} within 10 s: {log.read_text()[-500:]}")
        yield
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)


@contextmanager
def running_mail_servers() -> Iterator[MailServers]:
    """msmtpd delivering into a Maildir that a private Dovecot serves over IMAP."""
    root = Path(tempfile.mkdtemp(prefix="alertdrill-mail-"))
    root.chmod(0o755)  # the mail user (nobody, as root) must reach its Maildir
    servers = MailServers(root, free_port(), free_port())
    try:
        (root / "mail").mkdir()
        user = _mail_user()
        os.chown(root / "mail", user.pw_uid, user.pw_gid)
        (root / "passwd").write_text(f"{servers.user}:{{PLAIN}}{servers.password}\n")
        conf = root / "dovecot.conf"
        conf.write_text(_dovecot_conf(root, servers.imap_port))
        lda = f"{LDA} -c {conf} -f %F -d"  # msmtpd appends the recipient: one per message here
        smtpd = [MSMTPD, "--interface=127.0.0.1", f"--port={servers.smtp_port}", f"--command={lda}"]
        with ExitStack() as stack:
            stack.enter_context(_process([DOVECOT, "-F", "-c", str(conf)], servers.imap_port, root / "dovecot.out"))
            stack.enter_context(_process(smtpd, servers.smtp_port, root / "msmtpd.out"))
            yield servers
    finally:
        shutil.rmtree(root, ignore_errors=True)
