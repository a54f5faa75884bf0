"""Real edits of the real stack/template.yaml, applied to a copy of stack/ (code included, so
the custom-metric catalog under CodeUri is read as the deployed code has it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from kernel.sam_template import STACK_DIR

DOUBLE_REGISTER_MEMORY = (
    "      Handler: onboarding.handlers.register.handler\n      MemorySize: 256\n",
    "      Handler: onboarding.handlers.register.handler\n      MemorySize: 512\n",
)
TRACING_OFF = ("    CodeUri: src/\n    Tracing: Active\n", "    CodeUri: src/\n")
BUDGET_SECTION = "\n  # ---------------------------------------------------------------- budget\n"
ADD_ALARM = (
    BUDGET_SECTION,
    """
  RegisterThrottleAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: RegisterFunction throttled in a 5-minute window.
      Namespace: AWS/Lambda
      MetricName: Throttles
      Dimensions: [{Name: FunctionName, Value: !Ref RegisterFunction}]
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
"""
    + BUDGET_SECTION,
)
ESSENTIALS_POOL = ("UserPoolTier: LITE", "UserPoolTier: ESSENTIALS")


def copy_stack(into: Path) -> Path:
    """stack/ copied into ``into``; its template's path."""
    target = into / "stack"
    shutil.copytree(STACK_DIR, target, ignore=shutil.ignore_patterns(".aws-sam", "__pycache__"))
    return target / "template.yaml"


def edit(template: Path, *edits: tuple[str, str]) -> Path:
    """Apply each (old, new) to ``template``; each ``old`` must occur exactly once."""
    text = template.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique in the template: {old!r}"
        text = text.replace(old, new)
    template.write_text(text, encoding="utf-8")
    return template


def edited_stack(into: Path, *edits: tuple[str, str]) -> Path:
    """A copy of stack/ with ``edits`` applied to its template; the template's path."""
    return edit(copy_stack(into), *edits)
