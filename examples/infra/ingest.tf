# The ingest Lambda's role: trust policy as a heredoc, permissions from a JSON file.
resource "aws_iam_role" "ingest" {
  name = "ingest-lambda"
  assume_role_policy = <<EOF2
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Service": "lambda.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }
  ]
}
EOF2
}

resource "aws_iam_policy" "ingest" {
  name   = "ingest-lambda"
  policy = file("${path.module}/ingest-policy.json")
}

resource "aws_iam_role_policy_attachment" "ingest" {
  role       = aws_iam_role.ingest.name
  policy_arn = aws_iam_policy.ingest.arn
}
