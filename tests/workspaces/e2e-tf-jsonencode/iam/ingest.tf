resource "aws_iam_role" "ingest" {
  name = "ingest-worker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# What the worker may do with the raw data.
resource "aws_iam_role_policy" "ingest" {
  name = "ingest-access"
  role = aws_iam_role.ingest.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadRaw"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::acme-raw", "arn:aws:s3:::acme-raw/*"]
      },
    ]
  })
}
