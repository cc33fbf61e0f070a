"""Accounts and sessions in the project's database (SQLAlchemy Core: SQLite by default, PostgreSQL when configured).

Passwords: stdlib ``hashlib.scrypt`` (memory-hard, N=2**14, r=8, p=1: 16 MiB and ~50 ms per try), so no new
dependency is needed. Sessions: a random id given to the browser once; only its SHA-256 is stored, so a copy of
the database does not let anyone in. Each session has its own CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
ROLE_MEMBER, ROLE_COORDINATOR = "member", "coordinator"

metadata = MetaData()
accounts = Table(
    "portal_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login_id", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("member_code", String(6), nullable=True),
    Column("display_name", String(200), nullable=False, default=""),
    Column("password_hash", String(300), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", Float, nullable=False, default=0.0),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
sessions = Table(
    "portal_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", Integer, nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))  # unknown login ids cost the same time as known ones


def new_password() -> str:
    """A generated initial password: 12 characters without look-alikes (0/O, 1/l/I), easy to type from paper."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Account:
    id: int
    login_id: str
    role: str
    member_code: str | None
    display_name: str
    disabled: bool
    failed_logins: int
    locked_until: float

    @property
    def is_coordinator(self) -> bool:
        return self.role == ROLE_COORDINATOR


@dataclass(frozen=True)
class Session:
    account: Account
    csrf_token: str
    id_hash: str


@dataclass(frozen=True)
class LoginResult:
    account: Account | None  # the account logged in (None: refused)
    reason: str  # "ok", "bad_password", "unknown", "disabled", "locked"
    delay: float  # seconds the answer should wait (slows down repeated guessing)
    locked_until: float = 0.0


class Store:
    """The portal's accounts and sessions."""

    def __init__(self, url: str):
        kwargs: dict = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _record):  # concurrent readers with one writer; survives a crash
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

        metadata.create_all(self.engine)
        self._lock = threading.Lock()  # one writer at a time within the process (SQLite)

    # accounts -----------------------------------------------------------------------------------------------
    def _account(self, row) -> Account:
        return Account(
            id=row.id,
            login_id=row.login_id,
            role=row.role,
            member_code=row.member_code,
            display_name=row.display_name or "",
            disabled=bool(row.disabled),
            failed_logins=int(row.failed_logins or 0),
            locked_until=float(row.locked_until or 0.0),
        )

    def get(self, login_id: str) -> Account | None:
        with self.engine.connect() as c:
            row = c.execute(select(accounts).where(accounts.c.login_id == login_id)).first()
        return self._account(row) if row else None

    def get_by_id(self, account_id: int) -> Account | None:
        with self.engine.connect() as c:
            row = c.execute(select(accounts).where(accounts.c.id == account_id)).first()
        return self._account(row) if row else None

    def all_accounts(self) -> list[Account]:
        with self.engine.connect() as c:
            rows = c.execute(select(accounts).order_by(accounts.c.role, accounts.c.member_code, accounts.c.login_id))
            return [self._account(r) for r in rows]

    def add(self, login_id: str, role: str, member_code: str | None, display_name: str, password: str) -> Account:
        now = time.time()
        with self._lock, self.engine.begin() as c:
            c.execute(
                insert(accounts).values(
                    login_id=login_id,
                    role=role,
                    member_code=member_code,
                    display_name=display_name,
                    password_hash=hash_password(password),
                    disabled=False,
                    failed_logins=0,
                    locked_until=0.0,
                    created_at=now,
                    updated_at=now,
                )
            )
        account = self.get(login_id)
        assert account is not None
        return account

    def reset(self, login_id: str, password: str) -> bool:
        """New password, enabled again, failures and lock cleared, every session of the account ended."""
        with self._lock, self.engine.begin() as c:
            row = c.execute(select(accounts.c.id).where(accounts.c.login_id == login_id)).first()
            if row is None:
                return False
            c.execute(
                update(accounts)
                .where(accounts.c.id == row.id)
                .values(
                    password_hash=hash_password(password),
                    disabled=False,
                    failed_logins=0,
                    locked_until=0.0,
                    updated_at=time.time(),
                )
            )
            c.execute(delete(sessions).where(sessions.c.account_id == row.id))
        return True

    def disable(self, login_id: str) -> bool:
        with self._lock, self.engine.begin() as c:
            row = c.execute(select(accounts.c.id).where(accounts.c.login_id == login_id)).first()
            if row is None:
                return False
            c.execute(update(accounts).where(accounts.c.id == row.id).values(disabled=True, updated_at=time.time()))
            c.execute(delete(sessions).where(sessions.c.account_id == row.id))
        return True

    # logins and sessions --------------------------------------------------------------------------------------
    def login(
        self,
        login_id: str,
        password: str,
        *,
        slowdown_after: int,
        delay_seconds: float,
        lock_after: int,
        lock_minutes: int,
        now: float | None = None,
    ) -> LoginResult:
        """Check a password. Failures in a row slow the next answers down and then lock the account for a while
        (a locked account is refused even with the right password, without revealing whether it was right)."""
        now = time.time() if now is None else now
        account = self.get(login_id)
        if account is None:
            verify_password(password, _DUMMY_HASH)
            return LoginResult(None, "unknown", 0.0)
        if account.locked_until > now:
            return LoginResult(None, "locked", 0.0, account.locked_until)
        with self.engine.connect() as c:
            stored = c.execute(select(accounts.c.password_hash).where(accounts.c.id == account.id)).scalar_one()
        ok = verify_password(password, stored)
        if ok and not account.disabled:
            with self._lock, self.engine.begin() as c:
                c.execute(update(accounts).where(accounts.c.id == account.id).values(failed_logins=0, locked_until=0.0))
            return LoginResult(account, "ok", 0.0)
        if ok:  # the right password of a disabled account
            return LoginResult(None, "disabled", 0.0)
        failures = account.failed_logins + 1
        locked_until = now + lock_minutes * 60 if failures >= lock_after else 0.0
        with self._lock, self.engine.begin() as c:
            c.execute(
                update(accounts)
                .where(accounts.c.id == account.id)
                .values(failed_logins=0 if locked_until else failures, locked_until=locked_until)
            )
        extra = failures - slowdown_after
        delay = delay_seconds * min(2 ** max(extra, 0), 8) if extra >= 0 else 0.0
        return LoginResult(None, "locked" if locked_until else "bad_password", delay, locked_until)

    def start_session(self, account: Account) -> tuple[str, str]:
        """A new session: (the id for the browser's cookie, its CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        with self._lock, self.engine.begin() as c:
            c.execute(
                insert(sessions).values(
                    id_hash=_token_hash(token), account_id=account.id, csrf_token=csrf, created_at=now, last_seen=now
                )
            )
        return token, csrf

    def session(self, token: str | None, idle_seconds: float, now: float | None = None) -> Session | None:
        """The live session of ``token`` (its idle time renewed), or None: unknown, idle too long, or its account
        disabled or locked."""
        if not token or len(token) > 200:
            return None
        now = time.time() if now is None else now
        h = _token_hash(token)
        with self.engine.connect() as c:
            row = c.execute(select(sessions).where(sessions.c.id_hash == h)).first()
        if row is None:
            return None
        account = self.get_by_id(row.account_id)
        if now - row.last_seen > idle_seconds or account is None or account.disabled or account.locked_until > now:
            self.end_session(token)
            return None
        if now - row.last_seen > 30:  # renew now and then, not on every request
            with self._lock, self.engine.begin() as c:
                c.execute(update(sessions).where(sessions.c.id_hash == h).values(last_seen=now))
        return Session(account, row.csrf_token, h)

    def end_session(self, token: str | None) -> None:
        if not token:
            return
        with self._lock, self.engine.begin() as c:
            c.execute(delete(sessions).where(sessions.c.id_hash == _token_hash(token)))

    def expire_sessions(self, idle_seconds: float, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock, self.engine.begin() as c:
            c.execute(delete(sessions).where(sessions.c.last_seen < now - idle_seconds))
