"""Secondary index reads through boto3: exact-key and range queries on GSIs and LSIs, with
expressions and the legacy KeyConditions, and with key values of the longest length allowed.

The first case is the report of issue 17: an exact-key GSI query answered nothing while a
partition-only query found the item."""
import pytest

import support


def _indexed_table(make_table, sort_type="S", long_values=False):
    return make_table(
        "S", "S",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "a", "AttributeType": "S"},
            {"AttributeName": "b", "AttributeType": sort_type},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "hello",
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                          {"AttributeName": "b", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        LocalSecondaryIndexes=[{
            "IndexName": "local",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "b", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
    )


def _value(t, v):
    return {t: v}


@pytest.mark.parametrize("sort_type,values", [
    ("S", ["b%d" % i for i in range(10)]),
    ("N", [str(i * 7 - 30) for i in range(10)]),
    ("B", [bytes([i, 0, 0xff]) for i in range(10)]),
    ("S", ["x" * 1023 + chr(ord("a") + i) for i in range(10)]),   # the longest sort key
])
def test_exact_key_queries_on_gsi_and_lsi_find_the_item(ddb, make_table, sort_type, values):
    table = _indexed_table(make_table, sort_type)
    partition = "a" * 2048  # the longest partition key
    for i, v in enumerate(values):
        ddb.put_item(TableName=table, Item={
            "pk": {"S": "p"}, "sk": {"S": "s%d" % i}, "a": {"S": partition},
            "b": _value(sort_type, v)})
    b = _value(sort_type, values[4])
    for index, hash_name, hash_value in [("hello", "a", partition), ("local", "pk", "p")]:
        found = ddb.query(TableName=table, IndexName=index,
                          KeyConditionExpression="#h = :h AND b = :b",
                          ExpressionAttributeNames={"#h": hash_name},
                          ExpressionAttributeValues={":h": {"S": hash_value}, ":b": b})
        assert [i["sk"]["S"] for i in found["Items"]] == ["s4"], index
        legacy = ddb.query(TableName=table, IndexName=index, KeyConditions={
            hash_name: {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": hash_value}]},
            "b": {"ComparisonOperator": "EQ", "AttributeValueList": [b]}})
        assert [i["sk"]["S"] for i in legacy["Items"]] == ["s4"], index
        # Bounds at an existing value include (<=, >=, BETWEEN) or exclude (<, >) it.
        counts = {}
        for op in ["<", "<=", ">", ">="]:
            r = ddb.query(TableName=table, IndexName=index,
                          KeyConditionExpression="#h = :h AND b %s :b" % op,
                          ExpressionAttributeNames={"#h": hash_name},
                          ExpressionAttributeValues={":h": {"S": hash_value}, ":b": b})
            counts[op] = r["Count"]
        assert counts == {"<": 4, "<=": 5, ">": 5, ">=": 6}, index
        between = ddb.query(TableName=table, IndexName=index,
                            KeyConditionExpression="#h = :h AND b BETWEEN :b AND :c",
                            ExpressionAttributeNames={"#h": hash_name},
                            ExpressionAttributeValues={":h": {"S": hash_value}, ":b": b,
                                                       ":c": _value(sort_type, values[6])})
        assert [i["sk"]["S"] for i in between["Items"]] == ["s4", "s5", "s6"], index


def test_the_reported_case_ten_items_and_one_exact_match(ddb, make_table):
    table = make_table(
        "S", None,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "a", "AttributeType": "S"},
            {"AttributeName": "b", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "hello",
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                          {"AttributeName": "b", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )
    for i in range(10):
        ddb.put_item(TableName=table, Item={"pk": {"S": "k%d" % i}, "a": {"S": "a%d" % i},
                                            "b": {"S": "b%d" % i}})
    values = {":a": {"S": "a3"}, ":b": {"S": "b3"}}
    for expression in ["a = :a AND b = :b", "a = :a", "a = :a AND b >= :b"]:
        r = ddb.query(TableName=table, IndexName="hello", KeyConditionExpression=expression,
                      ExpressionAttributeValues={k: v for k, v in values.items()
                                                 if k in expression})
        assert [i["pk"]["S"] for i in r["Items"]] == ["k3"], expression
