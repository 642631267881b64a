"""UpdateTimeToLive / DescribeTimeToLive: shapes and validation.

Evidence for the messages DynamoDB Local does not reproduce: the AWS API reference
(UpdateTimeToLive: "Any additional UpdateTimeToLive calls for the same table during this one
hour duration result in a ValidationException"), and the texts AWS clients match on:
hashicorp/terraform-provider-aws matches "TimeToLive is already disabled" and documents
"ValidationException: Time to live has been modified multiple times within a fixed interval"
in its table tests; "TimeToLive is already enabled" and "TimeToLive is active on a different
AttributeName: current AttributeName is <name>" are matched by many public AWS clients.

DynamoDB Local words the member-constraint errors its own way ("AttributeName cannot be null
when time to live is being enabled"), drops the ": current AttributeName is <name>" suffix,
answers a wrongly typed Enabled with HTTP 500, and has no cooldown; those cases are aws_only.
The AWS texts of the member constraints are the service framework's usual ones, as recorded
for timeToLiveSpecification.attributeName and .enabled.
"""
import re

import pytest

from support import assert_error, call

VALIDATION_PREFIX = "1 validation error detected: "
TTL_DOC = "AWS API Reference UpdateTimeToLive and recorded AWS answers (see module docstring)"


def spec(enabled, attr):
    return {"Enabled": enabled, "AttributeName": attr}


def update(table, ttl_spec):
    return call("UpdateTimeToLive", {"TableName": table, "TimeToLiveSpecification": ttl_spec})


def test_describe_fresh_table_is_disabled_without_attribute(hash_table):
    r = call("DescribeTimeToLive", {"TableName": hash_table})
    assert r.status == 200, r
    assert r.json == {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}


def test_update_echoes_the_specification_and_describe_shows_enabled(hash_table):
    r = update(hash_table, spec(True, "expires"))
    assert r.status == 200, r
    assert r.json == {"TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True}}
    r = call("DescribeTimeToLive", {"TableName": hash_table})
    assert r.status == 200, r
    assert r.json == {"TimeToLiveDescription": {"AttributeName": "expires",
                                                "TimeToLiveStatus": "ENABLED"}}


def test_boto3_round_trip(ddb, hash_table):
    out = ddb.update_time_to_live(TableName=hash_table,
                                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "ttl"}
    desc = ddb.describe_time_to_live(TableName=hash_table)["TimeToLiveDescription"]
    assert desc == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}


@pytest.mark.parametrize("op,body", [
    ("DescribeTimeToLive", {}),
    ("UpdateTimeToLive", {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": "x"}}),
])
def test_missing_table_name(op, body):
    assert_error(call(op, body), 400, "ValidationException")


@pytest.mark.aws_only("DynamoDB Local words it 'TimeToLiveSpecification cannot be null'")
def test_missing_specification(hash_table):
    r = call("UpdateTimeToLive", {"TableName": hash_table})
    assert_error(r, 400, "ValidationException",
                 VALIDATION_PREFIX + "Value null at 'timeToLiveSpecification' failed to satisfy "
                 "constraint: Member must not be null")


@pytest.mark.aws_only("DynamoDB Local words it 'AttributeName cannot be null when time to live is "
                      "being enabled'")
def test_missing_attribute_name(hash_table):
    assert_error(update(hash_table, {"Enabled": True}), 400, "ValidationException",
                 VALIDATION_PREFIX + "Value null at 'timeToLiveSpecification.attributeName' "
                 "failed to satisfy constraint: Member must not be null")


@pytest.mark.aws_only("DynamoDB Local words it 'AttributeName cannot be null when time to live is "
                      "being enabled'")
def test_missing_enabled(hash_table):
    assert_error(update(hash_table, {"AttributeName": "x"}), 400, "ValidationException",
                 VALIDATION_PREFIX + "Value null at 'timeToLiveSpecification.enabled' failed "
                 "to satisfy constraint: Member must not be null")


@pytest.mark.aws_only("DynamoDB Local words it 'Names of key attributes and attributes projected "
                      "into an index must be between 1 and 255 characters, inclusive'")
def test_attribute_name_too_long(hash_table):
    name = "a" * 256
    assert_error(update(hash_table, spec(True, name)), 400, "ValidationException",
                 VALIDATION_PREFIX + "Value '%s' at 'timeToLiveSpecification.attributeName' "
                 "failed to satisfy constraint: Member must have length less than or equal to 255"
                 % name)


@pytest.mark.aws_only("DynamoDB Local answers HTTP 500 InternalFailure")
def test_enabled_of_wrong_type(hash_table):
    assert_error(update(hash_table, {"Enabled": "yes", "AttributeName": "x"}), 400,
                 "SerializationException")


@pytest.mark.parametrize("op,body", [
    ("DescribeTimeToLive", {}),
    ("UpdateTimeToLive", {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": "x"}}),
])
def test_missing_table(op, body, missing_table):
    body = dict(body, TableName=missing_table)
    assert_error(call(op, body), 400, "ResourceNotFoundException")


def test_disable_when_disabled(hash_table):
    assert_error(update(hash_table, spec(False, "x")), 400, "ValidationException",
                 "TimeToLive is already disabled")


def test_enable_twice(hash_table):
    assert update(hash_table, spec(True, "exp")).status == 200
    assert_error(update(hash_table, spec(True, "exp")), 400, "ValidationException",
                 "TimeToLive is already enabled")


@pytest.mark.parametrize("enabled", [True, False])
def test_other_attribute_while_enabled_is_refused(hash_table, enabled):
    assert update(hash_table, spec(True, "exp")).status == 200
    assert_error(update(hash_table, spec(enabled, "other")), 400, "ValidationException",
                 re.compile(r"TimeToLive is active on a different AttributeName.*"))


@pytest.mark.aws_only("DynamoDB Local leaves out the current attribute; " + TTL_DOC)
@pytest.mark.parametrize("enabled", [True, False])
def test_other_attribute_while_enabled_names_the_current_one(hash_table, enabled):
    assert update(hash_table, spec(True, "exp")).status == 200
    assert_error(update(hash_table, spec(enabled, "other")), 400, "ValidationException",
                 "TimeToLive is active on a different AttributeName: current AttributeName is exp")


@pytest.mark.aws_only("DynamoDB Local has no one-change-per-hour rule; " + TTL_DOC)
def test_second_change_within_the_hour(hash_table):
    assert update(hash_table, spec(True, "exp")).status == 200
    assert_error(update(hash_table, spec(False, "exp")), 400, "ValidationException",
                 "Time to live has been modified multiple times within a fixed interval")
    r = call("DescribeTimeToLive", {"TableName": hash_table})
    assert r.json["TimeToLiveDescription"] == {"AttributeName": "exp",
                                               "TimeToLiveStatus": "ENABLED"}
