"""JSON Web Tokens verified with PyJWT: HS256 with a shared secret, or RS256/ES256 with public keys from a JWKS."""

from __future__ import annotations

from typing import Any

import jwt

from kit.auth.schemes import Identity
from kit.errors import PermissionDenied, Unauthenticated

ASYMMETRIC = ("RS256", "ES256")
"""The algorithms a JWKS key may sign with; `none` and anything else are refused."""

TIME_CLAIMS = ("exp", "nbf", "iat")
"""Claims that are times: NumericDate, a JSON number (RFC 7519, 2); any other type is refused."""

_ALGORITHM_OF_KEY_TYPE = {"RSA": "RS256", "EC": "ES256"}


class JwtVerifier:
    """Verifies a bearer token: its signature, `exp` (required) and `nbf`, and `aud` and `iss` when configured,
    each time check allowing `leeway` seconds of clock skew. With `scope`, the token's `scope` claim (space
    separated, or a list) must hold it, else PermissionDenied. The identity is the token's `sub`."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks: str | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        leeway: float = 30.0,
        scope: str | None = None,
    ) -> None:
        if (secret is None) == (jwks is None):
            raise ValueError("give either a shared secret (HS256) or a JWKS document (RS256/ES256)")
        self._secret = secret
        self._keys = jwt.PyJWKSet.from_json(jwks) if jwks is not None else None
        self._audience = audience
        self._issuer = issuer
        self._leeway = leeway
        self._scope = scope

    def __call__(self, token: str) -> Identity:
        try:
            key, algorithms = self._key_for(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        for name in TIME_CLAIMS:
            value = claims.get(name)
            # PyJWT reads `int(claims["exp"])`, so a string "9999999999" would pass as a time.
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise Unauthenticated(f"invalid token: the {name!r} claim must be a number of seconds")
        scopes = _scopes(claims.get("scope"))
        if self._scope is not None and self._scope not in scopes:
            raise PermissionDenied(f"token lacks the scope {self._scope!r}")
        return Identity("jwt", str(claims["sub"]), scopes)

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._secret is not None:
            return self._secret, ["HS256"]
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is None:
            if len(self._keys.keys) != 1:
                raise jwt.InvalidTokenError("the token names no key (kid) and the key set has several")
            return _with_its_algorithm(self._keys.keys[0])
        try:
            found = self._keys[kid]
        except KeyError:
            raise jwt.InvalidTokenError(f"unknown key id {str(kid)[:40]!r}") from None
        return _with_its_algorithm(found)


def _with_its_algorithm(key: jwt.PyJWK) -> tuple[Any, list[str]]:
    """A key and the one algorithm it verifies: an ES256 token naming an RSA key's `kid` (or the reverse) is then
    PyJWT's "algorithm not allowed", a 401, instead of an RSA key handed to the EC verifier (a crash, a 500)."""
    algorithm = _ALGORITHM_OF_KEY_TYPE.get(str(key.key_type))
    if algorithm is None:
        raise jwt.InvalidTokenError(f"the key set's key {key.key_id!r} is of a type this service does not take")
    return key.key, [algorithm]


def _scopes(claim: Any) -> frozenset[str]:
    if isinstance(claim, str):
        return frozenset(claim.split())
    if isinstance(claim, list):
        return frozenset(str(item) for item in claim)
    return frozenset()
