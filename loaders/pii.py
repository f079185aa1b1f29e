"""ID-card numbers never reach the graph or a log: only a keyed hash and a masked form."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from graph.errors import ConfigError
from loaders.cells import mask_id_number


@dataclass(frozen=True, slots=True)
class IdProtector:
    """Keyed hashing (HMAC-SHA256) so a later roster can match the same person by number."""

    secret: str | None

    def require(self) -> str:
        """The secret, or a ConfigError naming the setting."""
        if not self.secret:
            raise ConfigError(
                "the people roster has ID-card numbers but no PII secret is set",
                setting="ORGCOVER_PII_SECRET",
            )
        return self.secret

    def key_id(self) -> str:
        """Names the secret without revealing it: loads under another key hash differently."""
        if not self.secret:
            return "none"
        return hmac.new(self.secret.encode(), b"orgcover key id", hashlib.sha256).hexdigest()[:16]

    def protect(self, id_number: str) -> tuple[str, str]:
        """(id_hash, id_masked) for a validated, upper-cased ID-card number."""
        secret = self.require()
        digest = hmac.new(secret.encode(), id_number.encode(), hashlib.sha256).hexdigest()
        return digest, mask_id_number(id_number)
