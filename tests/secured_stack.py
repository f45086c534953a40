"""Helpers of the secured-stack live tests: certificates made with `openssl` (a CA, a server certificate
for 127.0.0.1/localhost, a client certificate, and an unrelated CA), a `--web.config.file` with TLS,
client certificates and a bcrypt basic-auth user, and real Prometheus / Alertmanager processes on free
loopback ports under path prefixes, stopped on exit."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import requests
import yaml

from alertdrill.endpoints import Endpoint, parse_endpoint
from alertdrill.polling import poll_until
from alertdrill.processes import free_port

USER, PASSWORD = "drill", "S3cure-Drill-Pw"
READY_S = 30.0


@dataclass(frozen=True)
class Pki:
    folder: Path

    def __getitem__(self, name: str) -> Path:
        return self.folder / name


def _openssl(folder: Path, *args: str) -> None:
    done = subprocess.run(["openssl", *args], cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr[-500:]}")


def _key_and_request(folder: Path, name: str, subject: str) -> None:
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(folder, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)


def make_pki(folder: Path) -> Pki:
    """ca.pem, server.pem/.key (SAN 127.0.0.1, localhost), named.pem/.key (SAN prom.example.internal only),
    client.pem/.key, other-ca.pem."""
    folder.mkdir(parents=True, exist_ok=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2")
    for ca in ("ca", "other-ca"):
        _openssl(folder, "req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-subj", f"/CN={ca}")
    extensions = {
        "server": "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        "named": "subjectAltName=DNS:prom.example.internal\nextendedKeyUsage=serverAuth\n",
        "client": "extendedKeyUsage=clientAuth\n",
    }
    for name, ext in extensions.items():
        (folder / f"{name}.ext").write_text(ext)
        _key_and_request(folder, name, f"/CN={name}")
        sign = ("-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext")
        _openssl(folder, "x509", "-req", "-in", f"{name}.csr", *sign, "-out", f"{name}.pem")
    return Pki(folder)


def web_config(pki: Pki) -> Path:
    """TLS with client certificates required, and one basic-auth user (bcrypt hash)."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    config = {
        "tls_server_config": {
            "cert_file": str(pki["server.pem"]),
            "key_file": str(pki["server.key"]),
            "client_auth_type": "RequireAndVerifyClientCert",
            "client_ca_file": str(pki["ca.pem"]),
        },
        "basic_auth_users": {USER: hashed},
    }
    path = pki["web.yml"]
    path.write_text(yaml.safe_dump(config))
    return path


def endpoint_config(
    url: str, pki: Pki, folder: Path, password: str = PASSWORD, ca: str = "ca.pem"
) -> dict[str, object]:
    """The alertdrill.yml endpoint mapping for a secured server (the password in a file in `folder`)."""
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "drill.pw").write_text(password + "\n")
    return {
        "url": url,
        "basic_auth": {"username": USER, "password_file": "secrets/drill.pw"},
        "tls_config": {
            "ca_file": str(pki[ca]),
            "cert_file": str(pki["client.pem"]),
            "key_file": str(pki["client.key"]),
        },
    }


def prometheus_http_config(pki: Pki) -> dict[str, object]:
    """How the secured Prometheus reaches the secured Alertmanagers (its own `http_config`)."""
    return {
        "scheme": "https",
        "basic_auth": {"username": USER, "password": PASSWORD},
        "tls_config": {
            "ca_file": str(pki["ca.pem"]),
            "cert_file": str(pki["client.pem"]),
            "key_file": str(pki["client.key"]),
        },
    }


@dataclass(frozen=True)
class Server:
    url: str  # with its path prefix
    address: str  # host:port


@contextmanager
def running(argv: Sequence[str], endpoint: Endpoint, log: Path) -> Iterator[None]:
    """A server process until the block ends (SIGTERM, then SIGKILL); ready when `/-/ready` answers 200."""
    with log.open("ab") as out:
        child = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        session = endpoint.session()

        def ready_or_dead() -> bool:
            return child.poll() is not None or session.get(endpoint.at("/-/ready"), timeout=2).status_code == 200

        if not poll_until(ready_or_dead, READY_S, 0.1, on_error=(requests.RequestException,)) or child.poll():
            raise RuntimeError(f"{argv[0]} did not become ready: {log.read_text(errors='replace')[-1500:]}")
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)


def secured(pki: Pki, url: str) -> Endpoint:
    return parse_endpoint(endpoint_config(url, pki, pki.folder), pki.folder)


def server(prefix: str, tls: bool = True) -> Server:
    address = f"127.0.0.1:{free_port()}"
    return Server(f"{'https' if tls else 'http'}://{address}{prefix}", address)


def prometheus_argv(srv: Server, config: Path, data: Path, web: Path | None) -> list[str]:
    prefix = srv.url.split(srv.address, 1)[1] or "/"
    return [
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address={srv.address}",
        f"--web.external-url={srv.url}",
        f"--web.route-prefix={prefix}",
        "--log.level=warn",
        "--rules.alert.resend-delay=1s",  # an alert evaluated before the Alertmanager was discovered is sent again
        *([f"--web.config.file={web}"] if web else []),
    ]


def alertmanager_argv(
    srv: Server, config: Path, data: Path, web: Path | None, cluster: str = "", peers: Sequence[str] = ()
) -> list[str]:
    prefix = srv.url.split(srv.address, 1)[1] or "/"
    gossip = (
        [f"--cluster.listen-address={cluster}", f"--cluster.advertise-address={cluster}"]
        + [f"--cluster.peer={p}" for p in peers]
        if cluster
        else ["--cluster.listen-address="]
    )
    return [
        "prometheus-alertmanager",
        f"--config.file={config}",
        f"--storage.path={data}",
        f"--web.listen-address={srv.address}",
        f"--web.external-url={srv.url}",
        f"--web.route-prefix={prefix}",
        "--log.level=warn",
        *gossip,
        *([f"--web.config.file={web}"] if web else []),
    ]
