"""Ministries' API tokens: one bearer token per ministry, of which only the SHA-256 is ever stored.

The tokens file (YAML, or JSON when named ``*.json``) maps a ministry code — the catalogue's
``owner.code`` — to the hex SHA-256 of its token::

    BCA: 3f1c…   # 64 hex digits
    BTC: 9a0e…

:func:`add_token` makes a token (256 random bits), stores its hash and returns it to be shown once.
:func:`ministry_for` compares a presented token's hash with every stored one in constant time.
:class:`TokenFile` re-reads the file when it changes, so added or revoked tokens apply without a restart;
a missing or unreadable file admits nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from hub.errors import ConfigError

log = logging.getLogger(__name__)
_HASH = re.compile(r"[0-9a-f]{64}")
_HEADER = "# ministry code: SHA-256 of its gateway API token (written by `hub gateway tokens add`)\n"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh API token: ``hub_`` and 256 random bits, URL-safe."""
    return "hub_" + secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def ministry_for(token: str, hashes: Mapping[str, str]) -> str | None:
    """The ministry whose stored hash is the token's; every entry is compared, in constant time each."""
    digest = hash_token(token).encode()
    found = None
    for ministry, stored in hashes.items():
        if hmac.compare_digest(digest, stored.encode()):
            found = ministry
    return found


def parse_tokens(text: str, where: str) -> dict[str, str]:
    """The ministry → hash mapping of a tokens file; raises :class:`ConfigError` naming the bad entry."""
    try:
        raw = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"tokens file {where} is not YAML or JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"tokens file {where} must map ministry codes to SHA-256 hashes")
    bad = sorted(str(k) for k, v in raw.items() if not isinstance(k, str) or not isinstance(v, str)
                 or not _HASH.fullmatch(v))
    if bad:
        raise ConfigError(f"tokens file {where}: entries {', '.join(bad)} are not 64-hex-digit SHA-256 hashes")
    return dict(raw)


def read_tokens(path: Path) -> dict[str, str]:
    """The hashes stored in ``path`` (none if it does not exist); raises :class:`ConfigError`."""
    try:
        return parse_tokens(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read tokens file {path}: {exc}") from exc


def write_tokens(path: Path, hashes: Mapping[str, str]) -> None:
    """Replace the tokens file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = dict(sorted(hashes.items()))
    text = json.dumps(ordered, indent=2) + "\n" if path.suffix == ".json" else _HEADER + yaml.safe_dump(ordered)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_token(path: Path, ministry: str, replace: bool = False) -> str:
    """Make a token for ``ministry``, store its hash, return the token (never stored). Raises
    :class:`ConfigError` if the ministry has one already and ``replace`` is false."""
    hashes = read_tokens(path)
    if ministry in hashes and not replace:
        raise ConfigError(f"{ministry} already has a gateway token in {path}; pass --replace to rotate it")
    token = new_token()
    write_tokens(path, {**hashes, ministry: hash_token(token)})
    return token


def revoke_token(path: Path, ministry: str) -> bool:
    """Remove the ministry's token; False if it had none."""
    hashes = read_tokens(path)
    if hashes.pop(ministry, None) is None:
        return False
    write_tokens(path, hashes)
    return True


class TokenFile:
    """The tokens file, re-read whenever it changes (checked with one ``stat`` per lookup)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._hashes: dict[str, str] = {}

    def hashes(self) -> dict[str, str]:
        try:
            st = self.path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._hashes = read_tokens(self.path) if stamp else {}
            except ConfigError as exc:
                log.error("gateway admits nobody until the tokens file is fixed: %s", exc)
                self._hashes = {}
        return self._hashes

    def ministry_for(self, authorization: str | None) -> str | None:
        """The ministry authenticated by an ``Authorization`` header, or None."""
        token = bearer_token(authorization)
        return None if token is None else ministry_for(token, self.hashes())
