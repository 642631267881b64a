"""Multi-attribute GSI keys through boto3: a GSI of one HASH and four RANGE attributes and one
of two HASH and two RANGE attributes of mixed types; the order of Query answers, sparse
items, paging, and the errors of queries and key schemas that break the rules.

Orders and messages: paritysuite/dynamodb-conformance tests/tier1/query/
multiAttributeGsiKey.test.ts (verified against real AWS, October 2026); DynamoDB Local 3.3.0
(which added multi-attribute keys) answers the same."""
import pytest
from botocore.exceptions import ClientError

import support

ROWS = [
    ("p1", "T", "live", "b", "r1"),
    ("p2", "T", "live", "a", "r2"),
    ("p3", "T", "live", "a", "r1"),
    ("p4", "T", "draft", "c", "r1"),
    ("p5", "F", "live", "a", "r0"),
    ("p6", "T", "live", None, "r1"),  # no c: not in the index
]
VALUES = {":h": "o1", ":a": "T", ":b": "live", ":c": "a", ":d": "r", ":x": "r1", ":y": "r1"}


@pytest.fixture
def tournament(ddb, make_table):
    table = make_table(
        "S",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ["pk", "h", "a", "b", "c", "d"]],
        GlobalSecondaryIndexes=[{
            "IndexName": "gsi",
            "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}]
            + [{"AttributeName": n, "KeyType": "RANGE"} for n in ["a", "b", "c", "d"]],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )
    for pk, a, b, c, d in ROWS:
        item = {"pk": {"S": pk}, "h": {"S": "o1"}, "a": {"S": a}, "b": {"S": b}, "d": {"S": d}}
        if c is not None:
            item["c"] = {"S": c}
        ddb.put_item(TableName=table, Item=item)
    return table


def _query(ddb, table, condition, **extra):
    values = {k: {"S": v} for k, v in VALUES.items() if k in condition}
    r = ddb.query(TableName=table, IndexName="gsi", KeyConditionExpression=condition,
                  ExpressionAttributeValues=values, **extra)
    return [i["pk"]["S"] for i in r["Items"]], r.get("LastEvaluatedKey")


@pytest.mark.parametrize("condition,extra,want", [
    ("h = :h", {}, ["p5", "p4", "p3", "p2", "p1"]),
    ("h = :h AND a = :a", {}, ["p4", "p3", "p2", "p1"]),
    ("h = :h AND a = :a", {"ScanIndexForward": False}, ["p1", "p2", "p3", "p4"]),
    ("h = :h AND a = :a AND b = :b", {}, ["p3", "p2", "p1"]),
    ("h = :h AND a = :a AND b = :b AND c = :c", {}, ["p3", "p2"]),
    ("h = :h AND a = :a AND b = :b AND c > :c", {}, ["p1"]),
    ("h = :h AND a = :a AND b = :b AND c = :c AND begins_with(d, :d)", {}, ["p3", "p2"]),
    ("h = :h AND a = :a AND b = :b AND c = :c AND d BETWEEN :x AND :y", {}, ["p3"]),
    ("h = :h AND a = :a AND b < :b", {}, ["p4"]),
    ("b = :b AND h = :h AND a = :a", {}, ["p3", "p2", "p1"]),
], ids=["hash_only", "first_range", "backwards", "two_range", "three_range", "range_gt",
        "begins_with_fourth", "between_fourth", "range_lt_second", "any_clause_order"])
def test_query_order_and_selection(ddb, tournament, condition, extra, want):
    assert _query(ddb, tournament, condition, **extra)[0] == want


def test_pages_carry_every_index_key_attribute(ddb, tournament):
    pks, last = _query(ddb, tournament, "h = :h AND a = :a", Limit=2)
    assert pks == ["p4", "p3"]
    assert sorted(last) == ["a", "b", "c", "d", "h", "pk"]
    rest, last = _query(ddb, tournament, "h = :h AND a = :a", ExclusiveStartKey=last)
    assert rest == ["p2", "p1"] and last is None


@pytest.mark.parametrize("condition,message", [
    ("h = :h AND a = :a AND c = :c",
     "RANGE key attributes b must have equality conditions specified in the query because a "
     "condition is present on key attribute c"),
    ("h = :h AND a = :a AND b > :b AND c = :c",
     "RANGE key attributes b must have equality conditions specified in the query because a "
     "condition is present on key attribute c"),
    ("h = :h AND b = :b",
     "RANGE key attributes a must have equality conditions specified in the query because a "
     "condition is present on key attribute b"),
], ids=["gap", "range_condition_before_last", "first_range_skipped"])
def test_queries_breaking_the_rules(ddb, tournament, condition, message):
    with pytest.raises(ClientError) as e:
        _query(ddb, tournament, condition)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == message


@pytest.fixture
def two_by_two(ddb, make_table):
    return make_table(
        "S",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "t", "AttributeType": "S"},
                              {"AttributeName": "r", "AttributeType": "N"},
                              {"AttributeName": "round", "AttributeType": "S"},
                              {"AttributeName": "num", "AttributeType": "B"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "gsi",
            "KeySchema": [{"AttributeName": "t", "KeyType": "HASH"},
                          {"AttributeName": "r", "KeyType": "HASH"},
                          {"AttributeName": "round", "KeyType": "RANGE"},
                          {"AttributeName": "num", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
    )


def test_every_hash_attribute_needs_an_equality(ddb, two_by_two):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=two_by_two, IndexName="gsi", KeyConditionExpression="#r = :r",
                  ExpressionAttributeNames={"#r": "round"},
                  ExpressionAttributeValues={":r": {"S": "x"}})
    assert e.value.response["Error"]["Message"] == (
        "HASH key attributes t, r must have equality conditions specified in the query")


def test_mixed_types_sort_and_sparse_items(ddb, two_by_two):
    rows = [("a", 1, "final", b"\x02"), ("b", 1, "final", b"\x01\xff"), ("c", 1, "semi", b"\x00"),
            ("d", 2, "final", b"\x00"), ("e", 1, None, b"\x00")]
    for pk, r, rnd, num in rows:
        item = {"pk": {"S": pk}, "t": {"S": "W"}, "r": {"N": str(r)}, "num": {"B": num}}
        if rnd:
            item["round"] = {"S": rnd}
        ddb.put_item(TableName=two_by_two, Item=item)
    r = ddb.query(TableName=two_by_two, IndexName="gsi", KeyConditionExpression="t = :t AND r = :r",
                  ExpressionAttributeValues={":t": {"S": "W"}, ":r": {"N": "1"}})
    assert [i["pk"]["S"] for i in r["Items"]] == ["b", "a", "c"]
    assert sorted(r["Items"][0]) == ["num", "pk", "r", "round", "t"]
    d = ddb.describe_table(TableName=two_by_two)["Table"]["GlobalSecondaryIndexes"][0]
    assert [(k["AttributeName"], k["KeyType"]) for k in d["KeySchema"]] == [
        ("t", "HASH"), ("r", "HASH"), ("round", "RANGE"), ("num", "RANGE")]


@pytest.mark.parametrize("key_schema,message", [
    ([("a", "HASH"), ("b", "HASH"), ("c", "HASH"), ("d", "HASH"), ("e", "HASH")],
     "Too many partition keys. GSI can have at most 4 partition keys"),
    ([("a", "HASH"), ("b", "RANGE"), ("c", "RANGE"), ("d", "RANGE"), ("e", "RANGE"), ("f", "RANGE")],
     "Too many sort keys. GSI can have at most 4 sort keys"),
    ([("a", "HASH"), ("c", "RANGE"), ("b", "HASH")],
     "Invalid key order. Hash Key must be specified first in key schema, Range Key must be "
     "specifed second"),
    ([("a", "HASH"), ("b", "HASH"), ("a", "RANGE")], "Two keys can not have the same name"),
], ids=["five_hash", "five_range", "range_before_hash", "same_name_twice"])
def test_key_schema_rules(key_schema, message):
    names = sorted({n for n, _ in key_schema})
    r = support.call("CreateTable", {
        "TableName": support.unique_name("multi"),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]
        + [{"AttributeName": n, "AttributeType": "S"} for n in names],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": "gsi",
            "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in key_schema],
            "Projection": {"ProjectionType": "ALL"},
        }],
    })
    support.assert_error(r, 400, "ValidationException", message)
