"""Bearer tokens for the servers: each token maps to exactly one namespace.

Config file (YAML or JSON, chosen by content — JSON is valid YAML):

    tokens:
      s3cr3t-token-for-alice: alice
      another-long-token: team-b

A request's namespace is decided by its token alone, never by anything else in the request, so a
token cannot read or write another namespace.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidInputError
from .schema import validate_namespace

MIN_TOKEN_CHARS = 16


@dataclass(frozen=True)
class TokenMap:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> namespace

    def namespace_for(self, token: str | None) -> str | None:
        """The token's namespace, or None. Compares against every token in constant time per token
        so response timing does not reveal how much of a token matched."""
        if not token:
            return None
        found = None
        given = token.encode("utf-8", "surrogatepass")
        for t, ns in self.tokens.items():
            if hmac.compare_digest(given, t.encode("utf-8")):
                found = ns
        return found

    def namespaces(self) -> set[str]:
        return set(self.tokens.values())

    def __len__(self) -> int:
        return len(self.tokens)


def parse_tokens(data: object, origin: str = "tokens config") -> TokenMap:
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), dict):
        raise InvalidInputError(f"{origin}: expected a mapping {{tokens: {{TOKEN: namespace}}}}")
    out: dict[str, str] = {}
    for tok, ns in data["tokens"].items():
        if not isinstance(tok, str) or len(tok) < MIN_TOKEN_CHARS:
            raise InvalidInputError(f"{origin}: token {str(tok)[:4]!r}... is shorter than {MIN_TOKEN_CHARS} characters")
        if any(c.isspace() for c in tok):
            raise InvalidInputError(f"{origin}: token {tok[:4]!r}... contains whitespace")
        try:
            out[tok] = validate_namespace(ns)
        except ValueError as e:
            raise InvalidInputError(f"{origin}: {e}") from None
    if not out:
        raise InvalidInputError(f"{origin}: no tokens defined")
    return TokenMap(out)


def load_tokens(path: str | Path) -> TokenMap:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"tokens file {p} does not exist")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"tokens file {p} is not valid YAML/JSON: {e}") from None
    return parse_tokens(data, str(p))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, else None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
