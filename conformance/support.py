"""Shared helpers for the ferrodyn conformance suite (imported by conftest and tests)."""
import http.client
import json
import os
import re
import time
import urllib.parse
import uuid
import zlib

ENDPOINT = os.environ.get("FERRODYN_ENDPOINT", "http://localhost:8000")
TARGET = os.environ.get("CONFORMANCE_TARGET", "ferrodyn")
TABLE_ACTIVE_TIMEOUT = float(os.environ.get("CONFORMANCE_TABLE_TIMEOUT", "10"))

# DynamoDB Local (without -sharedDb) keeps one database per access key id + region, so the
# raw requests and the boto3 client must use the same access key id.
ACCESS_KEY_ID = "AKIDCONFORMANCE"
SECRET_KEY = "conformance-secret"
REGION = "us-east-1"
AUTH = ("AWS4-HMAC-SHA256 Credential=%s/20260101/%s/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=abc" % (ACCESS_KEY_ID, REGION))
JSON_CT = "application/x-amz-json-1.0"
API = "DynamoDB_20120810"


def endpoint_host():
    """The Host a client of ENDPOINT sends: its host, and its port unless the default one."""
    u = urllib.parse.urlsplit(ENDPOINT)
    host = u.netloc.rsplit("@", 1)[-1]
    default = ":443" if u.scheme == "https" else ":80"
    return host[:-len(default)] if host.endswith(default) else host


# Evidence strings used in aws_only reasons.
DYNALITE = "mhart/dynalite test suite (recorded against real DynamoDB)"
MOTO = "getmoto/moto moto/dynamodb (mirrors AWS messages)"
DOC_ERRORS = ("AWS Developer Guide 'Error handling with DynamoDB' "
              "(developerguide/Programming.Errors.html)")
ACK_QUIRKS = ("aws-controllers-k8s api-quirks catalogue for DynamoDB (answers recorded from the live "
              "service, 2026-10)")
SCYLLA_ALTERNATOR = "scylladb/scylladb test/alternator (run against real DynamoDB)"
DOC_CREATETABLE = "AWS API Reference CreateTable (docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html)"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def error_type(self):
        """`__type` after the '#'."""
        return self.json.get("__type", "").split("#")[-1]

    @property
    def error_message(self):
        """AWS uses 'message' for most errors, 'Message' for some (and DynamoDB Local always)."""
        j = self.json
        if "message" in j:
            return j["message"]
        return j.get("Message")

    def __repr__(self):
        return "<Response %s %r>" % (self.status, self.body[:500])


def _conn():
    u = urllib.parse.urlsplit(ENDPOINT)
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    return cls(u.hostname, u.port or (443 if u.scheme == "https" else 80), timeout=30)


def raw_request(method="POST", path="/", body=b"", headers=None):
    """Send one HTTP request with exactly the given headers (no defaults are added)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    c = _conn()
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if method != "GET" or body:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        if body:
            c.send(body)
        r = c.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def call(op, body, target=True, auth=True, content_type=JSON_CT, extra_headers=None):
    """POST a DynamoDB JSON request. op is the operation name (e.g. 'PutItem')."""
    h = {}
    if content_type is not None:
        h["Content-Type"] = content_type
    if target is True:
        h["X-Amz-Target"] = "%s.%s" % (API, op)
    elif target:
        h["X-Amz-Target"] = target
    if auth:
        h["Authorization"] = AUTH
    if extra_headers:
        h.update(extra_headers)
    return raw_request("POST", "/", body, h)


def assert_error(resp, status, type_, message=None):
    """Assert HTTP status, __type suffix and (optionally) the exact message (str) or a regex."""
    assert resp.status == status, resp
    assert resp.error_type == type_, resp
    if message is not None:
        if isinstance(message, re.Pattern):
            assert message.fullmatch(resp.error_message or ""), resp
        else:
            assert resp.error_message == message, resp


def unique_name(prefix="conf"):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:20])


def wait_active(name):
    deadline = time.monotonic() + TABLE_ACTIVE_TIMEOUT
    delay = 0.02
    while True:
        r = call("DescribeTable", {"TableName": name})
        if r.status == 200 and r.json["Table"]["TableStatus"] == "ACTIVE":
            return r.json["Table"]
        if time.monotonic() > deadline:
            raise AssertionError("table %s not ACTIVE after %ss: %r" % (name, TABLE_ACTIVE_TIMEOUT, r))
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def key_schema(hash_name="pk", hash_type="S", range_name=None, range_type=None):
    ks = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    ad = [{"AttributeName": hash_name, "AttributeType": hash_type}]
    if range_name:
        ks.append({"AttributeName": range_name, "KeyType": "RANGE"})
        ad.append({"AttributeName": range_name, "AttributeType": range_type})
    return ks, ad
