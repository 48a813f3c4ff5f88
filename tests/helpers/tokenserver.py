#!/usr/bin/env python3
"""tokenserver.py: a Docker registry token server for rl's tests (python3 stdlib + openssl).

  tokenserver.py --port 5118 --key token.key --cert token.pem --issuer ISS --service SVC \
                 --user rluser --password rlpass --log requests.log

GET /token?service=SVC&scope=repository:NAME:pull,push[&scope=...]  (the realm of the
registry's `auth: token:` config) answers {"token", "access_token", "expires_in",
"issued_at"} with a JWT signed RS256 (`openssl dgst -sha256 -sign KEY`) whose header
carries the certificate in "x5c"; distribution checks that chain against its
rootcertbundle (the same certificate). Access granted:
  - no Authorization header: "pull" of the requested repository scopes;
  - Basic USER:PASSWORD: everything requested (pull, push, delete, registry:catalog:*);
  - any other credentials: 401.
POST /token (the OAuth2 password/refresh-token grant) answers 404, so that clients fall
back to GET, as with the Docker Hub's auth server for basic clients.
Each request is logged to --log as one JSON line: time, method, path, service, scopes,
user ("" when anonymous), granted access, status. GET /log returns that file.
"""

import argparse
import base64
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    def __init__(self, key, cert):
        self.key = key
        with open(cert) as fh:
            der = ssl.PEM_cert_to_DER_cert(fh.read())
        self.x5c = [base64.b64encode(der).decode()]

    def token(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                             input=signing_input.encode(), stdout=subprocess.PIPE,
                             check=True).stdout
        return signing_input + "." + b64url(sig)


def parse_scope(scope):
    """"repository:rl-test/busybox:pull,push" -> ("repository", "rl-test/busybox", [...])."""
    parts = scope.split(":")
    if len(parts) < 3:
        return None
    return parts[0], ":".join(parts[1:-1]), [a for a in parts[-1].split(",") if a]


class Handler(BaseHTTPRequestHandler):
    server_version = "rl-tokenserver/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def record(self, **entry):
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "method": self.command, "path": self.path, **entry}
        with self.server.log_lock, open(self.server.args.log, "a") as fh:
            fh.write(json.dumps(entry) + "\n")

    def send(self, status, body, ctype="application/json", extra=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def user(self):
        """'' for anonymous, the user name for good credentials, None for bad ones."""
        auth = self.headers.get("Authorization", "")
        if not auth:
            return ""
        if not auth.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return None
        a = self.server.args
        return user if (user, password) == (a.user, a.password) else None

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        a = self.server.args
        if url.path == "/log":
            try:
                with open(a.log, "rb") as fh:
                    return self.send(200, fh.read(), "text/plain")
            except FileNotFoundError:
                return self.send(200, b"", "text/plain")
        if url.path != "/token":
            return self.send(404, {"error": "not found"})
        service = q.get("service", [""])[0]
        scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
        user = self.user()
        if user is None:
            self.record(service=service, scopes=scopes, user="?", access=[], status=401)
            return self.send(401, {"errors": [{"code": "UNAUTHORIZED",
                                               "message": "bad credentials"}]},
                             extra={"WWW-Authenticate": 'Basic realm="rl-tokenserver"'})
        access = []
        for s in scopes:
            parsed = parse_scope(s)
            if not parsed:
                continue
            typ, name, actions = parsed
            if not user:
                actions = [x for x in actions if x == "pull"] if typ == "repository" else []
            if actions:
                access.append({"type": typ, "name": name, "actions": actions})
        now = int(time.time())
        claims = {"iss": a.issuer, "sub": user, "aud": service or a.service,
                  "exp": now + a.expires, "nbf": now - 10, "iat": now,
                  "jti": uuid.uuid4().hex, "access": access}
        token = self.server.signer.token(claims)
        self.record(service=service, scopes=scopes, user=user, access=access, status=200)
        issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        self.send(200, {"token": token, "access_token": token, "expires_in": a.expires,
                        "issued_at": issued})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        if length:
            self.rfile.read(length)
        self.record(service="", scopes=[], user="", access=[], status=404)
        self.send(404, {"error": "use GET"})


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5118)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", default="rl-test-issuer")
    ap.add_argument("--service", default="rl-test-registry")
    ap.add_argument("--user", default="rluser")
    ap.add_argument("--password", default="rlpass")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    srv = ThreadingHTTPServer((args.addr, args.port), Handler)
    srv.daemon_threads = True
    srv.args = args
    srv.signer = Signer(args.key, args.cert)
    srv.log_lock = threading.Lock()
    sys.stderr.write(f"tokenserver: listening on {args.addr}:{args.port}, pid {os.getpid()}\n")
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
