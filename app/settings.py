"""Settings from the environment (prefix ORGCOVER_), validated once at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.factory import StoreConfig

#: Used only with --demo / ORGCOVER_DEMO=1; never a default outside demo mode.
DEMO_PII_SECRET = "orgcover-demo-only-pii-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORGCOVER_", extra="ignore")

    graph_uri: str | None = Field(
        default=None, description="unset: embedded FalkorDB; falkordb://host:port; bolt:// …")
    data_dir: Path = Field(default=Path("data"), description="embedded store directory")
    graph_name: str = "orgcover"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"
    startup_timeout: float = Field(default=30.0, gt=0)
    falkordb_threads: int | None = Field(
        default=None, ge=1, le=64,
        description="embedded FalkorDB: query threads (unset: one per core)")
    pii_secret: SecretStr | None = None
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")
    graphiql: bool = True

    @model_validator(mode="after")
    def _demo_defaults(self) -> Settings:
        if self.demo and self.pii_secret is None:
            self.pii_secret = SecretStr(DEMO_PII_SECRET)
        return self

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
