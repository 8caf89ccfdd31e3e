vcl 4.0;
import std;
backend b { .host = "h"; .probe = { .url = "/x"; } }
director d random { { .backend = b; .weight = 1; } }
table t { "k": "v", "n": 1, }
acl a { "1.2.3.4"; !"5.6.7.8"; "10.0.0.0"/8; 50%; true; 7; }
sub vcl_recv {
  if (req.http.host ~ "x" && req.method == "GET") { return (pass); } else { call foo; }
  set req.http.X-A = "a;b";
  /* comment "quoted" */
}
