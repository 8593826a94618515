from __future__ import annotations

import json

from accessdenied.policy import check_text, find_policies
from accessdenied.text import LineIndex
from tests.paths import EXAMPLES

CFN_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: "Ünïcode 😀 before the policies"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: Read
                Effect: allow
                Action: [sqs:ReceiveMessage, !Ref ExtraAction]
                Resource: !Sub "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q"
              - Effect: Allow
                Action: s3:GetObject
                Resource: !GetAtt Bucket.Arn
  Bucket:
    Type: AWS::S3::BucketPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Join ["", [!GetAtt B.Arn, "/*"]]
"""


def test_cfn_yaml_documents_types_and_file_coordinates() -> None:
    found = find_policies("t.yaml", CFN_YAML)
    assert [(e.kind, e.policy_type, e.name) for e in found] == [
        ("cfn-yaml", "trust", "Role.AssumeRolePolicyDocument"),
        ("cfn-yaml", "identity", "Role.Policies[0]"),
        ("cfn-yaml", "resource", "Bucket.PolicyDocument"),
    ]
    trust = found[0]
    assert trust.value is not None
    assert trust.value["Version"] == "2012-10-17"  # a YAML timestamp kept as text
    findings = check_text(CFN_YAML, None, "t.yaml")
    effect = [f for f in findings if f.code == "invalid-effect"]
    assert len(effect) == 1
    span = effect[0].span
    assert CFN_YAML[span.start : span.end] == "allow"
    line = LineIndex(CFN_YAML).line_text(span.start_line)
    assert line.index("allow") + 1 == span.start_column
    assert span.start_line == 19
    # Intrinsics are placeholders: never malformed ARNs or invalid regions.
    assert not [f for f in findings if f.code.startswith(("arn-", "malformed"))]
    assert [f.severity for f in findings if f.severity == "error"] == ["error"]


def test_cfn_json_embedded_policy_spans() -> None:
    tpl = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {
                                    "AWS": {
                                        "Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"
                                    }
                                },
                                "Action": "kms:Frobnicate",
                                "Resource": "*",
                            }
                        ],
                    }
                },
            }
        },
    }
    text = json.dumps(tpl, indent=2)
    found = find_policies("tpl.json", text)
    assert [(e.kind, e.policy_type) for e in found] == [("cfn-json", "resource")]
    findings = check_text(text, None, "tpl.json")
    bad = [f for f in findings if f.code == "unknown-action"]
    assert bad
    assert text[bad[0].span.start : bad[0].span.end] == '"kms:Frobnicate"'


def test_terraform_heredoc_and_jsonencode() -> None:
    tf = (EXAMPLES / "infra" / "ingest.tf").read_text(encoding="utf-8")
    tf += """
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Public"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:GetObject"]
        Resource  = "${aws_s3_bucket.b.arn}/*"
        Condition = { IpAddress = { "aws:SourceIp" = var.cidrs } }
      },
      {
        Effect   = "Allow"
        Principal = { AWS = "arn:aws:iam::111122223333:root" }
        Action   = ["s3:PutObjekt"]
        Resource = [for k in var.keys : "${aws_s3_bucket.b.arn}/${k}"]
      },
    ]
  })
}
"""
    found = find_policies("main.tf", tf)
    assert [(e.kind, e.policy_type, e.name) for e in found] == [
        ("terraform-heredoc", "trust", "aws_iam_role.ingest.assume_role_policy"),
        ("terraform-jsonencode", "resource", "aws_s3_bucket_policy.b.policy"),
    ]
    assert found[0].document is not None
    assert found[0].document.syntax_errors == ()
    assert found[0].span.start_line == 5
    findings = check_text(tf, None, "main.tf")
    bad = [f for f in findings if f.code == "unknown-action"]
    assert len(bad) == 1
    assert tf[bad[0].span.start : bad[0].span.end] == '"s3:PutObjekt"'
    assert bad[0].span.start_line == tf[: bad[0].span.start].count("\n") + 1
    assert not [f for f in findings if f.code == "condition-value-type"]


def test_standalone_json_detection() -> None:
    assert find_policies("package.json", '{"name": "x"}') == []
    assert find_policies("x.json", "not json") == []
    found = find_policies(
        "bucket.json",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}',
    )
    assert [(e.kind, e.policy_type) for e in found] == [("json", "resource")]
    found = find_policies(
        "scp-deny.json",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
        '"Action": "s3:*", "Resource": "*"}]}',
    )
    assert found[0].policy_type == "scp"


def test_broken_yaml_is_a_finding() -> None:
    text = "Resources:\n  R: [unclosed\n"
    findings = check_text(text, None, "t.yaml")
    assert [f.code for f in findings] == ["yaml-syntax"]
    assert 0 <= findings[0].span.start <= len(text)


def test_examples_detected() -> None:
    for p in sorted((EXAMPLES / "policies").glob("*.json")):
        found = find_policies(str(p), p.read_text(encoding="utf-8"))
        assert len(found) == 1
        assert found[0].document is not None
    cfn = EXAMPLES / "infra" / "report-worker.cfn.yaml"
    kinds = {e.kind for e in find_policies(str(cfn), cfn.read_text(encoding="utf-8"))}
    assert kinds == {"cfn-yaml"}


TF_DATA = """\
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "s3" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObjekt", "s3:ListBucket"]
    resources = ["${aws_s3_bucket.b.arn}/*", "arn:aws:s3:::b"]
    condition {
      test     = "IpAddress"
      variable = "aws:SourceIp"
      values   = ["10.0.0.300/8"]
    }
  }
}
"""


def test_terraform_policy_document_data_sources() -> None:
    found = find_policies("iam.tf", TF_DATA)
    assert [(e.kind, e.policy_type, e.name) for e in found] == [
        ("terraform-data", "trust", "data.aws_iam_policy_document.assume"),
        ("terraform-data", "identity", "data.aws_iam_policy_document.s3"),
    ]
    assert found[1].value == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Action": ["s3:GetObjekt", "s3:ListBucket"],
                "Resource": ["${aws_s3_bucket.b.arn}/*", "arn:aws:s3:::b"],
                "Effect": "Allow",
                "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.300/8"]}},
            }
        ],
    }
    findings = check_text(TF_DATA, None, "iam.tf")
    got = {(f.code, TF_DATA[f.span.start : f.span.end]) for f in findings}
    assert got == {
        ("unknown-action", '"s3:GetObjekt"'),
        ("condition-value-type", '"10.0.0.300/8"'),
    }


TF_EXPRESSIONS = """\
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = var.allow ? "Allow" : "Deny"
        Action   = concat(["s3:GetObject"], var.extra)
        Resource = "${aws_s3_bucket.b.arn}/*"
        Condition = {
          StringEquals = { "aws:PrincipalTag/team" = local.teams[0] }
          NumericLessThan = { "s3:max-keys" = var.n + 1 }
        }
      },
      {
        Effect = "Allow"
        Action = ["s3:ListBucket"]
        Resource = aws_s3_bucket.b.arn
        Sid = <<EOT
Listing
EOT
      },
    ]
  })
}
"""


def test_terraform_expressions_are_placeholders_not_errors() -> None:
    (emb,) = find_policies("e.tf", TF_EXPRESSIONS)
    assert emb.value is not None
    first, second = emb.value["Statement"]
    assert first["Effect"] == "${expr}"
    assert first["Action"] == "${concat}"
    assert second["Sid"] == "Listing\n"
    assert check_text(TF_EXPRESSIONS, None, "e.tf") == []


def test_json_template_with_late_resources_is_a_template() -> None:
    pad = ",\n".join(
        f'    "P{i}": {{"Type": "String", "Default": "x"}}' for i in range(200)
    )
    text = (
        '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Parameters": {\n'
        + pad
        + '\n  },\n  "Resources": {\n    "B": {"Type": "AWS::S3::Bucket"}\n  }\n}\n'
    )
    assert text.index('"Resources"') > 4000
    assert check_text(text, path="stack.json") == []


def test_policy_as_json_string_in_yaml_keeps_file_lines() -> None:
    text = (
        "Resources:\n"
        "  P:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      PolicyDocument: |\n"
        "        {\n"
        '          "Version": "2012-10-18",\n'
        '          "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",'
        ' "Resource": "*"}]\n'
        "        }\n"
    )
    found = [f for f in check_text(text, path="t.yaml") if f.code == "invalid-version"]
    assert [f.span.start_line for f in found] == [7]


def test_both_branches_of_fn_if_are_checked() -> None:
    text = (
        "Resources:\n"
        "  P:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      PolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: !If [IsProd, Allow, Alow]\n"
        "            Action: s3:GetObject\n"
        "            Resource: '*'\n"
    )
    codes = [f.code for f in check_text(text, path="t.yaml")]
    assert "invalid-effect" in codes


def test_ecr_repository_policy_needs_no_resource() -> None:
    text = (
        "Resources:\n"
        "  R:\n"
        "    Type: AWS::ECR::Repository\n"
        "    Properties:\n"
        "      RepositoryPolicyText:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Principal: {Service: codebuild.amazonaws.com}\n"
        "            Action: ecr:BatchGetImage\n"
    )
    codes = [f.code for f in check_text(text, path="t.yaml")]
    assert "missing-resource" not in codes
    # A service principal with no aws:SourceArn/SourceAccount is still worth a word.
    assert codes == ["service-principal-without-source"]


def test_sam_function_inline_policy_statements_are_checked() -> None:
    text = (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Runtime: python3.12\n"
        "      Policies:\n"
        "        - AWSLambdaBasicExecutionRole\n"
        "        - S3ReadPolicy: {BucketName: my-bucket}\n"
        "        - Statement:\n"
        "            - Effect: Allow\n"
        "              Action: s3:GetObjekt\n"
        "              Resource: '*'\n"
    )
    found = [
        f for f in check_text(text, path="template.yaml") if f.code == "unknown-action"
    ]
    assert [f.span.start_line for f in found] == [12]


TF_CONTEXT = """\
resource "aws_s3_bucket_policy" "b" {
  bucket = "my-bucket"
  policy = data.aws_iam_policy_document.bucket.json
}

data "aws_iam_policy_document" "bucket" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }
  }
}

resource "aws_organizations_policy" "rcp" {
  name = "deny-outside"
  type = "RESOURCE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "ec2:*"
      Resource  = "*"
    }]
  })
}
"""


def test_terraform_context_gives_the_policy_type() -> None:
    docs = {e.name: e.document for e in find_policies("main.tf", TF_CONTEXT)}
    bucket = docs["data.aws_iam_policy_document.bucket"]
    rcp = docs["aws_organizations_policy.rcp.content"]
    assert bucket is not None
    assert rcp is not None
    assert (bucket.policy_type, bucket.attachment) == ("resource", "s3-bucket")
    assert bucket.type_source == "terraform: aws_s3_bucket_policy.b.policy"
    assert rcp.policy_type == "rcp"
    assert rcp.type_source is not None
    assert "RESOURCE_CONTROL_POLICY" in rcp.type_source
    codes = {
        (f.code, f.span.start_line) for f in check_text(TF_CONTEXT, None, "main.tf")
    }
    assert ("bucket-policy-resource", 9) in codes
    assert ("rcp-unsupported", 25) in codes


def test_sub_json_string_policy_variables_are_cloudformation_references() -> None:
    text = (
        "Resources:\n"
        "  P:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      PolicyDocument: !Sub |\n"
        '        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n'
        '          "Action": "s3:GetObjekt",\n'
        '          "Resource": "arn:aws:s3:::${Bucket}-${AWS::AccountId}/${!aws:username}"}]}\n'
    )
    found = [(f.code, f.span.start_line) for f in check_text(text, path="t.yaml")]
    assert found == [("unknown-action", 7)]
