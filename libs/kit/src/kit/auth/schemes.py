"""Who a request comes from once verified (`Identity`), what verifies one scheme's credentials (`Verifier`), and the
dispatch from an `Authorization` value's scheme to its verifier (`by_scheme`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kit.errors import Unauthenticated


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request comes from, once verified: `scheme:subject` is its per-client rate-limit key."""

    scheme: str
    subject: str
    scopes: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.scheme}:{self.subject}"


Verifier = Callable[[str], Identity]
"""Verifies the credentials after the scheme word (`Bearer <this>`); raises Unauthenticated or PermissionDenied."""


def by_scheme(verifiers: Mapping[str, Verifier]) -> Callable[[str | None], Identity]:
    """Verifies an `Authorization` value with the verifier of its scheme (`bearer`, `basic`; case does not
    matter); missing credentials or another scheme are Unauthenticated, challenging with the accepted schemes."""
    table = {scheme.lower(): verify for scheme, verify in verifiers.items()}
    challenge = ", ".join(f'{scheme.capitalize()} realm="kit"' for scheme in table)

    def verify(value: str | None) -> Identity:
        if not value:
            raise Unauthenticated("credentials required", challenge=challenge)
        scheme, _, credentials = value.strip().partition(" ")
        verifier = table.get(scheme.lower())
        if verifier is None:
            raise Unauthenticated(f"unsupported authorization scheme {scheme[:20]!r}", challenge=challenge)
        try:
            return verifier(credentials.strip())
        except Unauthenticated as exc:
            exc.challenge = challenge
            raise

    return verify
