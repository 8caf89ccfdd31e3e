resource "aws_instance" "web" {
  user_data = <<EOF
#!/bin/sh
echo "${var.greeting}"
  indented line
EOF
  policy = <<-POLICY
    {
      "Statement": "${var.stmt}"

    }
    POLICY
  # conftest's own heredoc case (parser/hcl2/convert_test.go).
  heredoc = <<-EOF
        This is a heredoc template.
        It references ${local.other.3}
        EOF
  heredoc2 = <<EOF
        Another heredoc, that
        doesn't remove indentation
        ${local.other.3}
        %{if true ? false : true}"gotcha"\n%{else}4%{endif}
      EOF
  indented_interpolation = <<-EOT
    ${var.a}
    text
    EOT
  starts_with_interpolation = <<-EOT
${var.a}
    text
    EOT
  only = <<EOT
${var.whole}
EOT
}
