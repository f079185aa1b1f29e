"""Tokens and settings for tests that go through the app's guard (HTTP, CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.auth.tokens import mint
from app.settings import Settings

SECRET = "test-auth-secret-0123456789-abcdefghijklmnop"
DISTRICT = "371327"  # the tiny district's code (loaders/synthetic.py)


def token(role: str | list[str] = "admin", jurisdiction: str = DISTRICT, *,
          sub: str = "tester", ttl: int = 3600, secret: str = SECRET) -> str:
    roles = [role] if isinstance(role, str) else role
    return mint(secret, sub=sub, name=f"{sub} name", roles=roles, jurisdiction=jurisdiction,
                ttl_seconds=ttl)


def bearer(role: str | list[str] = "admin", jurisdiction: str = DISTRICT,
           **kwargs: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {token(role, jurisdiction, **kwargs)}"}


def settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings with the test secret, everything written under `data_dir`."""
    return Settings(auth_secret=SECRET, data_dir=data_dir, **overrides)
