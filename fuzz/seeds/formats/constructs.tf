# Every construct the HCL2 loader renders, as hcl2json renders it.
terraform {
  required_version = ">= 1.5"
}

variable "subnets" {
  type    = list(string)
  default = ["10.0.1.0/24", "10.0.2.0/24"]
}

locals {
  name     = "svc-${var.env}"
  escaped  = "tab\there \"quoted\" \u00e9 $${not_interpolated} %%{not_a_directive}"
  only     = "${var.region}"
  literal  = "${42}"
  mixed    = "n=${1.5} b=${true} s=${"inner"} nested=${"a${var.b}"}"
  neg      = -3
  negf     = - 2.5
  double   = - -4
  not      = !false
  big      = 18446744073709551615
  float    = 1e3
  tiny     = 0.000001
  sum      = var.a + var.b * 2
  cond     = var.enabled ? "on" : "off"
  call     = merge(local.tags, { extra = true })
  ns_call  = provider::aws::arn_parse(var.arn)
  splat    = aws_instance.web[*].id
  attrs    = aws_instance.web.*.private_ip
  index    = var.list[0]
  list_for = [for s in var.subnets : upper(s) if s != ""]
  map_for  = { for k, v in var.map : k => v... }
  paren    = (1 + 2)
  nulls    = null
  multi = [
    "a", # first
    var.b,
    {
      k1 = "v"
      "k2" : 2
      (var.key) = 3
      "k-${var.x}" = 4
      a.b = 5
    },
  ]
  directive = "%{ if var.on }yes%{ else }no%{ endif }!"
  loop      = "%{ for i, v in var.l ~}${v},%{ endfor ~}"
}

resource "aws_instance" "web" {
  ami           = data.aws_ami.ubuntu.id
  instance_type = "t3.micro"
  ebs_block_device {
    device_name = "/dev/sdb"
    encrypted   = false
  }
  ebs_block_device { device_name = "/dev/sdc" }
  lifecycle { }
}
