"""A service's authentication settings from its `<PREFIX>_AUTH_*` variables (listed in the README)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from kit import env as e
from kit.auth.basic import BasicVerifier
from kit.auth.jwt import JwtVerifier
from kit.auth.middleware import authenticate
from kit.auth.schemes import Identity, Verifier, by_scheme
from kit.endpoint import Endpoint, Req, Resp

SCHEMES = ("jwt", "basic")


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Which schemes a service requires (none: authentication off) and what each checks against."""

    schemes: tuple[str, ...] = ()
    jwt_secret: str | None = field(default=None, repr=False)
    jwks: str | None = field(default=None, repr=False)
    audience: str | None = None
    issuer: str | None = None
    leeway: float = 30.0
    scope: str | None = None
    users: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def enabled(self) -> bool:
        return bool(self.schemes)

    def verifier(self) -> Callable[[str | None], Identity] | None:
        """What `kit.auth.authenticate` verifies requests with; None when authentication is off."""
        if not self.schemes:
            return None
        verifiers: dict[str, Verifier] = {}
        if "jwt" in self.schemes:
            verifiers["bearer"] = JwtVerifier(
                secret=self.jwt_secret,
                jwks=self.jwks,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                scope=self.scope,
            )
        if "basic" in self.schemes:
            verifiers["basic"] = BasicVerifier(self.users)
        return by_scheme(verifiers)

    def middleware(self) -> Callable[[Endpoint[Req, Resp]], Endpoint[Req, Resp]]:
        """The endpoint middleware that requires credentials (`kit.auth.authenticate`); with authentication off,
        one that passes every request through as it is."""
        verify = self.verifier()
        return authenticate(verify) if verify is not None else _through

    @classmethod
    def from_env(cls, prefix: str, env: Mapping[str, str] | None = None) -> AuthConfig:
        """Reads `<prefix>_AUTH` (`off`, or `jwt`, `basic`, `jwt,basic`) and, for the schemes named, the
        `_AUTH_JWT_SECRET` or `_AUTH_JWKS_FILE`, `_AUTH_AUDIENCE`, `_AUTH_ISSUER`, `_AUTH_LEEWAY`, `_AUTH_SCOPE`
        and `_AUTH_BASIC_FILE` variables; raises kit.env.ConfigError naming the first bad one."""
        name = f"{prefix}_AUTH"
        raw = e.string(name, "off", env=env).lower()
        schemes = () if raw in ("off", "false", "0", "no") else tuple(s.strip() for s in raw.split(",") if s.strip())
        for scheme in schemes:
            if scheme not in SCHEMES:
                raise e.ConfigError(f"{name}={raw!r}: want off, or one or more of {', '.join(SCHEMES)}")
        if not schemes:
            return cls()
        secret = e.string(f"{name}_JWT_SECRET", "", env=env) or None
        jwks = _read(f"{name}_JWKS_FILE", env)
        if "jwt" in schemes:
            if (secret is None) == (jwks is None):
                raise e.ConfigError(f"{name}=jwt wants exactly one of {name}_JWT_SECRET and {name}_JWKS_FILE")
            if secret is not None and len(secret) < 32:
                raise e.ConfigError(f"{name}_JWT_SECRET: want at least 32 characters")
            if jwks is not None:
                try:
                    jwt.PyJWKSet.from_json(jwks)
                except (jwt.PyJWTError, ValueError) as exc:
                    raise e.ConfigError(f"{name}_JWKS_FILE: not a usable JWKS: {exc}") from None
        users: dict[str, str] = {}
        if "basic" in schemes:
            text = _read(f"{name}_BASIC_FILE", env)
            if text is None:
                raise e.ConfigError(f"{name}=basic wants {name}_BASIC_FILE (one user:password a line)")
            try:
                users = BasicVerifier.parse_users(text)
            except ValueError as exc:
                raise e.ConfigError(f"{name}_BASIC_FILE: {exc}") from None
        return cls(
            schemes=schemes,
            jwt_secret=secret,
            jwks=jwks,
            audience=e.string(f"{name}_AUDIENCE", "", env=env) or None,
            issuer=e.string(f"{name}_ISSUER", "", env=env) or None,
            leeway=e.seconds(f"{name}_LEEWAY", 30.0, env=env),
            scope=e.string(f"{name}_SCOPE", "", env=env) or None,
            users=users,
        )


def _through(next_: Endpoint[Req, Resp]) -> Endpoint[Req, Resp]:
    return next_


def _read(name: str, env: Mapping[str, str] | None) -> str | None:
    path = e.string(name, "", env=env)
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise e.ConfigError(f"{name}={path!r}: {exc.strerror}") from None
