data "aws_partition" "current" {}

data "aws_iam_policy" "dynamo_read" {
  arn = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
}

resource "aws_iam_role" "exporter" {
  name = "tf-exporter"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# AWS managed policies attached by ARN: evaluated, never edited.
resource "aws_iam_role_policy_attachment" "exporter_logs" {
  role       = aws_iam_role.exporter.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy_attachment" "exporter_read" {
  role       = aws_iam_role.exporter.name
  policy_arn = data.aws_iam_policy.dynamo_read.arn
}

resource "aws_iam_role_policy" "exporter" {
  name = "exporter-writes"
  role = aws_iam_role.exporter.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = "arn:aws:sqs:us-east-1:111122223333:exports"
    }]
  })
}

# Attaches the shared stack's customer managed policy by ARN (iam/ holds it).
resource "aws_iam_role" "scanner" {
  name                = "tf-scanner"
  managed_policy_arns = ["arn:aws:iam::111122223333:policy/scanner-access"]
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
