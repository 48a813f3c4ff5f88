#!/usr/bin/env python3
"""badregistry.py: a registry (API v2, plain http, no auth) whose images are broken on
purpose, for rl's error tests. python3 stdlib only; threaded.

  badregistry.py --port 5120 --layout OCI_LAYOUT --tag busybox [--slow SECONDS]

Every repository is made from the real blobs of the image TAG of the OCI layout (one
layer, made by tests/fixtures.sh), and has the tag "latest" (manifests also by digest):

  bad/wrong-digest  the layer blob's body is the right size but one byte differs, so its
                    sha256 is not the digest of the manifest (and of the URL)
  bad/truncated     the layer body is cut to half; Content-Length honestly says the half
  bad/bad-manifest  the manifest is not JSON ("{this is not json"), with the OCI manifest
                    content type and a Docker-Content-Digest of those bytes
  bad/bad-config    a valid manifest whose config blob (right digest) has no "rootfs"
  bad/500           every request under /v2/bad/500/ answers 500 with a registry error body
  bad/flaky         the layer: a request without Range: gets 200, the full Content-Length
                    and half of the body, then the connection is dropped -- every odd
                    such request (1st, 3rd, ...; counted per server, reset by
                    GET /_bad/reset); the even ones get the whole body. A request with
                    "Range: bytes=N-" or "bytes=N-M" always succeeds with 206 and
                    Content-Range. Blobs advertise Accept-Ranges: bytes.
  bad/slow          the layer: headers and the first 4 KiB, then nothing for --slow
                    seconds (default 30), then the rest (for client timeouts)
  bad/redirect      every blob answers 307 to http://localhost:PORT/_storage/DIGEST (this
                    server under another host name, as registries send clients to their
                    blob storage), which refuses any request with an Authorization header
  bad/redirect-auth the same behind Basic auth (any user and password): the client must
                    not send the registry's credentials to the storage host

Other repositories answer 404 NAME_UNKNOWN; unknown blobs 404 BLOB_UNKNOWN. GET /v2/
answers 200 "{}". GET /_bad/log returns the requests seen so far (one line each: method,
path, Range header, status); GET /_bad/reset clears it and bad/flaky's counter.
"""

import argparse
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Repo:
    """manifest bytes + blobs (digest -> bytes) + the layer digest; fault name."""

    def __init__(self, fault, manifest, blobs, layer):
        self.fault, self.manifest, self.blobs, self.layer = fault, manifest, blobs, layer
        self.manifest_digest = sha256(manifest)


def load(layout, tag):
    with open(os.path.join(layout, "index.json")) as fh:
        index = json.load(fh)
    desc = next(d for d in index["manifests"] if d.get("annotations", {}).get(REF_NAME) == tag)

    def blob(digest):
        with open(os.path.join(layout, "blobs", *digest.split(":", 1)), "rb") as fh:
            return fh.read()

    manifest_bytes = blob(desc["digest"])
    manifest = json.loads(manifest_bytes)
    config_bytes = blob(manifest["config"]["digest"])
    (layer_desc,) = manifest["layers"]
    layer = layer_desc["digest"]
    blobs = {manifest["config"]["digest"]: config_bytes, layer: blob(layer)}

    repos = {}
    for fault in ("wrong-digest", "truncated", "500", "flaky", "slow", "redirect",
                  "redirect-auth"):
        repos["bad/" + fault] = Repo(fault, manifest_bytes, blobs, layer)
    repos["bad/bad-manifest"] = Repo("bad-manifest", b"{this is not json", blobs, layer)
    config = json.loads(config_bytes)
    del config["rootfs"]
    bad_config = json.dumps(config).encode()
    m2 = dict(manifest)
    m2["config"] = dict(manifest["config"], digest=sha256(bad_config), size=len(bad_config))
    m2_bytes = json.dumps(m2).encode()
    repos["bad/bad-config"] = Repo("bad-config", m2_bytes,
                                   {sha256(bad_config): bad_config, layer: blobs[layer]}, layer)
    return repos


ROUTE = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")


class Handler(BaseHTTPRequestHandler):
    server_version = "rl-badregistry/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def note(self, status):
        with self.server.lock:
            self.server.requests.append(
                f"{self.command} {self.path} range={self.headers.get('Range', '-')} {status}")

    def reply(self, status, body=b"", ctype="application/json", headers=None):
        self.note(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.reply(status, body)

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self.error(405, "UNSUPPORTED", "read-only registry")

    do_PUT = do_PATCH = do_DELETE = do_POST

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ("/v2", "/v2/"):
            return self.reply(200, b"{}")
        if path == "/_bad/log":
            with self.server.lock:
                text = "".join(line + "\n" for line in self.server.requests)
            return self.reply(200, text.encode(), "text/plain")
        if path == "/_bad/reset":
            with self.server.lock:
                self.server.requests.clear()
                self.server.flaky_count = 0
            return self.reply(200, b"reset\n", "text/plain")
        if path.startswith("/_storage/"):
            digest = path[len("/_storage/"):]
            for r in self.server.repos.values():
                if digest in r.blobs:
                    # Blob storage does not know the registry's credentials.
                    if self.headers.get("Authorization"):
                        return self.error(400, "UNSUPPORTED", "credentials sent to storage")
                    return self.reply(200, r.blobs[digest], "application/octet-stream")
            return self.error(404, "BLOB_UNKNOWN", "not in storage")
        m = ROUTE.match(path)
        repo = self.server.repos.get(m.group("name")) if m else None
        if m and m.group("name") == "bad/500" or path.startswith("/v2/bad/500/"):
            return self.error(500, "UNKNOWN", "bad/500: internal server error, always")
        if not repo:
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        ref = m.group("ref")
        if repo.fault == "redirect-auth" and not self.headers.get("Authorization", "").startswith(
                "Basic "):
            return self.reply(401, json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                                           "message": "authentication required"}]
                                               }).encode(),
                              headers={"WWW-Authenticate": 'Basic realm="bad"'})
        if m.group("kind") == "manifests":
            if ref not in ("latest", repo.manifest_digest):
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            return self.reply(200, repo.manifest, MT_MANIFEST,
                              {"Docker-Content-Digest": repo.manifest_digest})
        if ref not in repo.blobs:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        body = repo.blobs[ref]
        if repo.fault in ("redirect", "redirect-auth"):
            port = self.server.server_address[1]
            return self.reply(307, b"", "text/plain",
                              {"Location": f"http://localhost:{port}/_storage/{ref}"})
        if ref == repo.layer:
            return self.layer(repo, body)
        return self.reply(200, body, "application/octet-stream",
                          {"Docker-Content-Digest": ref, "Accept-Ranges": "bytes"})

    def layer(self, repo, body):
        hdrs = {"Docker-Content-Digest": repo.layer, "Accept-Ranges": "bytes"}
        ctype = "application/octet-stream"
        if repo.fault == "wrong-digest":
            i = len(body) // 2
            body = body[:i] + bytes([body[i] ^ 0xFF]) + body[i + 1:]
        elif repo.fault == "truncated":
            body = body[:len(body) // 2]
        rng = self.headers.get("Range")
        if rng and repo.fault == "flaky":
            mr = re.match(r"^bytes=(\d+)-(\d*)$", rng.strip())
            start = int(mr.group(1)) if mr else len(body)
            end = int(mr.group(2)) if mr and mr.group(2) else len(body) - 1
            if start >= len(body) or end < start:
                return self.reply(416, b"", ctype, {"Content-Range": f"bytes */{len(body)}"})
            end = min(end, len(body) - 1)
            hdrs["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
            return self.reply(206, body[start:end + 1], ctype, hdrs)
        if repo.fault == "flaky" and self.command == "GET":
            with self.server.lock:
                self.server.flaky_count += 1
                fail = self.server.flaky_count % 2 == 1
            if fail:
                return self.drop(body, hdrs, ctype)
        if repo.fault == "slow" and self.command == "GET":
            return self.slow(body, hdrs, ctype)
        return self.reply(200, body, ctype, hdrs)

    def start_body(self, body, hdrs, ctype, status):
        self.note(status)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()

    def drop(self, body, hdrs, ctype):
        self.start_body(body, hdrs, ctype, "200-dropped")
        self.wfile.write(body[:len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def slow(self, body, hdrs, ctype):
        self.start_body(body, hdrs, ctype, "200-slow")
        try:
            self.wfile.write(body[:4096])
            self.wfile.flush()
            time.sleep(self.server.slow)
            self.wfile.write(body[4096:])
        except OSError:
            self.close_connection = True


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5120)
    ap.add_argument("--layout", required=True)
    ap.add_argument("--tag", default="busybox")
    ap.add_argument("--slow", type=float, default=30)
    args = ap.parse_args()
    srv = ThreadingHTTPServer((args.addr, args.port), Handler)
    srv.daemon_threads = True
    srv.repos = load(args.layout, args.tag)
    srv.slow = args.slow
    srv.lock = threading.Lock()
    srv.requests = []
    srv.flaky_count = 0
    sys.stderr.write(f"badregistry: listening on {args.addr}:{args.port}, pid {os.getpid()}\n")
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
