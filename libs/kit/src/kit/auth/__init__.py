"""Authentication, as go-kit's `auth/jwt` and `auth/basic`: verifiers of the credentials a request carries (HTTP
`Authorization` header or gRPC `authorization` metadata), and the endpoint middleware that requires them.

`JwtVerifier` checks a `Bearer` JSON Web Token (HS256 with a shared secret, or RS256/ES256 with keys from a JWKS
file; `exp`, `nbf`, `aud`, `iss`, with a small clock skew) with PyJWT; `BasicVerifier` checks HTTP Basic against
a users file. `authenticate` answers 401/UNAUTHENTICATED or 403/PERMISSION_DENIED, and otherwise runs the request
as the verified identity, which per-client rate limits then key on. `AuthConfig.from_env` reads `<PREFIX>_AUTH_*`.
"""

from kit.auth.basic import BasicVerifier
from kit.auth.config import AuthConfig
from kit.auth.jwt import JwtVerifier
from kit.auth.middleware import authenticate
from kit.auth.schemes import Identity, Verifier, by_scheme

__all__ = ["AuthConfig", "BasicVerifier", "Identity", "JwtVerifier", "Verifier", "authenticate", "by_scheme"]
