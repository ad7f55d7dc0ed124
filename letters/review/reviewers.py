"""Who may review: the reviewers file (argon2-hashed passwords) or the identity a reverse proxy asserts.

``reviewers.toml`` (in the project folder, or ``letters review --reviewers FILE``) lists one
``[[reviewer]]`` per person: ``name`` (as approvals record it) and ``password`` (an argon2id
hash, written by ``letters reviewers add NAME``; the password itself is never stored).
Behind a reverse proxy that authenticates people, ``letters review --proxy-user-header
X-Forwarded-User`` takes the name from that header instead; the proxy must set it on every
request and strip it from what clients send.

A reviewer signed in with a password holds a session cookie: the name and an expiry,
signed with the server's secret (HMAC-SHA256), HttpOnly and SameSite=Strict.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from letters import paths
from letters.errors import CampaignError, UsageError
from letters.review.approvals import clean_name

REVIEWERS_FILE = "reviewers.toml"
SESSION_COOKIE = "letters_review_session"
SESSION_SECONDS = 8 * 3600
"""A session lasts a working day (and ends when the server restarts: its secret is new)."""
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Reviewer:
    """Who is acting, and how the app knows."""

    name: str
    """The name approvals record."""
    signed_in: str
    """``password`` (reviewers file) or ``proxy`` (asserted by the reverse proxy)."""


def default_file() -> Path:
    return paths.home() / REVIEWERS_FILE


def read_reviewers(path: Path) -> dict[str, str]:
    """Name -> argon2 hash; no file is no reviewers. A broken file is an error naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CampaignError(f"{path}: not a valid reviewers file: {exc}") from None
    out = {}
    for i, item in enumerate(data.get("reviewer", [])):
        name, hashed = item.get("name"), item.get("password")
        if not isinstance(name, str) or not isinstance(hashed, str) or not hashed.startswith("$argon2"):
            raise CampaignError(f"{path}: reviewer {i + 1} needs name and password (an argon2 hash)")
        out[name] = hashed
    return out


def add_reviewer(path: Path, raw_name: str, password: str) -> str:
    """``letters reviewers add``: add a reviewer (or set a new password) with the password's argon2 hash."""
    name = clean_name(raw_name)
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is {len(password)} characters long: use at least {MIN_PASSWORD}")
    hashed = _hasher.hash(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            read_reviewers(path)  # refuse to rewrite a file we cannot read
            handle.seek(0)
            data = tomllib.loads(handle.read() or "")
            people = [p for p in data.get("reviewer", []) if p.get("name") != name]
            people.append({"name": name, "password": hashed})
            handle.seek(0)
            handle.truncate()
            handle.write("# Reviewers of 'letters review': names and argon2 password hashes "
                         "('letters reviewers add NAME').\n" + tomli_w.dumps({"reviewer": people}))  # fmt: skip
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    path.chmod(0o600)
    return name


def check_password(path: Path, raw_name: str, password: str) -> Reviewer | None:
    """The reviewer, when ``password`` is theirs; None otherwise (unknown names cost the same time)."""
    known = read_reviewers(path)
    match = next((n for n in known if n.casefold() == raw_name.strip().casefold()), None)
    hashed = known.get(match or "") or _DUMMY
    try:
        _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return None
    return Reviewer(match, "password") if match else None


_DUMMY = _hasher.hash("not a reviewer's password")


def session_cookie(secret: bytes, name: str, now: float | None = None) -> str:
    expiry = int((now or time.time()) + SESSION_SECONDS)
    body = base64.urlsafe_b64encode(name.encode()).decode() + f".{expiry}"
    return f"{body}.{_sign(secret, body)}"


def session_name(secret: bytes, cookie: str, now: float | None = None) -> str | None:
    """The name a valid, unexpired session cookie holds."""
    body, _, signature = cookie.rpartition(".")
    if not body or not hmac.compare_digest(signature, _sign(secret, body)):
        return None
    encoded, _, expiry = body.partition(".")
    if not expiry.isdigit() or int(expiry) < (now or time.time()):
        return None
    try:
        return base64.urlsafe_b64decode(encoded.encode()).decode()
    except ValueError:
        return None


def _sign(secret: bytes, body: str) -> str:
    return hmac.new(secret, f"session:{body}".encode(), hashlib.sha256).hexdigest()
