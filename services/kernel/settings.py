"""Settings read from the environment, the same way in every service."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Environment settings shared by every context (names as the seed lists them)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str = Field(
        default="", description="postgresql+asyncpg://user:password@host:5432/db; empty = embedded"
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=20, ge=0, le=200)
    database_echo: bool = False

    data_dir: Path = Path(".data")
    grpc_host: str = "127.0.0.1"
    grpc_grace_seconds: float = 5.0

    identity_port: int = 50051
    requests_port: int = 50052
    validation_port: int = 50053
    knowledge_port: int = 50054
    audit_port: int = 50055
    gateway_port: int = 8080

    # Operations: a Prometheus endpoint per service (0 = off; <CONTEXT>_METRICS_PORT wins over
    # METRICS_PORT), how often health re-checks the database and storage, and the age after
    # which a client connection is asked to reconnect (0 = never; spreads load over replicas).
    metrics_port: int = Field(default=0, ge=0, le=65535)
    identity_metrics_port: int = Field(default=0, ge=0, le=65535)
    requests_metrics_port: int = Field(default=0, ge=0, le=65535)
    validation_metrics_port: int = Field(default=0, ge=0, le=65535)
    knowledge_metrics_port: int = Field(default=0, ge=0, le=65535)
    audit_metrics_port: int = Field(default=0, ge=0, le=65535)
    health_check_interval_seconds: float = Field(default=5.0, gt=0, le=300)
    grpc_max_connection_age_seconds: float = Field(default=0.0, ge=0)

    identity_address: str = ""
    requests_address: str = ""
    validation_address: str = ""
    knowledge_address: str = ""
    audit_address: str = ""

    # Signing keys of user access tokens (Ed25519 PEM). Only identity needs the private key.
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "tagen-identity"
    access_token_ttl_seconds: int = Field(default=900, ge=10, le=86400)
    refresh_token_ttl_seconds: int = Field(default=14 * 86400, ge=60)
    # Shared secret with which services sign the tokens of their own service identity.
    service_token_secret: str = ""
    service_token_ttl_seconds: int = Field(default=300, ge=10, le=3600)

    # Revocation feed (services/kernel/revocation.py): how often each service reads identity's
    # security stamp changes, and how long it may go without them before refusing user tokens.
    revocation_feed_enabled: bool = True
    revocation_poll_seconds: float = Field(default=0.1, gt=0, le=10)
    revocation_max_staleness_seconds: float = Field(default=10.0, gt=0, le=600)
    # Login throttling (per username and per client IP, kept in identity's database).
    login_throttle_username_failures: int = Field(default=5, ge=1, le=1000)
    login_throttle_ip_failures: int = Field(default=20, ge=1, le=100000)
    login_throttle_base_seconds: float = Field(default=1.0, gt=0, le=3600)
    login_throttle_max_seconds: float = Field(default=900.0, gt=0, le=86400)

    # Key of the secret values in system_config (Fernet); empty = DATA_DIR/keys (embedded).
    config_encryption_key: str = ""

    # Argon2id cost (RFC 9106 second recommendation by default).
    password_hash_time_cost: int = Field(default=3, ge=1, le=10)
    password_hash_memory_kib: int = Field(default=65536, ge=8, le=1048576)

    bootstrap_admin_username: str = ""
    bootstrap_admin_password: str = ""
    bootstrap_admin_email: str = ""

    # --- requests context: object storage, log samples, TA revisions, sample retention ---
    # "local" keeps objects under DATA_DIR/objects/<bucket>/<key>; "s3" uses boto3.
    storage_backend: Literal["local", "s3"] = "local"
    storage_bucket: str = Field(default="tagen", min_length=3, max_length=63)
    s3_endpoint_url: str = Field(default="", description="empty = AWS; MinIO/moto: its URL")
    s3_region: str = "us-east-1"
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    max_sample_size_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    max_ta_size_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    sample_retention_days: int = Field(default=90, ge=1, le=36500)
    # Fallback only: the SAMPLE_RETENTION_ENABLED row of system_config wins at run time.
    sample_retention_enabled: bool = True
    sample_retention_interval_seconds: float = Field(default=3600.0, gt=0)

    # Generation pipeline (requests context): the workers of generation jobs (false: this
    # replica serves the API only and leaves the jobs to others).
    generation_worker_enabled: bool = True
    generation_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    # A job's lease, renewed while its worker lives; a dead worker's job is taken over after.
    generation_lease_seconds: float = Field(default=60.0, gt=0, le=86400)
    generation_retry_seconds: float = Field(default=2.0, gt=0, le=3600)
    # After this many tries that broke (not a refused sample), the request FAILS with the error.
    generation_max_tries: int = Field(default=5, ge=1, le=1000)

    # Audit context: the outbox relay that every service runs (services/kernel/outbox_relay.py).
    audit_relay_batch_size: int = Field(default=1000, ge=1, le=5000)
    audit_relay_poll_seconds: float = Field(default=0.05, gt=0, le=60)
    audit_relay_max_backoff_seconds: float = Field(default=5.0, gt=0, le=300)

    # Gateway (HTTP/JSON in front of every service).
    gateway_cors_origins: str = Field(
        default="", description="comma-separated web origins allowed by CORS; '*' for any"
    )
    gateway_trust_proxy: bool = Field(
        default=False, description="take the client IP from X-Forwarded-For (behind a proxy)"
    )
    gateway_backend_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    gateway_stream_timeout_seconds: float = Field(
        default=600.0, gt=0, le=86400, description="deadline of file upload/download calls"
    )
    gateway_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024 * 1024 * 1024)

    # --- validation context: the runner of validation runs ---
    # Fallback only: the MAX_PARALLEL_VALIDATIONS row of system_config wins at run time
    # (0 pauses the runner: runs stay QUEUED).
    max_parallel_validations: int = Field(default=5, ge=0, le=1000)
    validation_poll_seconds: float = Field(default=2.0, gt=0, le=3600)
    # A run RUNNING for longer than this is failed (its worker died or hung).
    validation_stale_after_seconds: float = Field(default=1800.0, gt=0)
    validation_sweep_interval_seconds: float = Field(default=60.0, gt=0)
    # A RUNNING run's lease, renewed while its worker lives; an expired one goes back to the
    # queue (or FAILS after VALIDATION_MAX_ATTEMPTS starts).
    validation_lease_seconds: float = Field(default=30.0, gt=0, le=86400)
    validation_max_attempts: int = Field(default=3, ge=1, le=100)
    # Events of each sample the checker runs the TA over (0: every event); bounds the time a
    # run takes on a large sample.
    validation_max_events_per_sample: int = Field(default=20000, ge=0)
    validation_run_appinspect: bool = True
    validation_appinspect_timeout_seconds: float = Field(default=600.0, gt=0, le=86400)
    max_debug_bundle_size_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    # What a validation pod does: "all" (API and runner), "api" (no runner) or "worker"
    # (runner; its gRPC port serves health only behind no Service). Runs one pod may execute
    # at once (0 = as many as MAX_PARALLEL_VALIDATIONS leaves room for).
    validation_mode: Literal["all", "api", "worker"] = "all"
    validation_worker_slots: int = Field(default=0, ge=0, le=1000)

    # --- knowledge context: document uploads and the full-text indexer ---
    max_knowledge_document_size_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    knowledge_indexer_enabled: bool = True
    knowledge_index_interval_seconds: float = Field(default=10.0, gt=0, le=86400)

    def metrics_port_of(self, context: str) -> int:
        """The metrics port of `context` (0 = no metrics endpoint)."""
        own: int = getattr(self, f"{context}_metrics_port", 0)
        return own or self.metrics_port

    def address_of(self, context: str) -> str:
        """Where the gRPC service of `context` listens."""
        explicit: str = getattr(self, f"{context}_address")
        if explicit:
            return explicit
        port: int = getattr(self, f"{context}_port")
        return f"{self.grpc_host}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
