from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class WorkerStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        jobs = sqs.Queue(self, "Jobs", queue_name="jobs")

        worker_role = iam.Role(
            self,
            "WorkerRole",
            role_name="worker-role",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
        )
        jobs.grant_send_messages(worker_role)
