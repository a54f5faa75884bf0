"""``onramp up`` (the embedded AWS) and ``onramp status`` (inspect a running one).

``onramp up`` serves the local API on 127.0.0.1:3000 by default (``--port 0``: any free
port), the console at ``/_onramp/`` and its admin views on the same port (``GET
/_onramp/status``, ``/_onramp/users``, ``/_onramp/emails``...: docs/local.md), and writes
its URLs to the state file (``onramp.local.state_file``) that ``onramp status`` reads when
no ``--url`` is given. ``onramp status --user ID|EMAIL`` prints one user's timeline,
``--stuck [--older-than 5m]`` the users still waiting past a bound. SIGINT (Ctrl-C) or
SIGTERM drains (the API answers 503), prints the summary and stops; a second signal stops at
once; if the embedded AWS process dies, one line on stderr and exit 1 (``lifecycle``).
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
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, TextIO

from kernel.errors import UsageError
from kernel.sam_template import DEFAULT_TEMPLATE
from onramp.cli.account_flags import account_from_args, add_account_arguments
from onramp.cli.stream_timing_flags import add_stream_timing_argument, stream_timing_from_args
from onramp.console import timeline
from onramp.console.views import duration_s, routes
from onramp.local import state_file
from onramp.local.api.admin_errors import BadQuery
from onramp.local.api.jwt_auth import (
    DEFAULT_TOKEN_TTL_S,
    LocalJwtAuthorizer,
    load_private_key,
    mint_token,
)
from onramp.local.api.key_file import check_key_file, write_private_key
from onramp.local.aws.process import AwsProcessError
from onramp.local.faults.plan import FaultPlan, FaultPlanError
from onramp.local.lifecycle import StopSignals
from onramp.local.registrations import seed_users
from onramp.local.stack import EmbeddedStack

DEFAULT_PORT = 3000
FALLBACK_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
DRAIN_TIMEOUT_S = 30.0
DRAIN_STEP_S = 0.5
WATCH_STEP_S = 0.1
AWS_GONE_GRACE_S = 1.0
DEFAULT_JWT_KEY_PATH = Path(tempfile.gettempdir()) / "onramp-local-jwt-key.pem"
STATUS_EVERY_S = 1.0
PLAIN_STATUS_EVERY_S = 10.0
LOCAL_JWT = {"JwtIssuer": "https://issuer.onramp.local/", "JwtAudience": "onramp-local"}
EXAMPLE_REGISTRATION = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+14155550100"}
STUCK_LIMIT = 500


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
    add_stream_timing_argument(up)
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
    status.add_argument(
        "--url", help=f"its API URL (default: the running `onramp up`'s, else {FALLBACK_URL})"
    )
    which = status.add_mutually_exclusive_group()
    which.add_argument("--user", metavar="ID|EMAIL", help="one user's path through the pipeline")
    which.add_argument("--stuck", action="store_true", help="users still pending or processing")
    status.add_argument(
        "--older-than", default="5m", metavar="DURATION", help="with --stuck (default 5m)"
    )
    status.add_argument("--json", action="store_true", help="print the raw JSON")
    status.set_defaults(func=run_status)


def run_up(args: argparse.Namespace) -> int:
    """Start the embedded stack, print the URL and a live status line until a signal, the end
    of ``--duration`` or the death of its AWS; drain (API 503), print the summary, stop."""
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
    key_path = args.jwt_key or DEFAULT_JWT_KEY_PATH
    if args.jwt_key or parameters.get("AuthMode") == "jwt":
        check_key_file(key_path, "--jwt-key")
    jwt_key = _read_jwt_key(key_path, "--jwt-key") if args.jwt_key and key_path.exists() else None
    log_file = _open_handler_log(args.handler_log)
    stack = EmbeddedStack(
        args.template,
        port=args.port,
        parameters=parameters,
        handler_log=log_file,
        faults=faults,
        jwt_private_key=jwt_key,
        account=account_from_args(args),
        console=routes,
        stream_timing=stream_timing_from_args(args),
    )
    with StopSignals() as signals:
        try:
            return _serve(stack, args, signals, key_path, parameters)
        finally:
            state_file.remove()
            stack.stop()
            if log_file is not None:
                log_file.close()


def _serve(
    stack: EmbeddedStack,
    args: argparse.Namespace,
    signals: StopSignals,
    key_path: Path,
    parameters: dict[str, str],
) -> int:
    try:
        url = stack.start()
    except OSError as exc:
        raise UsageError(f"--port {args.port}: cannot serve ({exc.strerror})") from exc
    except FaultPlanError as exc:
        raise UsageError(f"--fault: {exc}") from None
    print(f"onramp: local API at {url}  (POST {url}/register; status: {url}/_onramp/status)")
    print(f"onramp: console at {stack.console_url}  (terminal: onramp status --user ID|EMAIL)")
    print(
        f"onramp: try one sign-up: curl -s -X POST {url}/register "
        f"-H 'content-type: application/json' -d '{json.dumps(EXAMPLE_REGISTRATION)}'"
    )
    urls = {"api_url": url, "console_url": f"{url}/_onramp/", "aws_endpoint": stack.endpoint_url}
    print(f"onramp: moto at {stack.endpoint_url}; URLs in {state_file.write(urls)}")
    print("onramp: Ctrl-C drains and stops", flush=True)
    if stack.faults:
        print(
            f"onramp: faults on: {', '.join(stack.faults.stats())} (counters: {url}/_onramp/faults)"
        )
    if stack.authorizer is not None:
        write_private_key(key_path, stack.authorizer.private_key_pem(), "--jwt-key")
        _announce_jwt(stack.authorizer, key_path, parameters)
    if args.seed:
        threading.Thread(
            target=seed_users, args=(url, args.seed), name="onramp-seed", daemon=True
        ).start()
    try:
        _show_status(stack, args.duration, signals)
        if stack.aws_exited:
            return _aws_gone(stack)
        print("\nonramp: draining (API answers 503; a second signal stops at once)...", flush=True)
        stack.refuse_requests()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while not signals.stop_now.is_set() and not stack.aws_exited:
            if stack.wait_until_drained(DRAIN_STEP_S) or time.monotonic() > deadline:
                break
        if stack.aws_exited:
            return _aws_gone(stack)
        print(status_text(stack.status()), flush=True)
    except AwsProcessError:
        return _aws_gone(stack)
    for label, counts in stack.faults.stats().items():
        print(f"onramp: fault {label}: hit {counts['text']} calls", flush=True)
    stack.stop(at_once=signals.stop_now.is_set())
    print("onramp: stopped")
    return 0


def _aws_gone(stack: EmbeddedStack) -> int:
    """The embedded AWS died under the runtime: one line, the API answers 503 for a moment
    (clients learn why rather than meet a closed port), stop (the caller's finally), exit 1."""
    stack.refuse_requests()
    description = stack.aws_exit_description()
    print(
        f"onramp: the embedded AWS process ended ({description}); stopped without a summary",
        file=sys.stderr,
        flush=True,
    )
    time.sleep(AWS_GONE_GRACE_S)
    return 1


def run_status(args: argparse.Namespace) -> int:
    """Fetch and print the running runtime's status, one user's timeline, or the stuck users."""
    url = args.url or default_url()
    if args.older_than != "5m" and not args.stuck:
        raise UsageError("--older-than: only with --stuck")
    if args.user is not None:
        found = fetch_admin(url, f"users/{urllib.parse.quote(args.user, safe='@')}", "--user")
        print(json.dumps(found, indent=2) if args.json else timeline.text(found))
        return 0
    if args.stuck:
        try:
            older_than_s = duration_s(args.older_than, "--older-than")
        except BadQuery as exc:
            raise UsageError(str(exc)) from None
        query = f"users?older_than={older_than_s:g}&limit={STUCK_LIMIT}"
        page = fetch_admin(url, query, "--stuck")
        print(json.dumps(page, indent=2) if args.json else stuck_text(page, args.older_than))
        return 0
    status = fetch_status(url)
    print(json.dumps(status, indent=2) if args.json else status_text(status, multiline=True))
    return 0


def default_url() -> str:
    """The running ``onramp up``'s API URL (its state file), else the default port's."""
    return str((state_file.read() or {}).get("api_url") or FALLBACK_URL)


def stuck_text(page: dict[str, Any], older_than: str) -> str:
    """The stuck users, one line each: id, status, for how long, waiting for what."""
    now = time.time()
    lines = [f"{page['matched']} user(s) pending or processing for more than {older_than}"]
    for user in page["users"]:
        minutes = (now - timeline.changed_at(user)) / 60
        waiting = timeline.NEXT_FUNCTION.get(str(user["status"]), "?")
        lines.append(
            f"  {user['user_id']}  {user['status']:<10}  for {minutes:.0f} min "
            f"(waiting for {waiting})"
        )
    if page["matched"] > len(page["users"]):
        lines.append(f"  ... and {page['matched'] - len(page['users'])} more")
    return "\n".join(lines)


def run_token(args: argparse.Namespace) -> int:
    """Print a token the local JWT authorizer accepts."""
    if args.ttl <= 0:
        raise UsageError(f"--ttl {args.ttl}: must be more than zero")
    key = _read_jwt_key(args.key, "--key")
    print(mint_token(key, args.issuer, args.audience, ttl_s=args.ttl))
    return 0


def _read_jwt_key(path: Path, flag: str) -> bytes:
    """The PEM of an RSA private key file that only its owner can read and write."""
    check_key_file(path, flag)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot read ({exc.strerror})") from None
    try:
        load_private_key(pem)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{flag} {path}: not an RSA private key in PEM ({exc})") from None
    return pem


def _open_handler_log(path: Path | None) -> TextIO | None:
    if path is None:
        return None
    try:
        return path.open("a", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--handler-log {path}: cannot append to it ({exc.strerror})") from None


def _announce_jwt(
    authorizer: LocalJwtAuthorizer, key_path: Path, parameters: dict[str, str]
) -> None:
    """Print how to mint a token for the API with the issuer key written to ``key_path``."""
    issuer, audience = parameters["JwtIssuer"], parameters["JwtAudience"]
    print(
        f"onramp: JWT auth on {', '.join(authorizer.routes)} (issuer {issuer}, audience "
        f"{audience}); token: onramp token --key {key_path} --issuer {issuer} --audience "
        f"{audience}  -> header 'Authorization: Bearer <token>'",
        flush=True,
    )


def fetch_status(url: str) -> dict[str, Any]:
    """GET ``<url>/_onramp/status`` as a dict; UsageError when nothing answers there."""
    return fetch_admin(url, "status")


def fetch_admin(url: str, view: str, flag: str = "--url") -> dict[str, Any]:
    """GET the admin view ``<url>/_onramp/<view>`` as a dict; UsageError when nothing answers
    or the view refuses (its message, after ``flag``: a 404 naming an unknown user...)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/_onramp/{view}", timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["message"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {exc.code}"
        raise UsageError(f"{flag}: {message}") from None
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


def _show_status(stack: EmbeddedStack, duration: float | None, signals: StopSignals) -> None:
    """Print the status line until a signal, the end of ``duration`` or the AWS's death; the
    AWS is watched every 0.1 s."""
    tty = sys.stdout.isatty()
    every = STATUS_EVERY_S if tty else PLAIN_STATUS_EVERY_S
    ends = time.monotonic() + duration if duration is not None else None
    last, next_line = "", 0.0
    while not signals.drain_requested.is_set() and not stack.aws_exited:
        now = time.monotonic()
        if ends is not None and now >= ends:
            return
        if now >= next_line:
            line = status_text(stack.status())
            if tty:
                print("\r" + line.ljust(len(last)), end="", flush=True)
            elif line != last:
                print(line, flush=True)
            last, next_line = line, now + every
        signals.drain_requested.wait(WATCH_STEP_S)


def _parse_params(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {pair!r}: expected KEY=VALUE")
        parameters[key] = value
    return parameters
