"""Writes the `requests` fuzz target's seeds from the conformance suite's requests.

Runs a recording proxy in front of a ferrodyn server, runs the conformance suite
(`conformance/`) through it, and keeps up to PER_OPERATION distinct request bodies of each
operation (shortest first, at most MAX_BYTES each) as seeds: the operation's index in
OPERATIONS of tests/fuzz_body/mod.rs as the first byte, then the body. Table names become
the fuzz fixture's `tbl` (tables with a sort key) and `hsh` (without), so seeds reach past the
table lookup. Seeds named `manual-*` (operations the suite does not cover, such as
UpdateItem and the transactions) are written by hand and left alone.

    python3 crates/api/fuzz/record_seeds.py http://127.0.0.1:8000   # a running ferrodyn
"""
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import urllib.request

PER_OPERATION = 12
MAX_BYTES = 3000
ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(ROOT, "..", "..", ".."))


def operations():
    src = open(os.path.join(ROOT, "..", "tests", "fuzz_body", "mod.rs")).read()
    block = src.split("pub const OPERATIONS: &[&str] = &[", 1)[1].split("];", 1)[0]
    return re.findall(r'"([A-Za-z.]+)"', block)


def main(upstream):
    recorded = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target = self.headers.get("X-Amz-Target", "")
            recorded.append((target, body))
            req = urllib.request.Request(upstream, data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items()
                                                  if k.lower() not in ("host", "content-length")})
            try:
                resp = urllib.request.urlopen(req)
            except urllib.error.HTTPError as e:
                resp = e
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                if k.lower() not in ("content-length", "connection", "date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    os.path.join(REPO, "conformance")],
                   env=dict(os.environ, FERRODYN_ENDPOINT=endpoint,
                            CONFORMANCE_TARGET="ferrodyn"), check=False)
    server.shutdown()

    # Which test tables have a sort key, from their CreateTable requests.
    renames = {}
    for target, body in recorded:
        if target.endswith(".CreateTable"):
            try:
                req = json.loads(body)
                ranged = any(k.get("KeyType") == "RANGE" for k in req.get("KeySchema", []))
                renames[req["TableName"]] = "tbl" if ranged else "hsh"
            except (ValueError, KeyError, TypeError, AttributeError):
                pass
    ops = operations()
    seeds = {}
    for target, body in recorded:
        op = target.split(".", 1)[-1]
        if target.startswith("DynamoDBStreams_"):
            op = "Streams." + op
        if op not in ops or len(body) > MAX_BYTES:
            continue
        text = body.decode("utf-8", "replace")
        for name, short in renames.items():
            text = text.replace('"%s"' % name, '"%s"' % short)
        seeds.setdefault(op, set()).add(text)
    out = os.path.join(ROOT, "seeds")
    for f in os.listdir(out):
        if not f.startswith("manual-"):
            os.remove(os.path.join(out, f))
    count = 0
    for op, bodies in sorted(seeds.items()):
        for i, text in enumerate(sorted(bodies, key=lambda b: (len(b), b))[:PER_OPERATION]):
            with open(os.path.join(out, "%s-%02d" % (op, i)), "wb") as f:
                f.write(bytes([ops.index(op)]) + text.encode())
            count += 1
    print("%d seeds for %d operations in %s" % (count, len(seeds), out))


if __name__ == "__main__":
    main(sys.argv[1])
