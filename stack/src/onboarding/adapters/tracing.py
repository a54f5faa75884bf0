"""The Powertools Tracer, without importing the X-Ray SDK when tracing is off.

Powertools' ``Tracer`` imports ``aws_xray_sdk.core`` (over 100 ms) even when disabled. When
tracing is off (outside Lambda, under SAM local, or ``POWERTOOLS_TRACE_DISABLED=true``) we give
it a do-nothing provider instead, which keeps local cold starts and imports fast. Inside
Lambda with tracing on, it is the stock X-Ray provider.
"""

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

_TRUTHY = ("1", "true", "yes", "on")


class NullSegment(BaseSegment):
    """A segment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        """Do nothing."""

    def add_subsegment(self, subsegment: Any) -> None:
        """Do nothing."""

    def remove_subsegment(self, subsegment: Any) -> None:
        """Do nothing."""

    def put_annotation(self, key: str, value: Any) -> None:
        """Do nothing."""

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Do nothing."""

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        """Do nothing."""


class NullProvider(BaseProvider):
    """A tracing provider that records nothing."""

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Iterator[BaseSegment]:
        """A do-nothing subsegment."""
        yield NullSegment()

    @asynccontextmanager
    async def in_subsegment_async(
        self, name: Any = None, **kwargs: Any
    ) -> AsyncIterator[BaseSegment]:
        """A do-nothing subsegment."""
        yield NullSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        """Do nothing."""

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Do nothing."""

    def patch(self, modules: Sequence[str]) -> None:
        """Do nothing."""

    def patch_all(self) -> None:
        """Do nothing."""


def tracing_enabled() -> bool:
    """Powertools' rule: on inside Lambda (not SAM local) unless POWERTOOLS_TRACE_DISABLED."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUTHY:
        return False
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not os.environ.get("AWS_SAM_LOCAL")


def make_tracer(service: str) -> Tracer:
    """The X-Ray tracer when tracing is on, else a Tracer over :class:`NullProvider`."""
    if tracing_enabled():
        return Tracer(service=service)
    return Tracer(service=service, disabled=True, provider=NullProvider(), auto_patch=False)
