resource "aws_iam_role" "app" {
  name = "app-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_dynamodb_table" "orders" {
  name = "orders"
  hash_key = "id"
}

resource "aws_s3_bucket" "r" {
  bucket = "reports-bkt"
}

resource "aws_iam_role_policy" "app" {
  name = "app"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Read"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = aws_dynamodb_table.orders.arn
      },
    ]
  })
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "ReadAll"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.r.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.app.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "r" {
  bucket = aws_s3_bucket.r.id
  policy = data.aws_iam_policy_document.bucket.json
}
