"""Compressed requests and answers, and CORS for browsers (issue 17, items 3 and 4).

Answers: DynamoDB gzips an answer for a client that sends `Accept-Encoding: gzip`, and its
`x-amz-crc32` is then the CRC32 of the gzipped bytes (the AWS SDK for Go v2 documents it,
package service/dynamodb/internal/customizations: "If the response body is content-encoding:
gzip, the checksum is of the gzipped response content").

Requests with `Content-Encoding: gzip` or `deflate`, and the CORS answers, are ferrodyn's
own behaviour (not checked against DynamoDB Local): they are skipped when
CONFORMANCE_TARGET=dynamodb-local.
"""
import gzip
import json
import time
import zlib

import pytest

import support
from support import JSON_CT, call, raw_request

GO_SDK_DOC = ("AWS SDK for Go v2, service/dynamodb/internal/customizations: X-Amz-Crc32 of a "
              "content-encoding: gzip answer is of the gzipped content")
ferrodyn_only = pytest.mark.skipif(
    support.TARGET == "dynamodb-local",
    reason="ferrodyn behaviour (issue 17), not checked against DynamoDB Local")

ORIGIN = "http://localhost:3000"
MAX_BODY_BYTES = 16 * 1024 * 1024


def put_big_item(table, size):
    r = call("PutItem", {"TableName": table,
                         "Item": {"pk": {"S": "big"}, "v": {"S": "wxyz" * (size // 4)}}})
    assert r.status == 200, r
    return {"TableName": table, "Key": {"pk": {"S": "big"}}, "ConsistentRead": True}


def check_wire_crc(r):
    assert int(r.headers["content-length"]) == len(r.body)
    assert int(r.headers["x-amz-crc32"]) == zlib.crc32(r.body), r.headers


# ---- requests ------------------------------------------------------------------------------

@ferrodyn_only
def test_gzip_request_bodies(hash_table):
    gz = {"Content-Encoding": "gzip"}
    item = {"pk": {"S": "g"}, "n": {"N": "7"}, "s": {"S": "é" * 100}}
    body = json.dumps({"TableName": hash_table, "Item": item}).encode()
    r = call("PutItem", gzip.compress(body), extra_headers=gz)
    assert r.status == 200, r
    key = {"TableName": hash_table, "Key": {"pk": {"S": "g"}}, "ConsistentRead": True}
    r = call("GetItem", gzip.compress(json.dumps(key).encode()), extra_headers=gz)
    assert r.status == 200, r
    assert r.json == {"Item": item}


@ferrodyn_only
@pytest.mark.parametrize("wrap", ["zlib", "raw"])
def test_deflate_request_bodies(hash_table, wrap):
    body = json.dumps({"TableName": hash_table, "Item": {"pk": {"S": wrap}}}).encode()
    if wrap == "zlib":
        data = zlib.compress(body)  # HTTP's deflate: the zlib format
    else:
        c = zlib.compressobj(wbits=-15)  # a raw deflate stream, as some clients send
        data = c.compress(body) + c.flush()
    r = call("PutItem", data, extra_headers={"Content-Encoding": "deflate"})
    assert r.status == 200, r
    r = call("GetItem", {"TableName": hash_table, "Key": {"pk": {"S": wrap}},
                         "ConsistentRead": True})
    assert r.json == {"Item": {"pk": {"S": wrap}}}


@ferrodyn_only
@pytest.mark.parametrize("case", ["plain", "truncated", "garbage"])
def test_bad_gzip_is_a_serialization_error(hash_table, case):
    body = json.dumps({"TableName": hash_table, "Item": {"pk": {"S": "bad"}}}).encode()
    data = {"plain": body, "truncated": gzip.compress(body)[:-6],
            "garbage": b"\x1f\x8b" + b"\x00" * 30}[case]
    r = call("PutItem", data, extra_headers={"Content-Encoding": "gzip"})
    assert r.status == 400, r
    assert r.headers["content-type"] == JSON_CT
    assert r.json["__type"] == "com.amazon.coral.service#SerializationException", r
    assert r.error_message.startswith("Request body could not be decoded"), r
    check_wire_crc(r)
    r = call("GetItem", {"TableName": hash_table, "Key": {"pk": {"S": "bad"}},
                         "ConsistentRead": True})
    assert r.json == {}


@ferrodyn_only
def test_unknown_content_encoding_is_refused():
    r = call("ListTables", b"{}", extra_headers={"Content-Encoding": "br"})
    assert r.status == 415, r
    assert r.error_type == "SerializationException"
    assert r.error_message == ("Unsupported Content-Encoding: br "
                               "(supported: gzip, deflate, identity)")


@ferrodyn_only
def test_zip_bomb_is_refused_quickly():
    bomb = gzip.compress(b"\0" * (100 * 1024 * 1024), 9)  # about 100 KB
    assert len(bomb) < 1024 * 1024
    started = time.monotonic()
    r = call("ListTables", bomb, extra_headers={"Content-Encoding": "gzip"})
    took = time.monotonic() - started
    assert r.status == 413, r
    assert r.error_type == "SerializationException"
    assert r.error_message == ("Request body is larger than 16777216 bytes once decoded "
                               "(Content-Encoding: gzip)")
    assert took < 5, took
    assert call("ListTables", {}).status == 200


@ferrodyn_only
def test_decoded_limit_is_the_request_limit():
    # `{}` padded with spaces to exactly 16 MiB is a valid ListTables request; one byte more is not.
    body = b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}"
    r = call("ListTables", gzip.compress(body, 1), extra_headers={"Content-Encoding": "gzip"})
    assert r.status == 200, r
    r = call("ListTables", gzip.compress(body + b" ", 1),
             extra_headers={"Content-Encoding": "gzip"})
    assert r.status == 413, r


# ---- answers -------------------------------------------------------------------------------

@pytest.mark.aws_only("gzip answers to Accept-Encoding: gzip; " + GO_SDK_DOC)
def test_gzip_answer_crc_is_over_the_compressed_bytes(hash_table):
    key = put_big_item(hash_table, 40000)
    plain = call("GetItem", key)
    assert plain.status == 200
    assert "content-encoding" not in plain.headers
    r = call("GetItem", key, extra_headers={"Accept-Encoding": "gzip"})
    assert r.status == 200, r
    assert r.headers.get("content-encoding") == "gzip", r.headers
    check_wire_crc(r)
    assert len(r.body) < len(plain.body) // 10
    decoded = gzip.decompress(r.body)
    assert json.loads(decoded) == plain.json
    assert zlib.crc32(decoded) != int(r.headers["x-amz-crc32"])


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br"])
def test_no_gzip_unless_asked(hash_table, accept):
    key = put_big_item(hash_table, 40000)
    extra = {"Accept-Encoding": accept} if accept else None
    r = call("GetItem", key, extra_headers=extra)
    assert r.status == 200, r
    assert "content-encoding" not in r.headers, r.headers
    check_wire_crc(r)
    assert r.json["Item"]["pk"] == {"S": "big"}


@ferrodyn_only
def test_small_answers_are_not_gzipped():
    r = call("ListTables", {"Limit": 1}, extra_headers={"Accept-Encoding": "gzip"})
    assert r.status == 200, r
    assert "content-encoding" not in r.headers
    check_wire_crc(r)


# ---- CORS ----------------------------------------------------------------------------------

@ferrodyn_only
@pytest.mark.parametrize("path", ["/", "/any/path"])
def test_options_preflight(path):
    asked = "authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent"
    r = raw_request("OPTIONS", path, b"", {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": asked,
    })
    assert r.status == 200, r
    assert r.headers.get("access-control-allow-origin") in ("*", ORIGIN), r.headers
    methods = [m.strip() for m in r.headers["access-control-allow-methods"].split(",")]
    assert "POST" in methods and "GET" in methods and "OPTIONS" in methods, methods
    assert r.headers.get("access-control-allow-headers") == asked
    assert r.headers.get("access-control-max-age") == "172800"
    assert r.body == b""


@ferrodyn_only
def test_browser_answers_allow_origin_and_expose_headers(missing_table):
    for r in (call("ListTables", {}, extra_headers={"Origin": ORIGIN}),
              call("DescribeTable", {"TableName": missing_table},
                   extra_headers={"Origin": ORIGIN})):
        assert r.headers.get("access-control-allow-origin") in ("*", ORIGIN), r.headers
        exposed = {h.strip().lower()
                   for h in r.headers["access-control-expose-headers"].split(",")}
        for h in ("x-amzn-requestid", "x-amz-crc32", "x-amzn-errortype", "date"):
            assert h in exposed, exposed
        assert "date" in r.headers and "x-amzn-requestid" in r.headers
    r = call("ListTables", {})
    assert "access-control-allow-origin" not in r.headers


@ferrodyn_only
def test_gzipped_browser_answer_does_not_expose_the_wire_crc(hash_table):
    # The page sees the decompressed body; a CRC of the gzipped bytes would fail the JS SDK's check.
    key = put_big_item(hash_table, 40000)
    r = call("GetItem", key, extra_headers={"Origin": ORIGIN,
                                            "Accept-Encoding": "gzip, deflate, br"})
    assert r.headers.get("content-encoding") == "gzip"
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert "x-amzn-requestid" in exposed and "x-amz-crc32" not in exposed, exposed
