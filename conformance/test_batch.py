"""BatchGetItem / BatchWriteItem: several tables, projections, limits, UnprocessedKeys,
validation order and messages, and that a rejected batch writes nothing."""
import pytest

from support import DYNALITE, assert_error, call

AWS_MSG = ("DynamoDB Local's message text differs from AWS's. Evidence: %s test/batchGetItem.js "
           "and test/batchWriteItem.js" % DYNALITE)
DUPLICATES = "Provided list of item keys contains duplicates"
MISMATCH = "The provided key element does not match the schema"
UNION = ("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
         "supported datatypes")
NAMES_RULE = ("failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length "
              "less than or equal to 255, Member must have length greater than or equal to 3, Member "
              "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")


def batch_get(request_items, **extra):
    body = {"RequestItems": request_items}
    body.update(extra)
    return call("BatchGetItem", body)


def batch_write(request_items, **extra):
    body = {"RequestItems": request_items}
    body.update(extra)
    return call("BatchWriteItem", body)


def put_req(item):
    return {"PutRequest": {"Item": item}}


def delete_req(key):
    return {"DeleteRequest": {"Key": key}}


def key(pk):
    return {"pk": {"S": pk}}


def get_item(table, k):
    r = call("GetItem", {"TableName": table, "Key": k, "ConsistentRead": True})
    assert r.status == 200, r
    return r.json.get("Item")


def item_size(item):
    """DynamoDB's size of an item whose values are all strings."""
    return sum(len(name.encode()) + len(v["S"].encode()) for name, v in item.items())


# ------------------------------------------------------------------ functionality

def test_write_then_get_over_two_tables(hash_table, range_table):
    call("PutItem", {"TableName": hash_table, "Item": key("old")})
    r = batch_write({
        hash_table: [put_req({"pk": {"S": "a"}, "v": {"N": "1"}}), put_req(key("b")),
                     delete_req(key("old")), delete_req(key("never-there"))],
        range_table: [put_req({"pk": {"S": "a"}, "sk": {"S": "x"}, "v": {"S": "y"}})],
    })
    assert r.status == 200, r
    assert r.json == {"UnprocessedItems": {}}
    assert get_item(hash_table, key("old")) is None

    r = batch_get({
        hash_table: {"Keys": [key("a"), key("missing"), key("b")], "ConsistentRead": True},
        range_table: {"Keys": [{"pk": {"S": "a"}, "sk": {"S": "x"}}]},
    })
    assert r.status == 200, r
    assert r.json["UnprocessedKeys"] == {}
    got = sorted(r.json["Responses"][hash_table], key=lambda i: i["pk"]["S"])
    assert got == [{"pk": {"S": "a"}, "v": {"N": "1"}}, {"pk": {"S": "b"}}]
    assert r.json["Responses"][range_table] == [{"pk": {"S": "a"}, "sk": {"S": "x"}, "v": {"S": "y"}}]


def test_every_table_is_in_responses_even_when_nothing_is_found(hash_table, range_table):
    r = batch_get({hash_table: {"Keys": [key("nothing")]},
                   range_table: {"Keys": [{"pk": {"S": "a"}, "sk": {"S": "b"}}]}})
    assert r.status == 200, r
    assert r.json == {"Responses": {hash_table: [], range_table: []}, "UnprocessedKeys": {}}


def test_batch_get_projections(hash_table):
    full = {"pk": {"S": "k"}, "a": {"N": "1"}, "b": {"S": "2"},
            "c": {"M": {"d": {"S": "deep"}, "e": {"S": "other"}}}}
    assert batch_write({hash_table: [put_req(full), put_req(key("bare"))]}).status == 200
    keys = [key("k"), key("bare")]
    for projection in [{"ProjectionExpression": "a, #c.d", "ExpressionAttributeNames": {"#c": "c"}},
                       {"AttributesToGet": ["a", "c", "zzz"]}]:
        r = batch_get({hash_table: dict(projection, Keys=keys)})
        assert r.status == 200, r
        got = sorted(r.json["Responses"][hash_table], key=len)
        c = {"M": {"d": {"S": "deep"}}} if "ProjectionExpression" in projection else full["c"]
        # An item with none of the projected attributes comes back as {}.
        assert got == [{}, {"a": {"N": "1"}, "c": c}], projection


def test_puts_and_deletes_together(hash_table):
    assert batch_write({hash_table: [put_req(key("a"))]}).status == 200
    r = batch_write({hash_table: [delete_req(key("a")), put_req(key("b"))]})
    assert r.status == 200, r
    assert get_item(hash_table, key("a")) is None
    assert get_item(hash_table, key("b")) == key("b")


def test_return_consumed_capacity_is_accepted(hash_table):
    r = batch_write({hash_table: [put_req(key("a"))]}, ReturnConsumedCapacity="TOTAL",
                    ReturnItemCollectionMetrics="SIZE")
    assert r.status == 200, r
    assert r.json["UnprocessedItems"] == {}
    r = batch_get({hash_table: {"Keys": [key("a")]}}, ReturnConsumedCapacity="INDEXES")
    assert r.status == 200, r
    assert r.json["Responses"][hash_table] == [key("a")]


def test_boto3_batch_write_and_get(ddb, hash_table):
    ddb.batch_write_item(RequestItems={hash_table: [
        {"PutRequest": {"Item": {"pk": {"S": str(i)}, "n": {"N": str(i)}}}} for i in range(25)]})
    r = ddb.batch_get_item(RequestItems={hash_table: {"Keys": [{"pk": {"S": str(i)}} for i in range(25)],
                                                      "ProjectionExpression": "n"}})
    assert sorted(int(i["n"]["N"]) for i in r["Responses"][hash_table]) == list(range(25))
    assert r["UnprocessedKeys"] == {}


def test_answers_over_16_mb_leave_unprocessed_keys_to_retry(hash_table):
    # 100 items of 300 KB are 30 MB, more than one answer holds (16 MB). Retrying
    # UnprocessedKeys as they come back gets every item exactly once.
    payload = "x" * (300 * 1024)
    for start in range(0, 100, 25):
        r = batch_write({hash_table: [put_req({"pk": {"S": "k%03d" % i}, "d": {"S": payload}})
                                      for i in range(start, start + 25)]})
        assert r.status == 200 and r.json["UnprocessedItems"] == {}, r
    request = {hash_table: {"Keys": [key("k%03d" % i) for i in range(100)], "ConsistentRead": True}}
    seen, rounds = set(), 0
    while request:
        rounds += 1
        assert rounds <= 10, "no progress"
        r = batch_get(request)
        assert r.status == 200, r
        items = r.json["Responses"][hash_table]
        assert sum(item_size(i) for i in items) <= 16 * 1024 * 1024
        for i in items:
            assert i["d"]["S"] == payload
            assert i["pk"]["S"] not in seen
            seen.add(i["pk"]["S"])
        request = r.json["UnprocessedKeys"]
        for ka in request.values():
            assert ka["ConsistentRead"] is True     # the request's shape, ready to send again
    assert len(seen) == 100
    assert rounds >= 2


# ------------------------------------------------------------------ limits

def test_100_keys_and_25_writes_are_allowed(hash_table, range_table):
    assert batch_write({hash_table: [put_req(key(str(i))) for i in range(25)]}).status == 200
    assert batch_write({hash_table: [put_req(key(str(i))) for i in range(25, 40)],
                        range_table: [put_req({"pk": {"S": str(i)}, "sk": {"S": "s"}})
                                      for i in range(10)]}).status == 200
    r = batch_get({hash_table: {"Keys": [key(str(i)) for i in range(90)]},
                   range_table: {"Keys": [{"pk": {"S": str(i)}, "sk": {"S": "s"}} for i in range(10)]}})
    assert r.status == 200, r
    assert len(r.json["Responses"][hash_table]) == 40
    assert len(r.json["Responses"][range_table]) == 10


def test_more_than_100_keys_over_several_tables(hash_table, range_table):
    r = batch_get({hash_table: {"Keys": [key(str(i)) for i in range(100)]},
                   range_table: {"Keys": [{"pk": {"S": "a"}, "sk": {"S": "b"}}]}})
    assert_error(r, 400, "ValidationException", "Too many items requested for the BatchGetItem call")


def test_more_than_25_writes_over_several_tables(hash_table, range_table):
    r = batch_write({hash_table: [put_req(key(str(i))) for i in range(13)],
                     range_table: [put_req({"pk": {"S": str(i)}, "sk": {"S": "s"}}) for i in range(13)]})
    assert_error(r, 400, "ValidationException", "Too many items requested for the BatchWriteItem call")


def test_more_than_100_keys_in_one_table(hash_table):
    r = batch_get({hash_table: {"Keys": [key(str(i)) for i in range(101)]}})
    assert_error(r, 400, "ValidationException")


@pytest.mark.aws_only(AWS_MSG + " (DynamoDB Local: 'Too many items requested for the BatchGetItem call')")
def test_more_than_100_keys_in_one_table_message(hash_table):
    r = batch_get({hash_table: {"Keys": [key(str(i)) for i in range(101)]}})
    assert_error(r, 400, "ValidationException")
    assert r.error_message.startswith("1 validation error detected: Value '[{pk=")
    assert r.error_message.endswith(
        "}]' at 'requestItems.%s.member.keys' failed to satisfy constraint: "
        "Member must have length less than or equal to 100" % hash_table)


def test_more_than_25_writes_in_one_table(hash_table):
    r = batch_write({hash_table: [put_req(key(str(i))) for i in range(26)]})
    assert_error(r, 400, "ValidationException")
    assert get_item(hash_table, key("0")) is None


@pytest.mark.aws_only(AWS_MSG + " (DynamoDB Local: 'Too many items requested for the BatchWriteItem call')")
def test_more_than_25_writes_in_one_table_message(hash_table):
    r = batch_write({hash_table: [put_req(key(str(i))) for i in range(26)]})
    assert_error(r, 400, "ValidationException")
    assert r.error_message.startswith("1 validation error detected: Value '{%s=[WriteRequest(" % hash_table)
    assert r.error_message.endswith(
        "]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")


def test_exactly_100_keys_of_a_missing_table(missing_table):
    r = batch_get({missing_table: {"Keys": [key(str(i)) for i in range(100)]}})
    assert_error(r, 400, "ResourceNotFoundException")


# ------------------------------------------------------------------ duplicates

def test_batch_get_duplicate_keys(range_table):
    # The order of the attributes in a key does not matter.
    keys = [{"pk": {"S": "a"}, "sk": {"S": "1"}}, {"pk": {"S": "b"}, "sk": {"S": "1"}},
            {"sk": {"S": "1"}, "pk": {"S": "a"}}]
    assert_error(batch_get({range_table: {"Keys": keys}}), 400, "ValidationException", DUPLICATES)


def test_batch_get_duplicates_are_checked_before_the_table(missing_table):
    r = batch_get({missing_table: {"Keys": [key("a"), key("a")]}})
    assert_error(r, 400, "ValidationException", DUPLICATES)


def test_batch_write_duplicate_number_keys_compare_by_value(num_table):
    r = batch_write({num_table: [put_req({"pk": {"N": "10"}, "v": {"S": "first"}}),
                                 put_req({"pk": {"N": "1E1"}, "v": {"S": "second"}})]})
    assert_error(r, 400, "ValidationException", DUPLICATES)


@pytest.mark.parametrize("writes", [
    [put_req(key("a")), delete_req(key("a"))],
    [delete_req(key("a")), put_req({"pk": {"S": "a"}, "v": {"S": "x"}})],
    [put_req(key("b")), put_req(key("a")), put_req(key("a"))],
], ids=["put_then_delete", "delete_then_put", "two_puts"])
def test_batch_write_duplicate_keys_write_nothing(hash_table, writes):
    assert_error(batch_write({hash_table: writes}), 400, "ValidationException", DUPLICATES)
    assert get_item(hash_table, key("a")) is None
    assert get_item(hash_table, key("b")) is None


def test_batch_write_same_key_in_two_tables(hash_table, make_table):
    other = make_table("S")
    r = batch_write({hash_table: [put_req(key("a"))], other: [put_req(key("a"))]})
    assert r.status == 200, r
    assert get_item(other, key("a")) == key("a")


def test_batch_write_checks_the_table_before_duplicates(missing_table):
    r = batch_write({missing_table: [put_req(key("a")), delete_req(key("a"))]})
    assert_error(r, 400, "ResourceNotFoundException")


# ------------------------------------------------------------------ missing tables

def test_missing_table(hash_table, missing_table):
    assert_error(batch_get({missing_table: {"Keys": [key("a")]}}), 400, "ResourceNotFoundException")
    r = batch_write({hash_table: [put_req(key("a"))], missing_table: [put_req(key("a"))]})
    assert_error(r, 400, "ResourceNotFoundException")
    assert get_item(hash_table, key("a")) is None


@pytest.mark.aws_only("ResourceNotFoundException text: AWS 'Requested resource not found'; DynamoDB Local "
                      "'Cannot do operations on a non-existent table'. Evidence: " + DYNALITE)
def test_missing_table_message(missing_table):
    for r in [batch_get({missing_table: {"Keys": [{}]}}),
              batch_write({missing_table: [put_req({})]})]:
        assert_error(r, 400, "ResourceNotFoundException", "Requested resource not found")


# ------------------------------------------------------------------ keys and items

GET_KEY_MISMATCH = [
    ("hash_table", {"pk": {"N": "1"}}),
    ("hash_table", {"pk": {"S": "a"}, "x": {"S": "b"}}),
    ("range_table", {"pk": {"S": "a"}}),
]


@pytest.mark.parametrize("fixture,k", GET_KEY_MISMATCH, ids=["wrong_type", "extra_attr", "no_range"])
def test_batch_get_key_not_matching_schema(request, fixture, k):
    table = request.getfixturevalue(fixture)
    assert_error(batch_get({table: {"Keys": [k]}}), 400, "ValidationException")


@pytest.mark.aws_only(AWS_MSG)
@pytest.mark.parametrize("fixture,k", GET_KEY_MISMATCH + [("hash_table", {})],
                         ids=["wrong_type", "extra_attr", "no_range", "empty"])
def test_batch_get_key_not_matching_schema_message(request, fixture, k):
    table = request.getfixturevalue(fixture)
    assert_error(batch_get({table: {"Keys": [k]}}), 400, "ValidationException", MISMATCH)


WRITE_KEY_MISMATCH = [
    ("hash_table", put_req({"x": {"S": "a"}})),
    ("hash_table", put_req({"pk": {"N": "1"}})),
    ("range_table", put_req({"pk": {"S": "a"}})),
    ("hash_table", delete_req({"pk": {"S": "a"}, "x": {"S": "b"}})),
]
WRITE_KEY_IDS = ["put_missing_hash", "put_wrong_type", "put_missing_range", "delete_extra_attr"]


@pytest.mark.parametrize("fixture,req", WRITE_KEY_MISMATCH, ids=WRITE_KEY_IDS)
def test_batch_write_key_not_matching_schema(request, fixture, req):
    table = request.getfixturevalue(fixture)
    assert_error(batch_write({table: [put_req({"pk": {"S": "ok"}, "sk": {"S": "s"}}) if
                                      fixture == "range_table" else put_req(key("ok")), req]}),
                 400, "ValidationException")
    assert get_item(table, {"pk": {"S": "ok"}, "sk": {"S": "s"}} if fixture == "range_table"
                    else key("ok")) is None


@pytest.mark.aws_only("BatchWriteItem words a wrong key in a PutRequest item like a wrong Key, unlike "
                      "PutItem. " + AWS_MSG)
@pytest.mark.parametrize("fixture,req", WRITE_KEY_MISMATCH, ids=WRITE_KEY_IDS)
def test_batch_write_key_not_matching_schema_message(request, fixture, req):
    table = request.getfixturevalue(fixture)
    assert_error(batch_write({table: [req]}), 400, "ValidationException", MISMATCH)


def test_empty_string_key(hash_table):
    message = ("One or more parameter values are not valid. The AttributeValue for a key attribute "
               "cannot contain an empty string value. Key: pk")
    assert_error(batch_get({hash_table: {"Keys": [{"pk": {"S": ""}}]}}), 400, "ValidationException", message)
    assert_error(batch_write({hash_table: [put_req({"pk": {"S": ""}})]}), 400, "ValidationException", message)


def test_item_too_big_is_checked_before_the_table(missing_table):
    big = {"pk": {"S": "a"}, "d": {"S": "x" * (400 * 1024)}}
    assert_error(batch_write({missing_table: [put_req(big)]}), 400, "ValidationException",
                 "Item size has exceeded the maximum allowed size")


def test_invalid_attribute_value_in_item(hash_table):
    r = batch_write({hash_table: [put_req({"pk": {"S": "a"}, "n": {"NULL": False}})]})
    assert_error(r, 400, "ValidationException",
                 "One or more parameter values were invalid: Null attribute value types must have the value of true")


@pytest.mark.parametrize("write_request", [
    {},
    {"PutRequest": {"Item": key("a")}, "DeleteRequest": {"Key": key("b")}},
], ids=["neither", "both"])
def test_write_request_needs_exactly_one_of_put_and_delete(missing_table, write_request):
    assert_error(batch_write({missing_table: [write_request]}), 400, "ValidationException", UNION)


# ------------------------------------------------------------------ member constraints

@pytest.mark.parametrize("op", ["BatchGetItem", "BatchWriteItem"])
@pytest.mark.parametrize("body", [{}, {"RequestItems": {}}], ids=["missing", "empty"])
def test_request_items_required(op, body):
    assert_error(call(op, body), 400, "ValidationException")


@pytest.mark.aws_only(AWS_MSG + " (DynamoDB Local: 'BatchGetItem must have some requests set', "
                      "'BatchWriteItem cannot have a null or no requests set')")
@pytest.mark.parametrize("op", ["BatchGetItem", "BatchWriteItem"])
def test_request_items_required_message(op):
    assert_error(call(op, {}), 400, "ValidationException",
                 "1 validation error detected: Value null at 'requestItems' failed to satisfy "
                 "constraint: Member must not be null")
    assert_error(call(op, {"RequestItems": {}}), 400, "ValidationException",
                 "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1")


def test_empty_keys_and_empty_write_list(hash_table):
    assert_error(batch_get({hash_table: {"Keys": []}}), 400, "ValidationException")
    assert_error(batch_write({hash_table: []}), 400, "ValidationException")


@pytest.mark.aws_only(AWS_MSG)
def test_empty_keys_and_empty_write_list_message(hash_table):
    assert_error(batch_get({hash_table: {"Keys": []}}), 400, "ValidationException",
                 "1 validation error detected: Value '[]' at 'requestItems.%s.member.keys' failed to "
                 "satisfy constraint: Member must have length greater than or equal to 1" % hash_table)
    assert_error(batch_write({hash_table: []}), 400, "ValidationException",
                 "1 validation error detected: Value '{%s=[]}' at 'requestItems' failed to satisfy "
                 "constraint: Map value must satisfy constraint: [Member must have length less than or "
                 "equal to 25, Member must have length greater than or equal to 1]" % hash_table)


@pytest.mark.aws_only("DynamoDB Local accepts any ReturnConsumedCapacity / ReturnItemCollectionMetrics. "
                      + AWS_MSG)
def test_enum_members_and_table_names_message():
    rcc = ("Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy "
           "enum value set: [INDEXES, TOTAL, NONE]")
    ricm = ("Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must "
            "satisfy enum value set: [SIZE, NONE]")
    r = call("BatchWriteItem", {"RequestItems": {"aa;": [{"PutRequest": {}, "DeleteRequest": {}}]},
                                "ReturnConsumedCapacity": "hi", "ReturnItemCollectionMetrics": "hi"})
    assert_error(r, 400, "ValidationException")
    parts = r.error_message.split("; ")
    assert parts[0] == "5 validation errors detected: " + rcc
    assert parts[1] == ricm
    assert parts[2].startswith("Value '{aa;=[WriteRequest(") and parts[2].endswith("' at 'requestItems' " + NAMES_RULE)
    assert parts[3:] == [
        "Value null at 'requestItems.aa;.member.1.member.deleteRequest.key' failed to satisfy "
        "constraint: Member must not be null",
        "Value null at 'requestItems.aa;.member.1.member.putRequest.item' failed to satisfy "
        "constraint: Member must not be null"]
    r = call("BatchGetItem", {"RequestItems": {"a": {}}, "ReturnConsumedCapacity": "hi"})
    parts = r.error_message.split("; ")
    assert parts[0] == "3 validation errors detected: " + rcc
    assert parts[1].startswith("Value '{a=KeysAndAttributes(") and parts[1].endswith("' at 'requestItems' " + NAMES_RULE)
    assert parts[2] == ("Value null at 'requestItems.a.member.keys' failed to satisfy constraint: "
                        "Member must not be null")


# ------------------------------------------------------------------ projection parameters

@pytest.mark.parametrize("params,message", [
    ({"AttributesToGet": ["a"], "ProjectionExpression": "a"},
     "Can not use both expression and non-expression parameters in the same request: Non-expression "
     "parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
    ({"AttributesToGet": ["a"], "ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
    ({"ProjectionExpression": ""}, "Invalid ProjectionExpression: The expression can not be empty;"),
    ({"ProjectionExpression": "a", "ExpressionAttributeNames": {"#a": "a"}},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}"),
    ({"AttributesToGet": ["a", "a"]},
     "One or more parameter values were invalid: Duplicate value in attribute name: a"),
], ids=["both", "names_without_expression", "empty_expression", "unused_name", "duplicate_attribute"])
def test_projection_parameters(hash_table, params, message):
    r = batch_get({hash_table: dict(params, Keys=[key("a")])})
    assert_error(r, 400, "ValidationException", message)
