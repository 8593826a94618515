#!/usr/bin/env python3
import aws_cdk as cdk
from stacks.worker_stack import WorkerStack

app = cdk.App()
WorkerStack(
    app, "WorkerStack", env=cdk.Environment(account="111122223333", region="eu-west-1")
)
app.synth()
