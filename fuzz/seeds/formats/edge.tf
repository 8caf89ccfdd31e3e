a = <<-EOF
  x ${y} %{if z}w%{endif}
  EOF
b = { (var.k) = 1, "s" = [-1, !true, a.b[0], f(x)...] }
c d "e" { f = 1 }
