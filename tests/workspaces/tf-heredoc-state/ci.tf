resource "aws_iam_user" "ci" {
  name = "ci"
}

resource "aws_sns_topic" "t" {
  name_prefix = "alerts-"
}

resource "aws_iam_user_policy" "ci" {
  user   = aws_iam_user.ci.name
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": "s3:ListBucket",
          "Resource": "arn:aws:s3:::ci-bkt"
        }
      ]
    }
    EOT
}

resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = file("${path.module}/policies/deploy-trust.json")
}
