"""DynamoDB Streams: StreamSpecification on CreateTable / UpdateTable / DescribeTable, and the
Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords) on the same endpoint,
through boto3's `dynamodbstreams` client.

Message evidence: the StreamSpecification messages marked aws_only were recorded against AWS
(aws-controllers-k8s DynamoDB API quirk notes, findings DDB-TABLE-035 and DDB-TABLE-050);
DynamoDB Local words them differently. After a stream is disabled DescribeTable leaves out
StreamSpecification but keeps LatestStreamArn/LatestStreamLabel (same notes; also
scylladb/scylladb PR 31553, tested on AWS). Other texts are DynamoDB Local 3.3.0's.
"""
import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

import support
from support import assert_error, call

STREAMS_API = "DynamoDBStreams_20120810"
AWS_STREAM_MSG = ("AWS's text recorded in aws-controllers-k8s DynamoDB API quirk notes "
                  "(DDB-TABLE-035, DDB-TABLE-050); DynamoDB Local words it differently")
VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


@pytest.fixture(scope="module")
def streams():
    """boto3 DynamoDB Streams client (same endpoint as DynamoDB)."""
    return boto3.client(
        "dynamodbstreams",
        endpoint_url=support.ENDPOINT,
        region_name=support.REGION,
        aws_access_key_id=support.ACCESS_KEY_ID,
        aws_secret_access_key=support.SECRET_KEY,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                      parameter_validation=False),
    )


def streams_call(op, body):
    return call(op, body, target="%s.%s" % (STREAMS_API, op))


def stream_table(make_table, view="NEW_AND_OLD_IMAGES"):
    name = make_table("S", StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    table = call("DescribeTable", {"TableName": name}).json["Table"]
    return name, table["LatestStreamArn"]


def shard_of(streams, arn):
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]


def read_all(streams, arn, kind="TRIM_HORIZON"):
    """Every record from `kind` to the end of what is there now, following NextShardIterator."""
    shard = shard_of(streams, arn)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType=kind)["ShardIterator"]
    records = []
    while it:
        r = streams.get_records(ShardIterator=it)
        records.extend(r["Records"])
        if not r["Records"]:
            break
        it = r.get("NextShardIterator")
    return records


def put(name, pk, **attrs):
    item = {"pk": {"S": pk}}
    item.update({k: {"N": str(v)} for k, v in attrs.items()})
    r = call("PutItem", {"TableName": name, "Item": item})
    assert r.status == 200, r


def test_create_table_with_stream_describes_it(make_table, streams):
    name, arn = stream_table(make_table, "NEW_IMAGE")
    table = call("DescribeTable", {"TableName": name}).json["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    label = table["LatestStreamLabel"]
    assert arn == table["TableArn"] + "/stream/" + label
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": label}]
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "ENABLED"
    assert d["StreamViewType"] == "NEW_IMAGE"
    assert d["TableName"] == name
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert len(d["Shards"]) == 1
    rng = d["Shards"][0]["SequenceNumberRange"]
    assert rng["StartingSequenceNumber"].isdecimal()
    assert "EndingSequenceNumber" not in rng


def test_table_without_stream_has_no_stream_members(hash_table, streams):
    table = call("DescribeTable", {"TableName": hash_table}).json["Table"]
    for member in ("StreamSpecification", "LatestStreamArn", "LatestStreamLabel"):
        assert member not in table
    assert streams.list_streams(TableName=hash_table)["Streams"] == []


def test_records_of_insert_modify_remove_with_sizes(make_table, streams):
    name, arn = stream_table(make_table)
    put(name, "a", v=1)
    put(name, "a", v=1)  # identical: no record
    put(name, "a", v=2)
    assert call("DeleteItem", {"TableName": name, "Key": {"pk": {"S": "a"}}}).status == 200
    assert call("DeleteItem", {"TableName": name, "Key": {"pk": {"S": "zz"}}}).status == 200
    records = read_all(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    for r in records:
        assert r["eventVersion"] == "1.1"
        assert r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"]
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert r["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
        assert r["dynamodb"]["SequenceNumber"].isdecimal()
        assert "userIdentity" not in r
    assert len({r["eventID"] for r in records}) == 3
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}} and "OldImage" not in insert
    assert modify["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert modify["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}}
    assert remove["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}} and "NewImage" not in remove
    # Keys + images by the item size formula (as DynamoDB Local reports them).
    assert [r["SizeBytes"] for r in (insert, modify, remove)] == [9, 15, 9]


@pytest.mark.parametrize("view", VIEW_TYPES)
def test_records_hold_what_the_view_type_asks_for(make_table, streams, view):
    name, arn = stream_table(make_table, view)
    put(name, "k", v=1)
    put(name, "k", v=2)
    records = read_all(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    modify = records[1]["dynamodb"]
    assert modify["StreamViewType"] == view
    assert ("NewImage" in modify) == (view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"))
    assert ("OldImage" in modify) == (view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"))


def test_latest_iterator_sees_only_later_changes(make_table, streams):
    name, arn = stream_table(make_table, "KEYS_ONLY")
    put(name, "before")
    records = read_all(streams, arn, "LATEST")
    assert records == []
    shard = shard_of(streams, arn)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="LATEST")["ShardIterator"]
    put(name, "after")
    r = streams.get_records(ShardIterator=it)
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in r["Records"]] == ["after"]
    assert "NextShardIterator" in r


def test_sequence_number_iterators_and_limit(make_table, streams):
    name, arn = stream_table(make_table, "KEYS_ONLY")
    for i in range(5):
        put(name, "k%d" % i)
    shard = shard_of(streams, arn)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = streams.get_records(ShardIterator=it, Limit=2)
    assert len(first["Records"]) == 2
    rest = streams.get_records(ShardIterator=first["NextShardIterator"], Limit=10)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in first["Records"] + rest["Records"]] == \
        ["k%d" % i for i in range(5)]
    second = first["Records"][1]["dynamodb"]["SequenceNumber"]
    for kind, expected in (("AT_SEQUENCE_NUMBER", "k1"), ("AFTER_SEQUENCE_NUMBER", "k2")):
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType=kind,
                                        SequenceNumber=second)["ShardIterator"]
        got = streams.get_records(ShardIterator=it, Limit=1)["Records"]
        assert got[0]["dynamodb"]["Keys"]["pk"]["S"] == expected


def test_disable_closes_the_shard_and_reenable_makes_a_new_stream(make_table, streams):
    name, arn = stream_table(make_table, "KEYS_ONLY")
    put(name, "x")
    r = call("UpdateTable", {"TableName": name, "StreamSpecification": {"StreamEnabled": False}})
    assert r.status == 200, r
    table = call("DescribeTable", {"TableName": name}).json["Table"]
    assert "StreamSpecification" not in table
    assert table["LatestStreamArn"] == arn
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in d["Shards"][0]["SequenceNumberRange"]
    # The closed shard stays readable; once it is read to its end there is no next iterator.
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=d["Shards"][0]["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = streams.get_records(ShardIterator=it)
    assert [x["eventName"] for x in got["Records"]] == ["INSERT"]
    assert "NextShardIterator" not in got
    r = call("UpdateTable", {"TableName": name, "StreamSpecification": {
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}})
    assert r.status == 200, r
    table = call("DescribeTable", {"TableName": name}).json["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert table["LatestStreamArn"] != arn
    assert table["LatestStreamLabel"] != d["StreamLabel"]
    arns = {s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]}
    assert arns == {arn, table["LatestStreamArn"]}


def test_deleted_table_leaves_a_disabled_readable_stream(make_table, streams):
    name, arn = stream_table(make_table, "KEYS_ONLY")
    put(name, "x")
    assert call("DeleteTable", {"TableName": name}).status == 200
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED"
    assert [r["eventName"] for r in read_all(streams, arn)] == ["INSERT"]


# ---- StreamSpecification validation -------------------------------------------------------

def test_create_stream_enabled_without_view_type(cleanup_tables):
    body = {"TableName": support.unique_name(), "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST", "StreamSpecification": {"StreamEnabled": True}}
    cleanup_tables.append(body["TableName"])
    assert_error(call("CreateTable", body), 400, "ValidationException")


@pytest.mark.aws_only(AWS_STREAM_MSG)
@pytest.mark.parametrize("spec,message", [
    ({"StreamEnabled": True},
     "One or more parameter values were invalid: Table is being created with a stream enabled, "
     "UpdateViewType is required"),
    ({"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"},
     "One or more parameter values were invalid: Table is being created with a stream disabled, "
     "UpdateViewType should not be specified"),
    ({"StreamViewType": "NEW_IMAGE"},
     "1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to "
     "satisfy constraint: Member must not be null"),
    ({"StreamEnabled": True, "StreamViewType": "new_image"},
     "1 validation error detected: Value 'new_image' at 'streamSpecification.streamViewType' "
     "failed to satisfy constraint: Member must satisfy enum value set: "
     "[OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES, NEW_IMAGE]"),
])
def test_create_stream_specification_messages(cleanup_tables, spec, message):
    body = {"TableName": support.unique_name(), "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST", "StreamSpecification": spec}
    cleanup_tables.append(body["TableName"])
    assert_error(call("CreateTable", body), 400, "ValidationException", message)


def test_update_stream_state_errors(make_table):
    name, _ = stream_table(make_table, "KEYS_ONLY")
    again = {"TableName": name, "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}
    assert_error(call("UpdateTable", again), 400, "ValidationException")
    off = {"TableName": name, "StreamSpecification": {"StreamEnabled": False}}
    assert call("UpdateTable", off).status == 200
    assert_error(call("UpdateTable", off), 400, "ValidationException")


@pytest.mark.aws_only(AWS_STREAM_MSG)
def test_update_stream_state_messages(make_table):
    name, _ = stream_table(make_table, "KEYS_ONLY")
    same = {"TableName": name, "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}}
    assert_error(call("UpdateTable", same), 400, "ValidationException",
                 "Table already has an enabled stream: TableName: %s" % name)
    assert_error(call("UpdateTable", {"TableName": name, "StreamSpecification": {"StreamEnabled": True}}),
                 400, "ValidationException",
                 "One or more parameter values were invalid: If stream is being enabled then "
                 "UpdateViewType is required")
    assert_error(call("UpdateTable", {"TableName": name, "StreamSpecification": {
        "StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}}), 400, "ValidationException",
        "One or more parameter values were invalid: If stream is being disabled, then "
        "UpdateViewType must not be specified")
    off = {"TableName": name, "StreamSpecification": {"StreamEnabled": False}}
    assert call("UpdateTable", off).status == 200
    assert_error(call("UpdateTable", off), 400, "ValidationException",
                 "Table has no stream to disable: TableName: %s" % name)


# ---- Streams API errors ---------------------------------------------------------------------

def test_streams_api_validation_messages(make_table):
    _, arn = stream_table(make_table, "KEYS_ONLY")
    assert_error(streams_call("ListStreams", {"Limit": 0}), 400, "ValidationException",
                 "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                 "Member must have value greater than or equal to 1")
    assert_error(streams_call("GetRecords", {"ShardIterator": "garbage"}), 400,
                 "ValidationException", "Invalid ShardIterator")
    assert_error(streams_call("GetShardIterator", {
        "StreamArn": arn, "ShardId": "shardId-00000000000000000000-00000000",
        "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": "1"}), 400,
        "ValidationException",
        "1 validation error detected: Value '1' at 'sequenceNumber' failed to satisfy constraint: "
        "Member must have length greater than or equal to 21")


def test_sequence_number_with_trim_horizon_is_refused(make_table, streams):
    _, arn = stream_table(make_table, "KEYS_ONLY")
    shard = shard_of(streams, arn)
    r = streams_call("GetShardIterator", {
        "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON",
        "SequenceNumber": shard["SequenceNumberRange"]["StartingSequenceNumber"]})
    assert_error(r, 400, "ValidationException",
                 "One or more parameter values were invalid: SequenceNumber should not be passed "
                 "for this iterator type")


def test_unknown_stream_and_shard_are_resource_not_found(make_table, streams):
    _, arn = stream_table(make_table, "KEYS_ONLY")
    missing = arn.rsplit("/stream/", 1)[0] + "x/stream/2020-01-01T00:00:00.000"
    assert_error(streams_call("DescribeStream", {"StreamArn": missing}), 400,
                 "ResourceNotFoundException",
                 "Requested resource not found: Stream: %s not found" % missing)
    r = streams_call("GetShardIterator", {"StreamArn": arn,
                                          "ShardId": "shardId-00000000000000000000-00000000",
                                          "ShardIteratorType": "LATEST"})
    assert_error(r, 400, "ResourceNotFoundException")


def test_unknown_streams_operation(make_table):
    assert_error(streams_call("ListTables", {}), 400, "UnknownOperationException")
