resource "aws_iam_policy" "scanner_access" {
  name = "scanner-access"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = "arn:aws:s3:::acme-scans"
      },
    ]
  })
}
