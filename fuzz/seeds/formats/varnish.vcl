vcl 4.0;

backend default {
    .host = "10.0.0.5";
    .port = "80";
    .connect_timeout = 5s;
    .probe = {
        .url = "/healthz";
        .interval = 10s;
    }
}

backend admin {
    .host = "0.0.0.0";
    .port = "8080";
}

acl purge {
    "localhost";
    "10.0.0.0"/8;
}

sub vcl_recv {
    set req.backend_hint = default;
}
