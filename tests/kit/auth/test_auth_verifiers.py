"""JWT (HS256; RS256 and ES256 from a JWKS) and Basic verification, and the middleware that requires them. PyJWT
makes the tokens; keys are generated per run. About 1 s."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from kit.auth import BasicVerifier, JwtVerifier, authenticate, by_scheme
from kit.endpoint import client, request_scope
from kit.errors import PermissionDenied, Unauthenticated

SECRET = "s" * 32


def claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a good token; a time given as an offset (`exp=-60`) is seconds from now, when the test runs."""
    now = int(time.time())
    base: dict[str, Any] = {"sub": "alice", "exp": 60, "aud": "add", "iss": "https://issuer", "scope": "sum"}
    base.update(overrides)
    times = {key: now + base[key] for key in ("exp", "nbf") if base.get(key) is not None}
    return {**{key: value for key, value in base.items() if value is not None}, **times}


def hs(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), SECRET, algorithm="HS256")


HS = JwtVerifier(secret=SECRET, audience="add", issuer="https://issuer", leeway=5, scope="sum")


def test_a_good_hs256_token_gives_its_subject() -> None:
    identity = HS(hs())
    assert (identity.key, identity.scopes) == ("jwt:alice", frozenset({"sum"}))


@pytest.mark.parametrize(
    ("made", "words"),
    [
        ({"exp": -60}, "expired"),
        ({"nbf": 60}, "not yet valid"),
        ({"aud": "other"}, "(?i)audience"),
        ({"iss": "https://elsewhere"}, "issuer"),
        ({"exp": None}, "exp"),
        ({"key": "x" * 32}, "(?i)signature"),
        ({"algorithm": "none"}, "alg value is not allowed"),
        ({"garbage": True}, "invalid token"),
    ],
)
def test_a_bad_token_is_unauthenticated(made: dict[str, Any], words: str) -> None:
    made = dict(made)
    key, algorithm, garbage = made.pop("key", SECRET), made.pop("algorithm", "HS256"), made.pop("garbage", False)
    token = "not.a.token" if garbage else jwt.encode(claims(**made), "" if algorithm == "none" else key, algorithm)
    with pytest.raises(Unauthenticated, match=words):
        HS(token)


def test_clock_skew_within_the_leeway_is_forgiven() -> None:
    assert HS(hs(exp=-2, nbf=2)).subject == "alice"


def test_a_token_without_the_scope_is_permission_denied() -> None:
    with pytest.raises(PermissionDenied, match="scope 'sum'"):
        HS(hs(scope="concat"))


def jwks(*keys: tuple[str, Any]) -> str:
    entries = []
    for kid, key in keys:
        algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
        entry = json.loads(algorithm.to_jwk(key.public_key()))
        entry["kid"] = kid
        entries.append(entry)
    return json.dumps({"keys": entries})


def test_rs256_and_es256_tokens_verify_with_keys_from_a_jwks() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    verifier = JwtVerifier(jwks=jwks(("r1", rsa_key), ("e1", ec_key)), audience="add")
    rs = jwt.encode(claims(sub="bob"), rsa_key, algorithm="RS256", headers={"kid": "r1"})
    es = jwt.encode(claims(sub="carol"), ec_key, algorithm="ES256", headers={"kid": "e1"})
    assert (verifier(rs).subject, verifier(es).subject) == ("bob", "carol")
    with pytest.raises(Unauthenticated, match="unknown key id"):
        verifier(jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "zz"}))
    # A key set of public keys never accepts an HMAC token signed with one of them as the "secret".
    with pytest.raises(Unauthenticated):
        verifier(jwt.encode(claims(), SECRET, algorithm="HS256", headers={"kid": "r1"}))


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_checks_user_and_password() -> None:
    verifier = BasicVerifier({"ops": "pa55word"})
    assert verifier(basic("ops", "pa55word")).key == "basic:ops"
    for credentials in (basic("ops", "wrong"), basic("nobody", "pa55word"), "%%%", base64.b64encode(b"x").decode()):
        with pytest.raises(Unauthenticated):
            verifier(credentials)


def test_parse_users_refuses_a_line_without_a_password() -> None:
    assert BasicVerifier.parse_users("# users\nops:pa55\n\n") == {"ops": "pa55"}
    with pytest.raises(ValueError, match="line 1"):
        BasicVerifier.parse_users("ops\n")


async def test_the_middleware_runs_the_request_as_the_verified_identity() -> None:
    verify = by_scheme({"bearer": HS, "basic": BasicVerifier({"ops": "pa55word"})})

    async def who(_: object) -> str | None:
        return client()

    endpoint = authenticate(verify)(who)
    with request_scope(client="127.0.0.1", authorization=f"Bearer {hs()}"):
        assert await endpoint(None) == "jwt:alice"
    with request_scope(client="127.0.0.1", authorization=f"basic {basic('ops', 'pa55word')}"):
        assert await endpoint(None) == "basic:ops"
    for credentials in (None, "Digest abc", f"Bearer {hs(exp=-600)}"):
        with request_scope(client="127.0.0.1", authorization=credentials), pytest.raises(Unauthenticated) as caught:
            await endpoint(None)
        assert caught.value.challenge == 'Bearer realm="kit", Basic realm="kit"'


@pytest.mark.parametrize(("signed_with", "kid"), [("ES256", "r1"), ("RS256", "e1")])
def test_a_token_naming_a_key_of_another_type_is_unauthenticated(signed_with: str, kid: str) -> None:
    # Before, the RSA key went to the EC verifier (or the reverse): an exception PyJWT does not wrap, a 500.
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    verifier = JwtVerifier(jwks=jwks(("r1", rsa_key), ("e1", ec_key)), audience="add")
    signer = ec_key if signed_with == "ES256" else rsa_key
    with pytest.raises(Unauthenticated, match="alg"):
        verifier(jwt.encode(claims(), signer, algorithm=signed_with, headers={"kid": kid}))


@pytest.mark.parametrize(
    ("claim", "value", "words"),
    [
        ("exp", "9999999999", "'exp' claim must be a number"),
        ("exp", True, "expired|'exp' claim must be a number"),
        ("nbf", "0", "'nbf' claim must be a number"),
        ("iat", [1], r"\(iat\) must be an integer"),
        ("sub", 42, "Subject must be a string"),
    ],
)
def test_a_claim_of_the_wrong_type_is_unauthenticated(claim: str, value: Any, words: str) -> None:
    made = {**claims(), claim: value}
    token = jwt.encode(made, SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated, match=words):
        HS(token)
