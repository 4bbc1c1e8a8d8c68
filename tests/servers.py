"""Real servers for the tests: an OpenLDAP ``slapd`` and an ``aiosmtpd`` SMTP server.

Both listen on 127.0.0.1 on a free port and live in a temporary folder, so tests never
depend on (or disturb) services of the machine. The fixtures around them are in
``tests/fixtures_servers.py``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import email
import email.message
import email.policy
import hashlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

SLAPD_BIN = "/usr/sbin/slapd"
SLAPADD_BIN = "/usr/sbin/slapadd"
LDAP_MODULE_DIR = "/usr/lib/ldap"
LDAP_SCHEMA_DIR = "/etc/ldap/schema"
INSTALL_HINT = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils"


class ServerUnavailable(RuntimeError):
    """A test server could not be started; the message says what to install or fix."""


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(host: str, port: int, timeout_s: float) -> bool:
    """True as soon as something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return True
        time.sleep(0.05)
    return False


def ssha(password: str) -> str:
    """``{SSHA}`` hash as slappasswd makes it, so the seed LDIF never holds a clear password."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode("utf-8") + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def _ldif_line(attr: str, value: str) -> str:
    # LDIF allows only safe ASCII as a plain value; anything else (Cyrillic names) is base64 ("::").
    if value.isascii() and value == value.strip() and not value.startswith((":", "<")):
        return f"{attr}: {value}"
    return f"{attr}:: {base64.b64encode(value.encode('utf-8')).decode('ascii')}"


def _ldif_entry(dn: str, attrs: list[tuple[str, str]]) -> str:
    return "\n".join([_ldif_line("dn", dn), *(_ldif_line(a, v) for a, v in attrs)]) + "\n"


@dataclass(frozen=True)
class LdapUser:
    login: str
    password: str
    full_name: str
    email: str
    position: str


DEFAULT_USERS: tuple[LdapUser, ...] = (
    LdapUser("ivanov", "Пароль-1", "Иванов Иван", "ivanov@example.org", "Оператор"),
    LdapUser("petrova", "petrova-secret", "Петрова Анна", "petrova@example.org", "Супервизор"),
    LdapUser("jsmith", "js-pass(*)", "John Smith", "jsmith@example.org", "Engineer"),
    # No mail and no title: the directory must give "" rather than fail.
    LdapUser("nomail", "nomail-pass", "Без Почты", "", ""),
)

# Every test process gets its own slapd; these are killed at interpreter exit even when a
# test run is interrupted before fixtures tear down.
_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@atexit.register
def _kill_leftovers() -> None:
    with _LIVE_LOCK:
        procs = list(_LIVE)
        _LIVE.clear()
    for proc in procs:
        _kill_group(proc)


def _child_setup() -> None:
    """Runs in the child before exec: own process group, and die with the parent.

    PR_SET_PDEATHSIG covers the case atexit cannot: pytest killed with SIGKILL or a crashed
    interpreter. It fires when the *thread* that forked dies, so it is only set for starts
    from the main thread (see SlapdServer.start).
    """
    os.setsid()
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


class SlapdServer:
    """A throw-away OpenLDAP server seeded with a service account and a few users.

    ``url``, ``base_dn``, ``bind_dn``/``bind_password`` (the service account dialer
    searches with), ``admin_dn``/``admin_password`` (rootdn) and ``users`` ({login:
    password}) are what tests need. ``stop()``/``start()`` (or ``with server.stopped():``)
    simulate the directory going down; data survive a restart.
    """

    suffix = "dc=example,dc=org"

    def __init__(self, users: tuple[LdapUser, ...] = DEFAULT_USERS) -> None:
        for binary in (SLAPD_BIN, SLAPADD_BIN):
            if not os.access(binary, os.X_OK):
                raise ServerUnavailable(
                    f"{binary} not found: the LDAP tests need OpenLDAP; run: {INSTALL_HINT}"
                )
        if not Path(LDAP_MODULE_DIR, "back_mdb.so").exists():
            raise ServerUnavailable(f"{LDAP_MODULE_DIR}/back_mdb.so not found; run: {INSTALL_HINT}")
        self.people: tuple[LdapUser, ...] = users
        self.users: dict[str, str] = {u.login: u.password for u in users}
        self.base_dn = f"ou=people,{self.suffix}"
        self.bind_dn = f"cn=dialer,ou=services,{self.suffix}"
        self.bind_password = "service-" + secrets.token_hex(8)
        self.admin_dn = f"cn=admin,{self.suffix}"
        self.admin_password = "admin-" + secrets.token_hex(8)
        self.host = "127.0.0.1"
        self.port = 0
        self._dir = Path(tempfile.mkdtemp(prefix="dialer-slapd-"))
        self._conf = self._dir / "slapd.conf"
        self._log = self._dir / "slapd.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_config()
        self._seed()

    @property
    def url(self) -> str:
        return f"ldap://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def user_dn(self, login: str) -> str:
        return f"uid={login},{self.base_dn}"

    def _write_config(self) -> None:
        (self._dir / "db").mkdir()
        # Anonymous clients may only bind (to check a password); everything else needs an
        # authenticated bind, so a test passes only if the service account is really used.
        self._conf.write_text(
            f"""
include {LDAP_SCHEMA_DIR}/core.schema
include {LDAP_SCHEMA_DIR}/cosine.schema
include {LDAP_SCHEMA_DIR}/inetorgperson.schema
modulepath {LDAP_MODULE_DIR}
moduleload back_mdb
pidfile {self._dir}/slapd.pid
argsfile {self._dir}/slapd.args

database mdb
maxsize 33554432
suffix "{self.suffix}"
rootdn "{self.admin_dn}"
rootpw {ssha(self.admin_password)}
directory {self._dir}/db
index objectClass eq
index uid,mail eq,sub
index cn eq,sub

access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by users read
    by * none
""".lstrip(),
            encoding="utf-8",
        )

    def _seed(self) -> None:
        entries = [
            _ldif_entry(
                self.suffix,
                [
                    ("objectClass", "dcObject"),
                    ("objectClass", "organization"),
                    ("dc", "example"),
                    ("o", "Example"),
                ],
            ),
            _ldif_entry(
                f"ou=services,{self.suffix}", [("objectClass", "organizationalUnit"), ("ou", "services")]
            ),
            _ldif_entry(
                self.bind_dn,
                [
                    ("objectClass", "organizationalRole"),
                    ("objectClass", "simpleSecurityObject"),
                    ("cn", "dialer"),
                    ("userPassword", ssha(self.bind_password)),
                ],
            ),
            _ldif_entry(self.base_dn, [("objectClass", "organizationalUnit"), ("ou", "people")]),
        ]
        for user in self.people:
            surname = user.full_name.split()[0]
            attrs = [
                ("objectClass", "inetOrgPerson"),
                ("uid", user.login),
                ("cn", user.full_name),
                ("sn", surname),
                ("userPassword", ssha(user.password)),
            ]
            if user.email:
                attrs.append(("mail", user.email))
            if user.position:
                attrs.append(("title", user.position))
            entries.append(_ldif_entry(self.user_dn(user.login), attrs))
        ldif = self._dir / "seed.ldif"
        ldif.write_text("\n".join(entries), encoding="utf-8")
        # slapadd writes the database offline, before the server ever listens: no race with
        # clients and no need for ldapadd.
        res = subprocess.run(
            [SLAPADD_BIN, "-f", str(self._conf), "-l", str(ldif)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if res.returncode != 0:
            raise ServerUnavailable(
                f"slapadd failed (exit {res.returncode}) with config {self._conf}:\n{res.stderr[-3000:]}"
            )

    def start(self, timeout_s: float = 15.0) -> None:
        """Start slapd (again); keeps the port it had, so URLs handed out stay valid."""
        if self.running:
            return
        first_port = self.port == 0
        for _attempt in range(5):
            if first_port:
                self.port = free_port()
            self._spawn()
            if wait_port(self.host, self.port, timeout_s):
                return
            self._terminate()
            # Another process may have taken the free port between our probe and slapd's
            # bind; a restart on a fixed port may need a moment for the old socket to go.
            time.sleep(0.2)
        raise ServerUnavailable(
            f"slapd did not start listening on {self.url}; its log ({self._log}):\n{self.log_tail()}\n"
            "On Ubuntu an AppArmor profile may block slapd outside /etc/ldap and /var/lib/ldap: "
            "run `aa-complain /usr/sbin/slapd` (apparmor-utils) or disable the profile."
        )

    def _spawn(self) -> None:
        # -d keeps slapd in the foreground (we own its pid and group); level "stats" logs
        # connections and operations to the log file, which start() shows on failure.
        cmd = [SLAPD_BIN, "-d", "stats", "-f", str(self._conf), "-h", self.url]
        log = self._log.open("ab")
        try:
            in_main = threading.current_thread() is threading.main_thread()
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_child_setup if in_main else None,
                start_new_session=not in_main,
            )
        finally:
            log.close()
        with _LIVE_LOCK:
            _LIVE.add(proc)
        self._proc = proc

    def _terminate(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        self._proc = None

    def stop(self) -> None:
        """Stop slapd; clients then get "connection refused" on the same URL."""
        self._terminate()

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Directory down for the ``with`` block, up again afterwards even if the test fails."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def close(self) -> None:
        self._terminate()
        shutil.rmtree(self._dir, ignore_errors=True)


# --- SMTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapturedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: email.message.EmailMessage
    auth_login: str | None


class _CaptureHandler:
    """aiosmtpd handler: optionally demands AUTH before MAIL, refuses recipients at
    ``reject_domain``, stores everything else."""

    def __init__(self, sink: list[CapturedMail], reject_domain: str, auth_required: bool) -> None:
        self._sink = sink
        self._reject_domain = reject_domain
        self._auth_required = auth_required

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        # aiosmtpd's own auth_required does the same but warns on every connection that AUTH
        # without TLS is unsafe, which is the point of a loopback test server.
        if self._auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower().endswith("@" + self._reject_domain):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        login: str | None = None
        if session.auth_data is not None and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        self._sink.append(
            CapturedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                message=parsed,
                auth_login=login,
            )
        )
        return "250 Message accepted"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self._username = username.encode("utf-8")
        self._password = password.encode("utf-8")

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            mechanism in ("LOGIN", "PLAIN")
            and isinstance(auth_data, LoginPassword)
            and secrets.compare_digest(auth_data.login, self._username)
            and secrets.compare_digest(auth_data.password, self._password)
        )
        # auth_data becomes session.auth_data, which handle_DATA reports as auth_login.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


# aiosmtpd logs every client that drops the connection at warning level from its own thread;
# after a test ends that thread can outlive pytest's captured streams and print tracebacks.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1 capturing every accepted message into ``messages``.

    AUTH LOGIN and PLAIN are offered over plain TCP (``auth_require_tls=False``) and checked
    against ``username``/``password``; ``auth_required`` makes unauthenticated MAIL fail.
    Recipients in ``reject_domain`` get a 550.
    """

    username: str = "mailer"
    password: str = "Секрет-123"
    auth_required: bool = False
    reject_domain: str = "rejected.example.org"
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[CapturedMail] = field(default_factory=list)
    _controller: Controller | None = None

    def start(self) -> None:
        self.port = free_port()
        self._controller = Controller(
            _CaptureHandler(self.messages, self.reject_domain, self.auth_required),
            hostname=self.host,
            port=self.port,
            authenticator=_Authenticator(self.username, self.password),
            auth_require_tls=False,
            # aiosmtpd would otherwise decode the data as UTF-8 for "content"; we keep bytes.
            decode_data=False,
            ident="dialer-test-smtp",
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
