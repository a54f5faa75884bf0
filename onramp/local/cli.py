"""``onramp up`` (the embedded AWS) and ``onramp status`` (inspect a running one).

``onramp up`` serves the local API on 127.0.0.1:3000 by default (``--port 0``: any free
port) and its admin views on the same port: ``GET /_onramp/status``, ``/_onramp/emails``,
``/_onramp/users``, ``/_onramp/dead-letters`` (JSON). Ctrl-C drains and stops cleanly.
``--fault KIND[:key=value,...]`` injects faults (docs/faults.md); ``--param AuthMode=jwt``
enforces the template's JWT authorizer locally and ``onramp token`` mints a token for it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from onramp.errors import UsageError
from onramp.local.account_flags import account_from_args, add_account_arguments
from onramp.local.faults import FaultPlan, FaultPlanError
from onramp.local.jwt_auth import DEFAULT_TOKEN_TTL_S, LocalJwtAuthorizer, mint_token
from onramp.local.registrations import seed_users
from onramp.local.stack import EmbeddedStack
from onramp.sam_template import DEFAULT_TEMPLATE

DEFAULT_PORT = 3000
DRAIN_TIMEOUT_S = 30.0
STATUS_EVERY_S = 1.0
PLAIN_STATUS_EVERY_S = 10.0
LOCAL_JWT = {"JwtIssuer": "https://issuer.onramp.local/", "JwtAudience": "onramp-local"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``up`` and ``status`` sub-commands."""
    up = subparsers.add_parser("up", help="run the whole pipeline locally (moto, no Docker)")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help="API port (0: any free port)")
    up.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help="SAM template")
    up.add_argument("--seed", type=int, default=0, metavar="N", help="register N synthetic users")
    up.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter override (repeatable)",
    )
    up.add_argument("--handler-log", type=Path, help="append the handlers' log output here")
    up.add_argument("--duration", type=float, help="stop after this many seconds (default: Ctrl-C)")
    up.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:KEY=VALUE,...]",
        help="inject a fault (repeatable; docs/faults.md)",
    )
    up.add_argument("--fault-seed", type=int, default=0, help="seed of the faults' rate draws")
    add_account_arguments(up)
    up.add_argument(
        "--jwt-key",
        type=Path,
        help="AuthMode=jwt: the local issuer's RSA key (PEM); created here if missing",
    )
    up.set_defaults(func=run_up)

    token = subparsers.add_parser("token", help="mint a JWT for `onramp up --param AuthMode=jwt`")
    token.add_argument("--key", type=Path, required=True, help="the issuer key `onramp up` wrote")
    token.add_argument("--issuer", default=LOCAL_JWT["JwtIssuer"], help="iss claim")
    token.add_argument("--audience", default=LOCAL_JWT["JwtAudience"], help="aud claim")
    token.add_argument("--ttl", type=int, default=DEFAULT_TOKEN_TTL_S, help="lifetime, seconds")
    token.set_defaults(func=run_token)

    status = subparsers.add_parser("status", help="show a running `onramp up`'s state")
    status.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="its API URL")
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.set_defaults(func=run_status)


def run_up(args: argparse.Namespace) -> int:
    """Start the embedded stack, print the URL and a live status line until Ctrl-C."""
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: must be between 0 and 65535")
    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: must be zero or more")
    parameters = _parse_params(args.param)
    if parameters.get("AuthMode") == "jwt":
        parameters = {**LOCAL_JWT, **parameters}
    if not args.template.is_file():
        raise UsageError(f"--template {args.template}: no such file")
    try:
        faults = FaultPlan.parse(args.fault, seed=args.fault_seed)
    except FaultPlanError as exc:
        raise UsageError(f"--fault: {exc}") from None
    jwt_key = _read_jwt_key(args.jwt_key)
    log_file = args.handler_log.open("a", encoding="utf-8") if args.handler_log else None
    stack = EmbeddedStack(
        args.template,
        port=args.port,
        parameters=parameters,
        handler_log=log_file,
        faults=faults,
        jwt_private_key=jwt_key,
        account=account_from_args(args),
    )
    try:
        url = stack.start()
    except OSError as exc:
        raise UsageError(f"--port {args.port}: cannot serve ({exc.strerror})") from exc
    except FaultPlanError as exc:
        raise UsageError(f"--fault: {exc}") from None
    print(f"onramp: local API at {url}  (POST {url}/register; status: {url}/_onramp/status)")
    print(f"onramp: moto at {stack.endpoint_url}; Ctrl-C drains and stops", flush=True)
    if faults:
        print(f"onramp: faults on: {', '.join(faults.stats())} (counters: {url}/_onramp/faults)")
    if stack.authorizer is not None:
        _announce_jwt(stack.authorizer, args.jwt_key, parameters)
    try:
        if args.seed:
            threading.Thread(
                target=seed_users, args=(url, args.seed), name="onramp-seed", daemon=True
            ).start()
        _show_status(stack, args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nonramp: draining...", flush=True)
        stack.wait_until_drained(DRAIN_TIMEOUT_S)
        print(status_text(stack.status()), flush=True)
        for label, counts in stack.faults.stats().items():
            print(f"onramp: fault {label}: hit {counts['text']} calls", flush=True)
        stack.stop()
        if log_file is not None:
            log_file.close()
    print("onramp: stopped")
    return 0


def run_status(args: argparse.Namespace) -> int:
    """Fetch and print the running runtime's status."""
    status = fetch_status(args.url)
    print(json.dumps(status, indent=2) if args.json else status_text(status, multiline=True))
    return 0


def run_token(args: argparse.Namespace) -> int:
    """Print a token the local JWT authorizer accepts."""
    if args.ttl <= 0:
        raise UsageError(f"--ttl {args.ttl}: must be more than zero")
    key = _read_jwt_key(args.key, must_exist=True)
    assert key is not None
    try:
        print(mint_token(key, args.issuer, args.audience, ttl_s=args.ttl))
    except ValueError as exc:
        raise UsageError(f"--key {args.key}: not an RSA private key in PEM ({exc})") from None
    return 0


def _read_jwt_key(path: Path | None, must_exist: bool = False) -> bytes | None:
    if path is None or (not must_exist and not path.exists()):
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--key {path}: cannot read ({exc.strerror})") from None


def _announce_jwt(
    authorizer: LocalJwtAuthorizer, key_path: Path | None, parameters: dict[str, str]
) -> None:
    """Write the issuer key (mode 0600) and print how to mint a token for the API."""
    path = key_path or Path(tempfile.gettempdir()) / "onramp-local-jwt-key.pem"
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(authorizer.private_key_pem())
    issuer, audience = parameters["JwtIssuer"], parameters["JwtAudience"]
    print(
        f"onramp: JWT auth on {', '.join(authorizer.routes)} (issuer {issuer}, audience "
        f"{audience}); token: onramp token --key {path} --issuer {issuer} --audience {audience}"
        "  -> header 'Authorization: Bearer <token>'",
        flush=True,
    )


def fetch_status(url: str) -> dict[str, Any]:
    """GET ``<url>/_onramp/status`` as a dict; UsageError when nothing answers there."""
    return fetch_admin(url, "status")


def fetch_admin(url: str, view: str) -> dict[str, Any]:
    """GET the admin view ``<url>/_onramp/<view>`` as a dict; UsageError when nothing answers."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/_onramp/{view}", timeout=5) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"--url {url}: no onramp runtime answers there ({reason})") from None


def status_text(status: dict[str, Any], multiline: bool = False) -> str:
    """A one-line (or a few lines') human summary of a status dict."""
    users = " ".join(f"{k}={v}" for k, v in sorted(status.get("users", {}).items())) or "none"
    calls = " ".join(f"{k}={v}" for k, v in sorted(status.get("invocations", {}).items()))
    parts = [
        f"users: {users}",
        f"emails: {status.get('emails_sent', 0)}",
        f"DLQ: {status.get('dead_letter_messages', 0)}",
        f"invocations: {calls or 'none'}",
    ]
    if multiline:
        reasons = status.get("failure_reasons") or {}
        parts.append("failure reasons: " + (json.dumps(reasons) if reasons else "none"))
        return "\n".join(parts)
    return " | ".join(parts)


def _show_status(stack: EmbeddedStack, duration: float | None) -> None:
    tty = sys.stdout.isatty()
    every = STATUS_EVERY_S if tty else PLAIN_STATUS_EVERY_S
    ends = time.monotonic() + duration if duration is not None else None
    last = ""
    while ends is None or time.monotonic() < ends:
        line = status_text(stack.status())
        if tty:
            print("\r" + line.ljust(len(last)), end="", flush=True)
        elif line != last:
            print(line, flush=True)
        last = line
        time.sleep(every if ends is None else max(0.0, min(every, ends - time.monotonic())))


def _parse_params(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {pair!r}: expected KEY=VALUE")
        parameters[key] = value
    return parameters
