"""Wire protocol: envelope headers, routing, body parsing, auth, JSON type errors."""
import base64
import zlib

import pytest

from support import (API, AUTH, DYNALITE, DOC_ERRORS, JSON_CT, MOTO, assert_error, call,
                     endpoint_host, raw_request)

INTERNAL_500 = ("DynamoDB Local answers 500 InternalFailure here; AWS answers 400 "
                "(evidence: %s, index.js/test/connection.js)" % DYNALITE)


def check_envelope(r, crc=True):
    assert r.headers.get("content-type") == JSON_CT, r.headers
    assert r.headers.get("x-amzn-requestid"), r.headers
    assert int(r.headers["content-length"]) == len(r.body)
    if crc:
        assert "x-amz-crc32" in r.headers, r.headers
        assert int(r.headers["x-amz-crc32"]) == zlib.crc32(r.body)


def test_success_envelope_headers():
    r = call("ListTables", {})
    assert r.status == 200, r
    check_envelope(r)
    assert isinstance(r.json["TableNames"], list)


def test_error_envelope_headers(missing_table):
    r = call("DescribeTable", {"TableName": missing_table})
    assert r.status == 400
    check_envelope(r, crc=False)
    assert "__type" in r.json


@pytest.mark.aws_only("DynamoDB Local omits x-amz-crc32 on error responses; AWS sends it on every "
                      "response. Evidence: " + DYNALITE + " test/connection.js (asserts x-amz-crc32 "
                      "on 400 answers); the AWS SDKs verify it whenever present")
def test_error_response_has_crc32(missing_table):
    r = call("DescribeTable", {"TableName": missing_table})
    assert r.status == 400
    check_envelope(r, crc=True)


def test_request_ids_are_unique():
    a = call("ListTables", {}).headers["x-amzn-requestid"]
    b = call("ListTables", {}).headers["x-amzn-requestid"]
    assert a != b


def test_crc32_matches_larger_body(hash_table):
    big = "x" * 50000
    assert call("PutItem", {"TableName": hash_table,
                            "Item": {"pk": {"S": "k"}, "v": {"S": big}}}).status == 200
    r = call("GetItem", {"TableName": hash_table, "Key": {"pk": {"S": "k"}}})
    assert r.status == 200
    check_envelope(r)


def test_unknown_operation():
    r = call(None, {}, target=API + ".FooBar")
    assert_error(r, 400, "UnknownOperationException")


@pytest.mark.aws_only("unknown target prefix: AWS says UnknownOperationException (no message); "
                      "DynamoDB Local says InvalidAction. Evidence: " + DYNALITE)
def test_unknown_target_prefix():
    r = call(None, {}, target="Foo.ListTables")
    assert_error(r, 400, "UnknownOperationException")


@pytest.mark.aws_only("missing X-Amz-Target: " + INTERNAL_500)
def test_missing_target():
    r = call(None, {}, target=None)
    assert_error(r, 400, "UnknownOperationException")


@pytest.mark.aws_only("empty body: " + INTERNAL_500)
def test_empty_body():
    r = call("ListTables", b"")
    assert_error(r, 400, "SerializationException")


@pytest.mark.aws_only("malformed JSON: " + INTERNAL_500)
def test_malformed_json():
    r = call("ListTables", b"{")
    assert_error(r, 400, "SerializationException")


@pytest.mark.aws_only("JSON array body: " + INTERNAL_500)
def test_json_array_body():
    r = call("ListTables", b"[]")
    assert r.status == 400, r


def test_missing_authorization_is_400():
    r = call("ListTables", {}, auth=False)
    assert r.status == 400, r


@pytest.mark.aws_only("missing Authorization: AWS returns MissingAuthenticationTokenException "
                      "'Request is missing Authentication Token'; DynamoDB Local returns "
                      "MissingAuthenticationToken with another text. Evidence: " + DYNALITE)
def test_missing_authorization_type_and_message():
    r = call("ListTables", {}, auth=False)
    assert_error(r, 400, "MissingAuthenticationTokenException",
                 "Request is missing Authentication Token")


def test_content_type_application_json_accepted():
    r = call("ListTables", {}, content_type="application/json")
    assert r.status == 200, r


@pytest.mark.aws_only("body with a non-JSON content type: AWS answers 404 "
                      "'<UnknownOperationException/>'; DynamoDB Local ignores the content type. "
                      "Evidence: " + DYNALITE)
def test_wrong_content_type_is_404():
    r = call("ListTables", {}, content_type="text/plain")
    assert r.status == 404, r


@pytest.mark.aws_only("GET / is the health check on AWS (200 'healthy: dynamodb.<region>.amazonaws.com ', "
                      "the endpoint the client called); DynamoDB Local answers an error. "
                      "Evidence: " + DYNALITE)
def test_get_root_health():
    r = raw_request("GET", "/", b"", {})
    assert r.status == 200, r
    assert r.body == ("healthy: %s " % endpoint_host()).encode(), r


def test_unknown_top_level_field_is_ignored():
    r = call("ListTables", {"Foo": 1, "Limit": 1})
    assert r.status == 200, r
    assert len(r.json["TableNames"]) <= 1


def test_unknown_top_level_field_ignored_on_describe(missing_table):
    r = call("DescribeTable", {"TableName": missing_table, "Foo": {"x": 1}})
    assert_error(r, 400, "ResourceNotFoundException")


# ---- wrong JSON types: AWS rejects at deserialization with SerializationException ----
SER_REASON = ("wrong JSON type: AWS answers 400 SerializationException; DynamoDB Local coerces "
              "the value or answers 500. Evidence: %s test/helpers.js assertType, %s "
              "InvalidConversion" % (DYNALITE, MOTO))


@pytest.mark.aws_only(SER_REASON)
def test_table_name_number_is_serialization_error():
    r = call("DescribeTable", {"TableName": 5})
    assert_error(r, 400, "SerializationException", "NUMBER_VALUE cannot be converted to String")


@pytest.mark.aws_only(SER_REASON)
def test_limit_string_is_serialization_error():
    r = call("ListTables", {"Limit": "x"})
    assert_error(r, 400, "SerializationException", "STRING_VALUE cannot be converted to Integer")


@pytest.mark.aws_only(SER_REASON)
@pytest.mark.parametrize("value,message", [
    ({"S": 5}, "NUMBER_VALUE cannot be converted to String"),
    ({"N": 5}, "NUMBER_VALUE cannot be converted to String"),
    ({"BOOL": 1}, "NUMBER_VALUE cannot be converted to Boolean"),
    ({"BOOL": "x"}, None),
    ({"NULL": "x"}, None),
    ({"L": 5}, None),
    ({"M": 5}, None),
    ({"B": "not-base64!"}, None),
    ({"B": "abcde"}, None),
    ("abc", None),
], ids=["S_number", "N_number", "BOOL_number", "BOOL_string", "NULL_string", "L_number",
        "M_number", "B_not_base64", "B_bad_length", "value_not_object"])
def test_attribute_value_wrong_json_type(hash_table, value, message):
    r = call("PutItem", {"TableName": hash_table, "Item": {"pk": {"S": "k"}, "a": value}})
    assert_error(r, 400, "SerializationException", message)


@pytest.mark.aws_only(SER_REASON)
def test_consistent_read_string_is_serialization_error(hash_table):
    r = call("GetItem", {"TableName": hash_table, "Key": {"pk": {"S": "k"}}, "ConsistentRead": "x"})
    assert_error(r, 400, "SerializationException")


def test_attribute_value_two_types(hash_table):
    r = call("PutItem", {"TableName": hash_table,
                         "Item": {"pk": {"S": "k"}, "a": {"S": "a", "N": "1"}}})
    assert_error(r, 400, "ValidationException",
                 "Supplied AttributeValue has more than one datatypes set, must contain exactly "
                 "one of the supported datatypes")


@pytest.mark.parametrize("value", [{}, {"X": "a"}], ids=["empty", "unknown_type"])
def test_attribute_value_empty(hash_table, value):
    r = call("PutItem", {"TableName": hash_table, "Item": {"pk": {"S": "k"}, "a": value}})
    assert_error(r, 400, "ValidationException",
                 "Supplied AttributeValue is empty, must contain exactly one of the supported "
                 "datatypes")


@pytest.mark.aws_only("error body key: AWS uses lower-case 'message' for ValidationException/"
                      "ResourceNotFoundException; DynamoDB Local uses 'Message'. Evidence: "
                      + DOC_ERRORS + " wire example, and " + DYNALITE)
def test_error_body_uses_lowercase_message(missing_table):
    r = call("DescribeTable", {"TableName": missing_table})
    assert r.status == 400
    assert "message" in r.json and "Message" not in r.json, r
