"""HTTP Basic credentials checked against a fixed set of users, in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from kit.auth.schemes import Identity
from kit.errors import Unauthenticated


class BasicVerifier:
    """Verifies `base64(user:password)` against `users` (user -> password); the identity is the user name."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = {user.encode(): password.encode() for user, password in users.items()}

    def __call__(self, credentials: str) -> Identity:
        try:
            user, sep, password = base64.b64decode(credentials, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            raise Unauthenticated("malformed basic credentials") from None
        expected = self._users.get(user)
        # Compare even for an unknown user, so the time taken does not tell which users exist.
        if not sep or not hmac.compare_digest(password, expected if expected is not None else b"\0" * 32):
            raise Unauthenticated("wrong user name or password")
        if expected is None:
            raise Unauthenticated("wrong user name or password")
        return Identity("basic", user.decode("utf-8", "replace"))

    @staticmethod
    def parse_users(text: str) -> dict[str, str]:
        """Users from a file's text: one `user:password` a line; blank lines and `#` comments are skipped."""
        users: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, password = line.partition(":")
            if not sep or not user or not password:
                raise ValueError(f"line {number}: want user:password")
            users[user] = password
        return users
