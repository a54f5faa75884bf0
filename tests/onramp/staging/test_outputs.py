import json

import pytest

from kernel.errors import UsageError
from onramp.staging.outputs import describe_stack, stack_outputs
from onramp.staging.session import AwsSession

TEMPLATE = {
    "Resources": {"DeadLetterQueue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {
        "DeadLetterQueueUrl": {"Value": {"Ref": "DeadLetterQueue"}},
        "DeadLetterQueueName": {"Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}},
    },
}


def test_outputs_by_name(mocked_aws: AwsSession) -> None:
    cfn = mocked_aws.client("cloudformation")
    cfn.create_stack(StackName="onramp-staging", TemplateBody=json.dumps(TEMPLATE))
    outputs = stack_outputs(cfn, "onramp-staging", "us-east-1")
    assert outputs["DeadLetterQueueUrl"].endswith("/" + outputs["DeadLetterQueueName"])
    stack = describe_stack(cfn, "onramp-staging", "us-east-1")
    assert stack.output("DeadLetterQueueName") == outputs["DeadLetterQueueName"]
    assert stack.physical_id("DeadLetterQueue") == outputs["DeadLetterQueueUrl"]
    assert list(stack.of_type("AWS::SQS::Queue")) == ["DeadLetterQueue"]
    with pytest.raises(UsageError, match="stack onramp-staging has no output ApiUrl"):
        stack.output("ApiUrl")


def test_wrong_stack_name(mocked_aws: AwsSession) -> None:
    cfn = mocked_aws.client("cloudformation")
    with pytest.raises(UsageError, match=r"^stack nope not found in region us-east-1$"):
        stack_outputs(cfn, "nope", "us-east-1")
