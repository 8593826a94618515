resource "aws_s3_bucket" "data" {
  bucket = "data-bkt"
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "Deploy"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.data.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::444455556666:root"]
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.bucket.json
}
