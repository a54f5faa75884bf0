"""Settings from the environment variables of docs/architecture.md, read at call time.

Read per invocation (microseconds), so a test or the embedded stack can change them freely.
"""

import os
from datetime import timedelta

from onboarding.domain.redrive import DEFAULT_MAX_REDRIVES, DEFAULT_STUCK_AFTER
from onboarding.domain.validation import parse_allowed_domains


class MissingSetting(RuntimeError):
    """A required environment variable is not set (a deployment error, not bad input)."""


def required(name: str) -> str:
    """The value of environment variable ``name``; raises :class:`MissingSetting` if unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value


def users_table() -> str:
    """``USERS_TABLE``."""
    return required("USERS_TABLE")


def audit_table() -> str:
    """``AUDIT_TABLE``."""
    return required("AUDIT_TABLE")


def audit_ttl_days() -> int:
    """``AUDIT_TTL_DAYS`` (default 400: a year plus a margin)."""
    return int(os.environ.get("AUDIT_TTL_DAYS", "400"))


def register_limits_table() -> str:
    """``REGISTER_LIMITS_TABLE``: the per-source sign-up counters."""
    return required("REGISTER_LIMITS_TABLE")


def register_limit_per_source() -> int:
    """``REGISTER_LIMIT_PER_SOURCE``: sign-up requests one source may make per window (10)."""
    return max(1, int(os.environ.get("REGISTER_LIMIT_PER_SOURCE", "10")))


def register_limit_window_s() -> int:
    """``REGISTER_LIMIT_WINDOW_S``: the window of that limit, in seconds (default 3600)."""
    return max(1, int(os.environ.get("REGISTER_LIMIT_WINDOW_S", "3600")))


def record_threads() -> int:
    """``RECORD_THREADS``: users a stream batch processes at once (default 10, at least 1)."""
    return max(1, int(os.environ.get("RECORD_THREADS", "10")))


def allowed_email_domains() -> frozenset[str] | None:
    """``ALLOWED_EMAIL_DOMAINS`` parsed; ``None`` means every domain (``*``, the default)."""
    return parse_allowed_domains(os.environ.get("ALLOWED_EMAIL_DOMAINS", "*"))


def ses_simulator_allowed() -> bool:
    """``SES_SIMULATOR_ALLOWED`` is ``true`` (the template sets it in the staging stage only)."""
    return os.environ.get("SES_SIMULATOR_ALLOWED", "false").strip().lower() == "true"


def lookup_provider_name() -> str:
    """``LOOKUP_PROVIDER`` (default ``none``)."""
    return os.environ.get("LOOKUP_PROVIDER", "none").strip().lower()


def lookup_fake_mode() -> str:
    """``LOOKUP_FAKE_MODE`` for the fake provider: ``ok`` (default), ``error`` or ``hang``."""
    return os.environ.get("LOOKUP_FAKE_MODE", "ok").strip().lower()


def lookup_timeout_s() -> float:
    """``LOOKUP_TIMEOUT_MS`` in seconds (default 300 ms, well under the 1 s duration alarm)."""
    return int(os.environ.get("LOOKUP_TIMEOUT_MS", "300")) / 1000


def user_spaces_bucket() -> str:
    """``USER_SPACES_BUCKET``."""
    return required("USER_SPACES_BUCKET")


def user_pool_id() -> str:
    """``USER_POOL_ID`` (the Cognito user pool of the onboarded users)."""
    return required("USER_POOL_ID")


def sender_email() -> str:
    """``SENDER_EMAIL`` (an SES-verified identity)."""
    return required("SENDER_EMAIL")


def data_lake_bucket() -> str:
    """``DATA_LAKE_BUCKET``."""
    return required("DATA_LAKE_BUCKET")


def data_lake_prefix() -> str:
    """``DATA_LAKE_PREFIX`` without surrounding slashes (default ``users``)."""
    return os.environ.get("DATA_LAKE_PREFIX", "users").strip("/")


def stuck_after() -> timedelta:
    """``STUCK_AFTER_SECONDS``: how long a user may stay in flight before the sweeper re-drives
    it (default :data:`onboarding.domain.redrive.DEFAULT_STUCK_AFTER`)."""
    default = int(DEFAULT_STUCK_AFTER.total_seconds())
    return timedelta(seconds=int(os.environ.get("STUCK_AFTER_SECONDS", str(default))))


def max_redrives() -> int:
    """``MAX_REDRIVES``: sweeper re-drives of one user before it ends ``redrive_exhausted``."""
    return max(1, int(os.environ.get("MAX_REDRIVES", str(DEFAULT_MAX_REDRIVES))))
