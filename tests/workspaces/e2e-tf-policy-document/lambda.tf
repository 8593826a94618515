data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "thumbnailer" {
  name               = "thumbnailer"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "thumbnailer" {
  # Originals are read from the uploads bucket.
  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::acme-uploads/*"]
  }
}

resource "aws_iam_role_policy" "thumbnailer" {
  name   = "thumbnailer"
  role   = aws_iam_role.thumbnailer.id
  policy = data.aws_iam_policy_document.thumbnailer.json
}
