variable "region" {
  default = "eu-west-1"
}

resource "aws_security_group_rule" "ssh" {
  type        = "ingress"
  from_port   = 22
  cidr_blocks = ["0.0.0.0/0"]
}

resource "aws_alb_listener" "web" {
  port     = 80
  protocol = "HTTP"
}

resource "azurerm_managed_disk" "data" {
  encryption_settings {
    enabled = false
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "logs-${var.region}"
  acl    = "private"

  tags = {
    owner = "ops"
  }
}
