"""ConsumedCapacity shapes (ReturnConsumedCapacity TOTAL / INDEXES), as DynamoDB Local
returns them for plain reads and writes."""

import pytest


def _item(pk, size):
    # {"pk": pk, "pad": "x" * n} is 2 + len(pk) + 3 + n bytes by DynamoDB's formula.
    return {"pk": {"S": pk}, "pad": {"S": "x" * (size - 5 - len(pk))}}


def test_total_gives_table_name_and_capacity_units_only(ddb, hash_table):
    r = ddb.put_item(TableName=hash_table, Item=_item("a", 1025), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 2.0}
    r = ddb.get_item(TableName=hash_table, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 0.5}
    r = ddb.get_item(TableName=hash_table, Key={"pk": {"S": "a"}}, ConsistentRead=True,
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 1.0}


def test_indexes_adds_the_table_and_each_index_touched(ddb, make_table):
    name = make_table(
        "S",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g",
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    item = dict(_item("a", 100), g={"S": "g1"})
    r = ddb.put_item(TableName=name, Item=item, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == {
        "TableName": name, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 1.0},
        "GlobalSecondaryIndexes": {"by_g": {"CapacityUnits": 1.0}}}
    item["g"] = {"S": "g2"}
    r = ddb.put_item(TableName=name, Item=item, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 2.0}}
    r = ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "g2"}}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == {
        "TableName": name, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
        "GlobalSecondaryIndexes": {"by_g": {"CapacityUnits": 0.5}}}


def test_none_returns_no_consumed_capacity(ddb, hash_table):
    r = ddb.put_item(TableName=hash_table, Item=_item("a", 10), ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in r


def test_a_failed_condition_carries_no_consumed_capacity(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=_item("a", 10))
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as e:
        ddb.put_item(TableName=hash_table, Item=_item("a", 10),
                     ConditionExpression="attribute_not_exists(pk)",
                     ReturnConsumedCapacity="TOTAL")
    assert "ConsumedCapacity" not in e.value.response
