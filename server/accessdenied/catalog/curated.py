"""Hand-curated facts the machine-readable sources do not carry, each with its AWS source.

Used by `scripts/build_catalog.py` (baked into the bundled snapshot) and at run time when a
refreshed catalog from `accessdenied catalog update` is merged with the bundled one.
"""

from __future__ import annotations

S3_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html"
SQS_DOC = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
    "sqs-api-permissions-reference.html"
)
SNS_DOC = "https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html"
LAMBDA_DOC = (
    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html"
)
KMS_REENCRYPT_DOC = (
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html"
)
BEDROCK_DOC = (
    "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-prereq.html"
)
APIGW_WEBSOCKET_DOC = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "apigateway-websocket-control-access-iam.html"
)
DYNAMODB_TX_DOC = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
    "transaction-apis-iam.html"
)
GLOBAL_KEYS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"

# (IAM prefix, API operation) -> (actions needed, AWS doc page that says so).
# Only operations whose action differs from the operation name are listed: the default
# rule (same-named action under the service's IAM prefix) covers the rest.
OPERATION_OVERRIDES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    # --- Amazon S3: "Required permissions for Amazon S3 API operations" ---
    ("s3", "AbortMultipartUpload"): (("s3:AbortMultipartUpload",), S3_DOC),
    ("s3", "CompleteMultipartUpload"): (("s3:PutObject",), S3_DOC),
    ("s3", "CopyObject"): (("s3:GetObject", "s3:PutObject"), S3_DOC),
    ("s3", "CreateBucketMetadataConfiguration"): (
        ("s3:CreateBucketMetadataTableConfiguration",),
        S3_DOC,
    ),
    ("s3", "CreateBucketMetadataTableConfiguration"): (
        ("s3:CreateBucketMetadataTableConfiguration",),
        S3_DOC,
    ),
    ("s3", "CreateMultipartUpload"): (("s3:PutObject",), S3_DOC),
    ("s3", "CreateSession"): (("s3express:CreateSession",), S3_DOC),
    ("s3", "DeleteBucketAnalyticsConfiguration"): (
        ("s3:PutAnalyticsConfiguration",),
        S3_DOC,
    ),
    ("s3", "DeleteBucketCors"): (("s3:PutBucketCORS",), S3_DOC),
    ("s3", "DeleteBucketEncryption"): (("s3:PutEncryptionConfiguration",), S3_DOC),
    ("s3", "DeleteBucketIntelligentTieringConfiguration"): (
        ("s3:PutIntelligentTieringConfiguration",),
        S3_DOC,
    ),
    ("s3", "DeleteBucketInventoryConfiguration"): (
        ("s3:PutInventoryConfiguration",),
        S3_DOC,
    ),
    ("s3", "DeleteBucketLifecycle"): (("s3:PutLifecycleConfiguration",), S3_DOC),
    ("s3", "DeleteBucketMetadataConfiguration"): (
        ("s3:DeleteBucketMetadataTableConfiguration",),
        S3_DOC,
    ),
    ("s3", "DeleteBucketMetadataTableConfiguration"): (
        ("s3:DeleteBucketMetadataTableConfiguration",),
        S3_DOC,
    ),
    ("s3", "DeleteBucketMetricsConfiguration"): (
        ("s3:PutMetricsConfiguration",),
        S3_DOC,
    ),
    ("s3", "DeleteBucketOwnershipControls"): (
        ("s3:PutBucketOwnershipControls",),
        S3_DOC,
    ),
    ("s3", "DeleteBucketReplication"): (("s3:PutReplicationConfiguration",), S3_DOC),
    ("s3", "DeleteBucketTagging"): (("s3:PutBucketTagging",), S3_DOC),
    ("s3", "DeleteObjects"): (("s3:DeleteObject",), S3_DOC),
    ("s3", "DeletePublicAccessBlock"): (("s3:PutBucketPublicAccessBlock",), S3_DOC),
    ("s3", "GetBucketAccelerateConfiguration"): (
        ("s3:GetAccelerateConfiguration",),
        S3_DOC,
    ),
    ("s3", "GetBucketAnalyticsConfiguration"): (
        ("s3:GetAnalyticsConfiguration",),
        S3_DOC,
    ),
    ("s3", "GetBucketCors"): (("s3:GetBucketCORS",), S3_DOC),
    ("s3", "GetBucketEncryption"): (("s3:GetEncryptionConfiguration",), S3_DOC),
    ("s3", "GetBucketIntelligentTieringConfiguration"): (
        ("s3:GetIntelligentTieringConfiguration",),
        S3_DOC,
    ),
    ("s3", "GetBucketInventoryConfiguration"): (
        ("s3:GetInventoryConfiguration",),
        S3_DOC,
    ),
    ("s3", "GetBucketLifecycle"): (("s3:GetLifecycleConfiguration",), S3_DOC),
    ("s3", "GetBucketLifecycleConfiguration"): (
        ("s3:GetLifecycleConfiguration",),
        S3_DOC,
    ),
    ("s3", "GetBucketMetadataConfiguration"): (
        ("s3:GetBucketMetadataTableConfiguration",),
        S3_DOC,
    ),
    ("s3", "GetBucketMetricsConfiguration"): (("s3:GetMetricsConfiguration",), S3_DOC),
    ("s3", "GetBucketNotificationConfiguration"): (
        ("s3:GetBucketNotification",),
        S3_DOC,
    ),
    ("s3", "GetBucketReplication"): (("s3:GetReplicationConfiguration",), S3_DOC),
    ("s3", "GetObjectLockConfiguration"): (
        ("s3:GetBucketObjectLockConfiguration",),
        S3_DOC,
    ),
    ("s3", "GetPublicAccessBlock"): (("s3:GetBucketPublicAccessBlock",), S3_DOC),
    ("s3", "HeadBucket"): (("s3:ListBucket",), S3_DOC),
    ("s3", "HeadObject"): (("s3:GetObject",), S3_DOC),
    ("s3", "ListBucketAnalyticsConfigurations"): (
        ("s3:GetAnalyticsConfiguration",),
        S3_DOC,
    ),
    ("s3", "ListBucketIntelligentTieringConfigurations"): (
        ("s3:GetIntelligentTieringConfiguration",),
        S3_DOC,
    ),
    ("s3", "ListBucketInventoryConfigurations"): (
        ("s3:GetInventoryConfiguration",),
        S3_DOC,
    ),
    ("s3", "ListBucketMetricsConfigurations"): (
        ("s3:GetMetricsConfiguration",),
        S3_DOC,
    ),
    ("s3", "ListBuckets"): (("s3:ListAllMyBuckets",), S3_DOC),
    ("s3", "ListDirectoryBuckets"): (("s3express:ListAllMyDirectoryBuckets",), S3_DOC),
    ("s3", "ListMultipartUploads"): (("s3:ListBucketMultipartUploads",), S3_DOC),
    ("s3", "ListObjectVersions"): (("s3:ListBucketVersions",), S3_DOC),
    ("s3", "ListObjects"): (("s3:ListBucket",), S3_DOC),
    ("s3", "ListObjectsV2"): (("s3:ListBucket",), S3_DOC),
    ("s3", "ListParts"): (("s3:ListMultipartUploadParts",), S3_DOC),
    ("s3", "PutBucketAccelerateConfiguration"): (
        ("s3:PutAccelerateConfiguration",),
        S3_DOC,
    ),
    ("s3", "PutBucketAnalyticsConfiguration"): (
        ("s3:PutAnalyticsConfiguration",),
        S3_DOC,
    ),
    ("s3", "PutBucketCors"): (("s3:PutBucketCORS",), S3_DOC),
    ("s3", "PutBucketEncryption"): (("s3:PutEncryptionConfiguration",), S3_DOC),
    ("s3", "PutBucketIntelligentTieringConfiguration"): (
        ("s3:PutIntelligentTieringConfiguration",),
        S3_DOC,
    ),
    ("s3", "PutBucketInventoryConfiguration"): (
        ("s3:PutInventoryConfiguration",),
        S3_DOC,
    ),
    ("s3", "PutBucketLifecycle"): (("s3:PutLifecycleConfiguration",), S3_DOC),
    ("s3", "PutBucketLifecycleConfiguration"): (
        ("s3:PutLifecycleConfiguration",),
        S3_DOC,
    ),
    ("s3", "PutBucketMetricsConfiguration"): (("s3:PutMetricsConfiguration",), S3_DOC),
    ("s3", "PutBucketNotificationConfiguration"): (
        ("s3:PutBucketNotification",),
        S3_DOC,
    ),
    ("s3", "PutBucketReplication"): (("s3:PutReplicationConfiguration",), S3_DOC),
    ("s3", "PutObjectLockConfiguration"): (
        ("s3:PutBucketObjectLockConfiguration",),
        S3_DOC,
    ),
    ("s3", "PutPublicAccessBlock"): (("s3:PutBucketPublicAccessBlock",), S3_DOC),
    ("s3", "RenameObject"): (("s3express:CreateSession",), S3_DOC),
    ("s3", "SelectObjectContent"): (("s3:GetObject",), S3_DOC),
    ("s3", "UploadPart"): (("s3:PutObject",), S3_DOC),
    ("s3", "UploadPartCopy"): (("s3:GetObject", "s3:PutObject"), S3_DOC),
    ("s3", "WriteGetObjectResponse"): (
        ("s3-object-lambda:WriteGetObjectResponse",),
        S3_DOC,
    ),
    # --- Amazon SQS: batch operations use the single-message action ---
    ("sqs", "SendMessageBatch"): (("sqs:SendMessage",), SQS_DOC),
    ("sqs", "DeleteMessageBatch"): (("sqs:DeleteMessage",), SQS_DOC),
    ("sqs", "ChangeMessageVisibilityBatch"): (
        ("sqs:ChangeMessageVisibility",),
        SQS_DOC,
    ),
    # --- Amazon SNS ---
    ("sns", "PublishBatch"): (("sns:Publish",), SNS_DOC),
    # --- AWS Lambda: Invoke is authorised by lambda:InvokeFunction ---
    ("lambda", "Invoke"): (("lambda:InvokeFunction",), LAMBDA_DOC),
    ("lambda", "InvokeWithResponseStream"): (("lambda:InvokeFunction",), LAMBDA_DOC),
    # --- API Gateway WebSocket @connections API (ApiGatewayManagementApi) ---
    ("execute-api", "PostToConnection"): (
        ("execute-api:ManageConnections",),
        APIGW_WEBSOCKET_DOC,
    ),
    ("execute-api", "GetConnection"): (
        ("execute-api:ManageConnections",),
        APIGW_WEBSOCKET_DOC,
    ),
    ("execute-api", "DeleteConnection"): (
        ("execute-api:ManageConnections",),
        APIGW_WEBSOCKET_DOC,
    ),
    # --- AWS KMS: ReEncrypt needs both halves ---
    ("kms", "ReEncrypt"): (("kms:ReEncryptFrom", "kms:ReEncryptTo"), KMS_REENCRYPT_DOC),
    # --- Amazon Bedrock: the Converse API is authorised as model invocation ---
    ("bedrock", "Converse"): (("bedrock:InvokeModel",), BEDROCK_DOC),
    ("bedrock", "ConverseStream"): (
        ("bedrock:InvokeModelWithResponseStream",),
        BEDROCK_DOC,
    ),
    # --- Amazon DynamoDB: transactional reads use the GetItem permission ---
    ("dynamodb", "TransactGetItems"): (("dynamodb:GetItem",), DYNAMODB_TX_DOC),
}

# Services whose API operations are authorised by HTTP-verb actions: (operation name
# prefix, action) pairs applied at build time to that service's operations that have no
# same-named action. AWS's own "API operations defined by Amazon API Gateway Management"
# table maps e.g. CreateDeployment -> apigateway:POST, GetRestApis -> apigateway:GET.
APIGW_SAR_DOC = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/"
    "list_amazonapigatewaymanagement.html"
)
VERB_RULES: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "apigateway": (
        (
            ("Create", "apigateway:POST"),
            ("Get", "apigateway:GET"),
            ("Update", "apigateway:PATCH"),
            ("Delete", "apigateway:DELETE"),
            ("Put", "apigateway:PUT"),
        ),
        APIGW_SAR_DOC,
    ),
}

# botocore service name / signing name / endpoint prefix -> IAM prefix, where they differ
# and the data-driven matching in the build could not tell (see build_catalog.py).
PREFIX_RENAMES: dict[str, str] = {
    "monitoring": "cloudwatch",
    "cloudwatch": "cloudwatch",
    "tagging": "tag",
    "awsssoportal": "sso",
    "sso-portal": "sso",
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "efs": "elasticfilesystem",
    "location": "geo",
    "bedrock-runtime": "bedrock",
    "bedrock-agent": "bedrock",
    "bedrock-agent-runtime": "bedrock",
    "stepfunctions": "states",
    "sfn": "states",
    "logs": "logs",
    "cloudwatchlogs": "logs",
    "events": "events",
    "eventbridge": "events",
    "email": "ses",
    "sesv2": "ses",
    "opensearch": "es",
    "opensearchservice": "es",
    "elasticsearch": "es",
    "dynamodbstreams": "dynamodb",
    "streams.dynamodb": "dynamodb",
    "lexv2-models": "lex",
    "lexv2-runtime": "lex",
    "lex-models": "lex",
    "lex-runtime": "lex",
    "iot-data": "iot",
    "iotdata": "iot",
    "data.iot": "iot",
    "sagemaker-runtime": "sagemaker",
    "runtime.sagemaker": "sagemaker",
    "kinesisvideo": "kinesisvideo",
    "secretsmanager": "secretsmanager",
    "sts": "sts",
    "securitytokenservice": "sts",
    "identitymanagement": "iam",
    "simplesystemsmanagement": "ssm",
    "msk": "kafka",
    "apigatewaymanagementapi": "execute-api",
    "awssecuritytokenservice": "sts",
}

# Claims every OIDC identity provider's keys carry (`<provider>:aud`, `:sub`, ...) in
# role trust policies, e.g. `token.actions.githubusercontent.com:sub`; the Service
# Authorization Reference lists only some providers' keys.
OIDC_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_iam-condition-keys.html#condition-keys-wif"
)
OIDC_CLAIM_KEYS: dict[str, str] = {
    "aud": "Audience (client id) of the web identity token",
    "sub": "Subject of the web identity token",
    "amr": "Authentication methods reference of the web identity token",
    "azp": "Authorized party of the web identity token",
    "oaud": "Original audience of the web identity token",
    "email": "E-mail claim of the web identity token",
    "id": "User id claim of the web identity token",
    "iss": "Issuer of the web identity token",
}

# AWS global condition context keys and their types.
GLOBAL_CONDITION_KEYS: tuple[tuple[str, str, str], ...] = (
    (
        "aws:AssumedRoot",
        "Bool",
        "Whether the request was made with an assumed root session",
    ),
    (
        "aws:CalledVia",
        "ArrayOfString",
        "Services that made requests on the principal's behalf",
    ),
    ("aws:CalledViaFirst", "String", "First service in the aws:CalledVia chain"),
    ("aws:CalledViaLast", "String", "Last service in the aws:CalledVia chain"),
    (
        "aws:ChatbotSourceArn",
        "ARN",
        "ARN of the chat configuration a request came through (Amazon Q in chat)",
    ),
    ("aws:CurrentTime", "Date", "Date and time of the request"),
    ("aws:EpochTime", "Date", "Date and time of the request in epoch seconds"),
    (
        "aws:FederatedProvider",
        "String",
        "Identity provider that issued the federated identity",
    ),
    (
        "aws:Ec2InstanceSourcePrivateIPv4",
        "IPAddress",
        "Private IPv4 of the EC2 instance whose role credentials made the request",
    ),
    (
        "aws:Ec2InstanceSourceVpc",
        "String",
        "VPC of the EC2 instance whose role credentials made the request",
    ),
    (
        "aws:MultiFactorAuthAge",
        "Numeric",
        "Seconds since the principal authenticated with MFA",
    ),
    (
        "aws:MultiFactorAuthPresent",
        "Bool",
        "Whether MFA was used to authenticate the credentials",
    ),
    ("aws:PrincipalAccount", "String", "Account of the principal making the request"),
    ("aws:PrincipalArn", "ARN", "ARN of the principal making the request"),
    (
        "aws:PrincipalIsAWSService",
        "Bool",
        "Whether the call is made by an AWS service principal",
    ),
    (
        "aws:PrincipalOrgID",
        "String",
        "AWS Organizations id of the principal's organization",
    ),
    (
        "aws:PrincipalOrgPaths",
        "ArrayOfString",
        "AWS Organizations paths of the principal's account",
    ),
    ("aws:PrincipalServiceName", "String", "Service principal name making the request"),
    (
        "aws:PrincipalServiceNamesList",
        "ArrayOfString",
        "Service principal names of the service",
    ),
    (
        "aws:PrincipalTag/${TagKey}",
        "String",
        "Tags attached to the principal making the request",
    ),
    (
        "aws:PrincipalType",
        "String",
        "Type of principal (Account, User, FederatedUser, AssumedRole, Anonymous)",
    ),
    ("aws:RequestedRegion", "String", "Region the request was made to"),
    ("aws:RequestTag/${TagKey}", "String", "Tag key-value pairs passed in the request"),
    ("aws:ResourceAccount", "String", "Account that owns the requested resource"),
    (
        "aws:ResourceOrgID",
        "String",
        "Organization id of the account that owns the resource",
    ),
    (
        "aws:ResourceOrgPaths",
        "ArrayOfString",
        "Organizations paths of the resource's account",
    ),
    ("aws:ResourceTag/${TagKey}", "String", "Tags attached to the requested resource"),
    ("aws:SecureTransport", "Bool", "Whether the request was sent over TLS"),
    (
        "aws:SourceAccount",
        "String",
        "Account of the resource making a service-to-service request",
    ),
    ("aws:SourceArn", "ARN", "ARN of the resource making a service-to-service request"),
    ("aws:SourceIdentity", "String", "Source identity set when a role was assumed"),
    ("aws:SourceIp", "IPAddress", "Requester's IP address"),
    (
        "aws:SourceOrgID",
        "String",
        "Organization id of the resource making a service-to-service request",
    ),
    (
        "aws:SourceOrgPaths",
        "ArrayOfString",
        "Organizations paths of the source resource's account",
    ),
    ("aws:SourceVpc", "String", "VPC the request came through (VPC endpoint)"),
    ("aws:SourceVpcArn", "ARN", "ARN of the VPC the request came through"),
    ("aws:SourceVpce", "String", "VPC endpoint id the request came through"),
    ("aws:TagKeys", "ArrayOfString", "Tag keys passed in the request"),
    (
        "aws:TokenIssueTime",
        "Date",
        "Time the temporary security credentials were issued",
    ),
    ("aws:UserAgent", "String", "Requester's client application (user agent)"),
    (
        "aws:VpcSourceIp",
        "IPAddress",
        "Requester's IP address when the request comes through a VPC endpoint",
    ),
    (
        "aws:VpceAccount",
        "String",
        "Account that owns the VPC endpoint the request came through",
    ),
    ("aws:VpceOrgID", "String", "Organization id of the VPC endpoint's owner"),
    (
        "aws:VpceOrgPaths",
        "ArrayOfString",
        "Organizations paths of the VPC endpoint's owner",
    ),
    (
        "aws:ViaAWSService",
        "Bool",
        "Whether an AWS service made the request on the principal's behalf",
    ),
    ("aws:referer", "String", "HTTP referer header of the request"),
    ("aws:userid", "String", "Unique id of the principal making the request"),
    ("aws:username", "String", "Friendly name of the IAM user making the request"),
)

# When an API operation name alone (no service in the message, e.g. boto3's
# "when calling the GetObject operation") fits several services, prefer the one that
# appears first here: the services whose denials developers meet most.
COMMON_SERVICES: tuple[str, ...] = (
    "s3",
    "iam",
    "sts",
    "dynamodb",
    "lambda",
    "sqs",
    "sns",
    "kms",
    "secretsmanager",
    "ssm",
    "ec2",
    "logs",
    "cloudwatch",
    "ecr",
    "ecs",
    "eks",
    "cloudformation",
    "events",
    "states",
    "kinesis",
    "firehose",
    "glue",
    "athena",
    "rds",
    "bedrock",
    "apigateway",
    "execute-api",
)
