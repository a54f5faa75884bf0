"""MiniStack as the peer: its own venv, its server on a free loopback port, this project's
template deployed through its CloudFormation.

MiniStack (PyPI ``ministack``, 1.5.x) is a Python local AWS that runs Lambda functions
without Docker. Its pins clash with the project's (botocore), so it lives in
``.venv-ministack`` (as checkov lives in ``.venv-checkov``), with ``aws-sam-translator`` (the
SAM part of its ``full`` extra) so its CloudFormation applies the SAM transform.

Deploying the template there, as a user would:

1. the Lambda code as a SAM build makes it: ``stack/src`` plus ``stack/requirements.in``
   installed beside it (``pip install --target``), zipped, uploaded to an S3 bucket, and
   ``CodeUri`` pointed at ``s3://bucket/key``;
2. what MiniStack's CloudFormation refuses is taken out and named (``unsupported``): the
   ``AWS::Budgets::Budget`` type ("Unrecognized resource types") and alarms on metric math
   (``Properties.Metrics``: "metric math is not supported");
3. ``CreateStack`` with the local parameters, waited for; a failed resource is an error
   naming it;
4. MiniStack ignores an HTTP API's OpenAPI ``DefinitionBody`` (the API is created with no
   route), so each route of the template's ``HttpApi`` events is added by the API Gateway v2
   API (an ``AWS_PROXY`` integration, payload format 2.0), and the sender address is verified
   in SES (the template's SES identity is the account's business).

Example::

    python = install(Path(".venv-ministack"))
    with MiniStackServer(python) as server:
        deployed = deploy(server.endpoint_url, DEFAULT_TEMPLATE, Path(".venv-ministack/build"))
        deployed.api_url, deployed.tables["UsersTable"], deployed.skipped
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import psutil

from kernel.errors import UsageError
from kernel.sam_template import load_template
from onramp.local.loopback import LOOPBACK
from onramp.local.stack import LOCAL_PARAMETERS

MINISTACK_REQUIREMENT = "ministack>=1.5,<1.6"
SAM_TRANSLATOR_REQUIREMENT = "aws-sam-translator>=1.90"
VENV = Path(".venv-ministack")
REGION = "us-east-1"
STACK_NAME = "onramp"
CODE_BUCKET = "onramp-bench-code"
START_TIMEOUT_S = 60.0
DEPLOY_TIMEOUT_S = 300.0
PARAMETERS = LOCAL_PARAMETERS  # the embedded stack's: no DNS lookups, a verified sender
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def install(venv: Path = VENV) -> Path:
    """Create ``venv`` with MiniStack and the SAM translator unless it has them; its python."""
    python = venv / "bin" / "python"
    if (venv / "bin" / "ministack").exists() and _has_sam_translator(python):
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        (venv / ".gitignore").write_text("*\n", encoding="utf-8")
    _pip(python, MINISTACK_REQUIREMENT, SAM_TRANSLATOR_REQUIREMENT)
    return python


def _pip(python: Path, *arguments: str) -> None:
    """``pip install --quiet`` in that venv; its errors (not its warnings) on failure."""
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *arguments],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"pip install {' '.join(arguments)} failed: {done.stderr[-2000:]}")


def _has_sam_translator(python: Path) -> bool:
    probe = subprocess.run([str(python), "-c", "import samtranslator"], capture_output=True)
    return probe.returncode == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class MiniStackServer:
    """MiniStack's server (``hypercorn ministack.app:app``) on a free loopback port."""

    def __init__(self, python: Path) -> None:
        self._python = python
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``: every service, as MiniStack serves them on one port."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> str:
        """Start the server and wait for its health endpoint; return the endpoint URL."""
        self.port = _free_port()
        environment = {
            "GATEWAY_PORT": str(self.port),
            "BIND_HOST": LOOPBACK,
            "LOG_LEVEL": "WARNING",
            "MINISTACK_REGION": REGION,
            "PATH": f"{self._python.parent}:/usr/bin:/bin",  # its Lambda workers run python3
        }
        self.process = subprocess.Popen(
            [str(self._python.parent / "ministack")],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"MiniStack exited (code {self.process.returncode})")
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/_ministack/health", timeout=2):
                    return self.endpoint_url
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"MiniStack did not answer within {START_TIMEOUT_S:g} s")

    def stop(self) -> None:
        """Stop the server and every Lambda worker it started (thawed first, if frozen)."""
        if self.process is None:
            return
        stop_tree(self.process, (signal.SIGTERM,), 10)
        self.process = None

    def __enter__(self) -> MiniStackServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def process_tree(pid: int) -> list[psutil.Process]:
    """The process ``pid`` and all its descendants (empty once it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def stop_tree(process: subprocess.Popen[Any], signals: tuple[int, ...], timeout_s: float) -> None:
    """Thaw ``process`` and its descendants (a frozen one never sees a signal), send it
    ``signals``, kill it after ``timeout_s``, then kill whatever it left behind."""
    tree = process_tree(process.pid)
    for member in tree:
        with contextlib.suppress(psutil.Error):
            member.resume()
    for signum in signals:
        process.send_signal(signum)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for member in tree[1:]:
        with contextlib.suppress(psutil.Error):
            member.kill()


@dataclass
class Deployed:
    """The template deployed on MiniStack: its API URL, physical names, what was left out."""

    api_url: str
    tables: dict[str, str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(logical id, why) of every resource MiniStack could not deploy."""
    routes_added: list[str] = field(default_factory=list)


def unsupported(resource: dict[str, Any]) -> str | None:
    """Why MiniStack's CloudFormation refuses a resource (its own error), or None."""
    if resource.get("Type") == "AWS::Budgets::Budget":
        return "Unrecognized resource types: [AWS::Budgets::Budget]"
    if resource.get("Type") == "AWS::CloudWatch::Alarm" and "Metrics" in resource.get(
        "Properties", {}
    ):
        return "Properties.Metrics (metric math) is not supported"
    return None


def deployable_template(
    template: dict[str, Any], code_uri: str
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The template MiniStack can take (CodeUri on S3, refused resources out) and what was
    taken out. A resource that only a taken-out one refers to would dangle: none does here
    (alarms and the budget are leaves), and CreateStack would name it."""
    resources = {}
    skipped = []
    for logical_id, resource in template["Resources"].items():
        reason = unsupported(resource)
        if reason:
            skipped.append((logical_id, reason))
        else:
            resources[logical_id] = _with_code_uri(resource, code_uri)
    deployable = {**template, "Resources": resources}
    globals_ = template.get("Globals", {})
    if "CodeUri" in globals_.get("Function", {}):
        function = {**globals_["Function"], "CodeUri": code_uri}
        deployable["Globals"] = {**globals_, "Function": function}
    return deployable, skipped


def _with_code_uri(resource: dict[str, Any], code_uri: str) -> dict[str, Any]:
    if resource.get("Type") != "AWS::Serverless::Function":
        return resource
    if "CodeUri" not in resource.get("Properties", {}):
        return resource
    return {**resource, "Properties": {**resource["Properties"], "CodeUri": code_uri}}


def http_api_routes(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(function logical id, method, path) of every HttpApi event of the template."""
    routes = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == "HttpApi":
                properties = event.get("Properties", {})
                routes.append((logical_id, properties["Method"].upper(), properties["Path"]))
    return routes


def code_zip(template_path: Path, build_dir: Path) -> bytes:
    """The functions' package as ``sam build`` makes it: the code directory with its
    requirements installed beside it, zipped. Cached in ``build_dir`` by content hash."""
    code_dir = template_path.parent / "src"
    requirements = template_path.parent / "requirements.in"
    digest = hashlib.sha256(requirements.read_bytes())
    for path in sorted(code_dir.rglob("*.py")):
        digest.update(path.read_bytes())
    cached = build_dir / f"code-{digest.hexdigest()[:16]}.zip"
    if cached.exists():
        return cached.read_bytes()
    packages = build_dir / "packages"
    if not packages.exists():
        _pip(
            build_dir.parent / "bin" / "python", "--target", str(packages), "-r", str(requirements)
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root in (packages, code_dir):
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(root))
    cached.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def client(endpoint_url: str, service: str) -> Any:
    """A boto3 client on MiniStack (its test credentials)."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=REGION, **CREDENTIALS)


def deploy(endpoint_url: str, template_path: Path, build_dir: Path) -> Deployed:
    """Deploy the template on MiniStack as a user would (module docstring); return what runs."""
    build_dir.mkdir(parents=True, exist_ok=True)
    template = load_template(template_path)
    s3 = client(endpoint_url, "s3")
    s3.create_bucket(Bucket=CODE_BUCKET)
    s3.put_object(Bucket=CODE_BUCKET, Key="code.zip", Body=code_zip(template_path, build_dir))
    body, skipped = deployable_template(template, f"s3://{CODE_BUCKET}/code.zip")
    # CloudFormation takes at most 51,200 bytes of TemplateBody in a request, 1 MB from S3
    # (its quotas page): this template is past the first, so it goes by S3, as sam deploy does.
    s3.put_object(Bucket=CODE_BUCKET, Key="template.json", Body=json.dumps(body).encode())
    cloudformation = client(endpoint_url, "cloudformation")
    cloudformation.create_stack(
        StackName=STACK_NAME,
        TemplateURL=f"{endpoint_url}/{CODE_BUCKET}/template.json",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    _wait_for_stack(cloudformation)
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for page in cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=STACK_NAME
        )
        for r in page["StackResourceSummaries"]
    }
    client(endpoint_url, "ses").verify_email_identity(EmailAddress=PARAMETERS["SenderEmail"])
    api_id = physical["HttpApi"]
    routes = _add_routes(endpoint_url, api_id, http_api_routes(template), physical)
    tables = {
        logical_id: physical[logical_id]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table" and logical_id in physical
    }
    api_url = f"{endpoint_url}/_aws/execute-api/{api_id}"
    return Deployed(api_url, tables, skipped, routes)


def _wait_for_stack(cloudformation: Any) -> None:
    deadline = time.monotonic() + DEPLOY_TIMEOUT_S
    while time.monotonic() < deadline:
        stack = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return
        if not status.endswith("IN_PROGRESS"):
            events = cloudformation.describe_stack_events(StackName=STACK_NAME)["StackEvents"]
            failed = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
                for e in events
                if e["ResourceStatus"].endswith("FAILED")
            ]
            raise UsageError(f"MiniStack could not deploy the template ({status}): {failed}")
        time.sleep(0.5)
    raise UsageError(f"MiniStack's CreateStack did not finish in {DEPLOY_TIMEOUT_S:g} s")


def _add_routes(
    endpoint_url: str, api_id: str, routes: list[tuple[str, str, str]], physical: dict[str, str]
) -> list[str]:
    """The HTTP API routes the ignored OpenAPI body declared, added one by one."""
    apigateway = client(endpoint_url, "apigatewayv2")
    functions = client(endpoint_url, "lambda")
    existing = {r["RouteKey"] for r in apigateway.get_routes(ApiId=api_id)["Items"]}
    added = []
    for function_id, method, path in routes:
        key = f"{method} {path}"
        if key in existing:
            continue
        arn = functions.get_function(FunctionName=physical[function_id])["Configuration"][
            "FunctionArn"
        ]
        integration = apigateway.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=arn,
            PayloadFormatVersion="2.0",
        )
        apigateway.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
        )
        added.append(key)
    return added
