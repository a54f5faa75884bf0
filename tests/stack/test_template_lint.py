"""cfn-lint passes on stack/template.yaml and on its translation: no errors, no warnings."""

from __future__ import annotations

import json
import os
from typing import Any
from unittest.mock import patch

from cfnlint.api import lint

from kernel.sam_template import DEFAULT_TEMPLATE as TEMPLATE_PATH


def findings(text: str) -> list[str]:
    """cfn-lint's errors and warnings (informational findings excluded) as readable lines."""
    with patch.dict(os.environ):  # cfn-lint sets AWS_DEFAULT_REGION; keep it out of other tests
        matches = lint(text, regions=["us-east-1"])
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches]


def test_template_has_no_lint_errors_or_warnings() -> None:
    assert findings(TEMPLATE_PATH.read_text(encoding="utf-8")) == []


def test_translated_template_has_no_lint_errors_or_warnings(translated: dict[str, Any]) -> None:
    assert findings(json.dumps(translated)) == []


def test_lint_does_report_a_broken_template() -> None:
    """Control: the check above can fail (an unknown property on the Users table)."""
    broken = TEMPLATE_PATH.read_text(encoding="utf-8").replace(
        "      BillingMode: PAY_PER_REQUEST\n", "      BillingMode: ON_DEMAND_PLEASE\n", 1
    )
    assert any(line.startswith("E") for line in findings(broken))
