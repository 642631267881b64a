"""PutResourcePolicy / GetResourcePolicy / DeleteResourcePolicy and CreateTable's ResourcePolicy,
for tables and their streams.

Expected answers are DynamoDB's as recorded from the live service: getmoto/moto
tests/test_dynamodb/test_dynamodb_resource_policy.py (marked aws_verified: the PolicyNotFoundException
texts for a stale ExpectedRevisionId and for NO_POLICY over an existing policy, "Resource-based policy
not found for the provided ResourceArn: <arn>", equal documents keeping their RevisionId) and the
aws-controllers-k8s api-quirks catalogue (findings DDB-TABLE-205..214, 351..356: ResourceArn checks,
document checks, RevisionId as epoch milliseconds, the canonical form GetResourcePolicy shows). That
a stream's policy outlives the stream's table is the Developer Guide's ("Attach a resource-based
policy to a DynamoDB stream"). DynamoDB's asynchronous application (Get lagging a Put by ~2 s) and
its 15-second cooldown between changes are not reproduced by ferrodyn, so no test relies on either
being absent or present beyond reading a change back.

These were not run against DynamoDB Local, hence aws_only.
"""
import json
import time

import pytest

import support
from support import ACK_QUIRKS, MOTO, assert_error, call, key_schema, unique_name, wait_active

EVIDENCE = "%s; %s" % (MOTO, ACK_QUIRKS)
aws_only = pytest.mark.aws_only(EVIDENCE)

NOT_FOUND = "Resource-based policy not found for the provided ResourceArn"
INVALID = "One or more parameter values were invalid"


def arn_of(table):
    r = call("DescribeTable", {"TableName": table})
    assert r.status == 200, r
    return r.json["Table"]["TableArn"]


def root_of(arn):
    """The root principal of the account owning `arn` (IAM refuses principals of accounts
    that do not exist)."""
    return "arn:aws:iam::%s:root" % arn.split(":")[4]


def policy(resource, action="dynamodb:GetItem"):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Grant",
            "Effect": "Allow",
            "Principal": {"AWS": root_of(resource)},
            "Action": action,
            "Resource": resource,
        }],
    })


def wait_revision(ddb, arn, revision):
    """GetResourcePolicy until it shows `revision` (DynamoDB applies a Put asynchronously)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            out = ddb.get_resource_policy(ResourceArn=arn)
            if out["RevisionId"] == revision:
                return out
        except ddb.exceptions.PolicyNotFoundException:
            pass
        assert time.monotonic() < deadline, "revision %s never shown" % revision
        time.sleep(0.5)


@aws_only
def test_put_get_delete(ddb, hash_table):
    arn = arn_of(hash_table)
    r = call("GetResourcePolicy", {"ResourceArn": arn})
    assert_error(r, 400, "PolicyNotFoundException", "%s: %s" % (NOT_FOUND, arn))
    assert r.json["__type"] == "com.amazonaws.dynamodb.v20120810#PolicyNotFoundException"

    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    assert revision.isdigit() and len(revision) == 13, revision
    out = wait_revision(ddb, arn, revision)
    assert json.loads(out["Policy"]) == json.loads(policy(arn))

    removed = ddb.delete_resource_policy(ResourceArn=arn)
    assert removed["RevisionId"] == revision


@aws_only
def test_delete_without_a_policy_answers_nothing(hash_table):
    r = call("DeleteResourcePolicy", {"ResourceArn": arn_of(hash_table)})
    assert r.status == 200, r
    assert r.json == {}


@aws_only
def test_an_equal_document_keeps_its_revision(ddb, hash_table):
    arn = arn_of(hash_table)
    first = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    again = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    assert again == first
    # Whitespace, key order and a one-element list are not a change either.
    variant = json.dumps({"Statement": [{"Resource": [arn], "Action": ["dynamodb:GetItem"],
                                         "Principal": {"AWS": root_of(arn)},
                                         "Effect": "Allow", "Sid": "Grant"}],
                          "Version": "2012-10-17"}, indent=4)
    assert ddb.put_resource_policy(ResourceArn=arn, Policy=variant)["RevisionId"] == first
    out = wait_revision(ddb, arn, first)
    assert out["Policy"] == (
        '{"Version":"2012-10-17","Statement":[{"Sid":"Grant","Effect":"Allow",'
        '"Principal":{"AWS":"%s"},"Action":"dynamodb:GetItem",'
        '"Resource":"%s"}]}' % (root_of(arn), arn))


@aws_only
def test_expected_revision_ids(ddb, hash_table):
    arn = arn_of(hash_table)
    for op, body in [("PutResourcePolicy", {"Policy": policy(arn)}), ("DeleteResourcePolicy", {})]:
        body.update({"ResourceArn": arn, "ExpectedRevisionId": "123456789"})
        r = call(op, body)
        assert_error(r, 400, "PolicyNotFoundException",
                     "%s: Requested update for policy with revision id 123456789, but table %s "
                     "has no associated policy." % (NOT_FOUND, hash_table))

    first = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn),
                                    ExpectedRevisionId="NO_POLICY")["RevisionId"]
    wait_revision(ddb, arn, first)
    r = call("PutResourcePolicy", {"ResourceArn": arn, "Policy": policy(arn, "dynamodb:Query"),
                                   "ExpectedRevisionId": "NO_POLICY"})
    assert_error(r, 400, "PolicyNotFoundException",
                 "%s: Requested policy update expecting none to be present for table %s, but a "
                 "policy exists with revision id %s." % (NOT_FOUND, hash_table, first))

    r = call("DeleteResourcePolicy", {"ResourceArn": arn, "ExpectedRevisionId": "unknown"})
    assert_error(r, 400, "PolicyNotFoundException",
                 "%s: Requested update for policy with revision id unknown, but the policy "
                 "associated to target table %s has revision id %s." % (NOT_FOUND, hash_table, first))

    removed = ddb.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=first)
    assert removed["RevisionId"] == first


@aws_only
def test_create_table_resource_policy(ddb, make_table):
    table = make_table("S", ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteTable",
                       "Resource": "*"}],
    }))
    arn = arn_of(table)
    out = ddb.get_resource_policy(ResourceArn=arn)
    assert out["RevisionId"].isdigit()
    assert json.loads(out["Policy"])["Statement"][0]["Action"] == "dynamodb:DeleteTable"


@aws_only
def test_a_deleted_tables_arn_is_not_found(ddb, cleanup_tables):
    name = unique_name()
    ks, ad = key_schema()
    r = call("CreateTable", {"TableName": name, "KeySchema": ks, "AttributeDefinitions": ad,
                             "BillingMode": "PAY_PER_REQUEST"})
    assert r.status == 200, r
    cleanup_tables.append(name)
    wait_active(name)
    arn = arn_of(name)
    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    wait_revision(ddb, arn, revision)
    if support.TARGET != "ferrodyn":
        time.sleep(3)  # DynamoDB refuses DeleteTable while a policy change is pending
    ddb.delete_table(TableName=name)
    ddb.get_waiter("table_not_exists").wait(TableName=name,
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    for op, body in [("GetResourcePolicy", {}), ("PutResourcePolicy", {"Policy": policy(arn)}),
                     ("DeleteResourcePolicy", {})]:
        body["ResourceArn"] = arn
        r = call(op, body)
        assert_error(r, 400, "ResourceNotFoundException",
                     "Requested resource not found: Table: %s not found" % name)


@aws_only
def test_a_streams_policy_is_its_own(ddb, make_table):
    table = make_table("S", StreamSpecification={"StreamEnabled": True,
                                                  "StreamViewType": "KEYS_ONLY"})
    described = call("DescribeTable", {"TableName": table}).json["Table"]
    table_arn, stream_arn = described["TableArn"], described["LatestStreamArn"]
    revision = ddb.put_resource_policy(
        ResourceArn=stream_arn, Policy=policy(stream_arn, "dynamodb:GetRecords"))["RevisionId"]
    wait_revision(ddb, stream_arn, revision)
    r = call("GetResourcePolicy", {"ResourceArn": table_arn})
    assert_error(r, 400, "PolicyNotFoundException", "%s: %s" % (NOT_FOUND, table_arn))
    bogus = table_arn + "/stream/2000-01-01T00:00:00.000"
    r = call("GetResourcePolicy", {"ResourceArn": bogus})
    assert_error(r, 400, "ResourceNotFoundException",
                 "Requested resource not found: Stream: 2000-01-01T00:00:00.000 not found for "
                 "Table: %s" % table)


@aws_only
def test_resource_arn_checks(hash_table):
    arn = arn_of(hash_table)
    account = arn.split(":")[4]
    other_account = "111122223333" if account != "111122223333" else "222233334444"
    cases = [
        (hash_table, "ValidationException",
         "%s: ARNs must start with 'arn:': %s" % (INVALID, hash_table)),
        (arn + "/index/by_x", "ValidationException",
         "%s: Invalid resource arn provided, only table or stream is accepted. Provided resource "
         "arn: %s/index/by_x" % (INVALID, arn)),
        (arn + "/backup/01700000000000-abcdefgh", "ValidationException",
         "%s: Provided Arn is not a DynamoDB resource arn: %s/backup/01700000000000-abcdefgh"
         % (INVALID, arn)),
        (arn.replace("arn:aws:", "arn:aws-cn:"), "ValidationException",
         "%s: Invalid resource Arn: %s" % (INVALID, arn.replace("arn:aws:", "arn:aws-cn:"))),
        (arn.replace(account, other_account), "ValidationException",
         "This action is only supported by accounts that match the resource owner\u2019s account."),
        (arn + "-missing", "ResourceNotFoundException",
         "Requested resource not found: Table: %s-missing not found" % hash_table),
    ]
    for resource, type_, message in cases:
        for op, body in [("GetResourcePolicy", {}),
                         ("PutResourcePolicy", {"Policy": policy(arn)}),
                         ("DeleteResourcePolicy", {})]:
            body["ResourceArn"] = resource
            assert_error(call(op, body), 400, type_, message)


@aws_only
@pytest.mark.parametrize("document,message", [
    (" " * 20480 + "{}", INVALID + ": Maximum policy size of 20480 bytes exceeded"),
    ("", INVALID + ": Invalid policy document: This policy contains invalid Json"),
    ("{not json", INVALID + ": Invalid policy document: This policy contains invalid Json"),
    (json.dumps({"Version": "2012-10-17", "Statement": []}),
     INVALID + ": Invalid policy document: Could not parse the policy: Statement is empty!"),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetItem"}]}),
     INVALID + ": Invalid policy document: Missing required field Resource"),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetItem",
         "Resource": "*"},
        {"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:Query",
         "Resource": "*"}]}),
     INVALID + ": Invalid policy document: The Statement Ids in the policy are not unique"),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:*", "Resource": "*"}]}),
     "Resource-based policy grants unbounded access in one or more elements. Please revise the "
     "policy to ensure least-privilege form of access"),
])
def test_policy_document_checks(hash_table, document, message):
    r = call("PutResourcePolicy", {"ResourceArn": arn_of(hash_table), "Policy": document})
    assert_error(r, 400, "ValidationException", message)


@aws_only
def test_member_constraints():
    r = call("PutResourcePolicy", {"ResourceArn": ""})
    assert_error(r, 400, "ValidationException",
                 "2 validation errors detected: Value '' at 'resourceArn' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1; Value null at "
                 "'policy' failed to satisfy constraint: Member must not be null")
