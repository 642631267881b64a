"""CreateTable / DescribeTable / ListTables / UpdateTable / DeleteTable."""
import re
import time

import pytest
from botocore.exceptions import ClientError

from support import (ACK_QUIRKS, DOC_CREATETABLE, DOC_ERRORS, DYNALITE, MOTO, SCYLLA_ALTERNATOR,
                     TABLE_ACTIVE_TIMEOUT, assert_error, call, unique_name, wait_active)

HASH_KS = [{"AttributeName": "pk", "KeyType": "HASH"}]
HASH_AD = [{"AttributeName": "pk", "AttributeType": "S"}]
HR_KS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
HR_AD = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
VALIDATION_PREFIX = "1 validation error detected: "

AWS_MSG = ("DynamoDB Local's message text differs from AWS's for this case. Evidence: %s "
           "test/createTable.js and %s exceptions/responses" % (DYNALITE, MOTO))

_MISSING = object()


def create_body(**changes):
    body = {"TableName": unique_name(), "KeySchema": HASH_KS, "AttributeDefinitions": HASH_AD,
            "BillingMode": "PAY_PER_REQUEST"}
    for k, v in changes.items():
        if v is _MISSING:
            body.pop(k, None)
        else:
            body[k] = v
    return body


# (id, changes, aws message or None if not pinned). Every case: 400 ValidationException
# on both AWS and DynamoDB Local.
CREATE_VALIDATION_CASES = [
    ("name_2_chars", dict(TableName="ab"), None),
    ("name_256_chars", dict(TableName="a" * 256), None),
    ("name_bad_chars", dict(TableName="a b!"), None),
    ("keyschema_missing", dict(KeySchema=_MISSING),
     VALIDATION_PREFIX + "Value null at 'keySchema' failed to satisfy constraint: Member must not be null"),
    ("keyschema_empty", dict(KeySchema=[]),
     VALIDATION_PREFIX + "Value '[]' at 'keySchema' failed to satisfy constraint: Member must have "
     "length greater than or equal to 1"),
    ("keyschema_3_elements",
     dict(KeySchema=HR_KS + [{"AttributeName": "x", "KeyType": "RANGE"}],
          AttributeDefinitions=HR_AD + [{"AttributeName": "x", "AttributeType": "S"}]),
     re.compile(re.escape(VALIDATION_PREFIX) + r"Value '\[.+\]' at 'keySchema' failed to satisfy "
                r"constraint: Member must have length less than or equal to 2")),
    ("two_hash_keys",
     dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "HASH"}],
          AttributeDefinitions=HR_AD),
     "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"),
    ("range_first",
     dict(KeySchema=[{"AttributeName": "sk", "KeyType": "RANGE"}, {"AttributeName": "pk", "KeyType": "HASH"}],
          AttributeDefinitions=HR_AD),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    ("only_range", dict(KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}]),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    ("hash_and_range_same_name",
     dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "RANGE"}]),
     "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
    ("keytype_invalid", dict(KeySchema=[{"AttributeName": "pk", "KeyType": "FOO"}]),
     VALIDATION_PREFIX + "Value 'FOO' at 'keySchema.1.member.keyType' failed to satisfy constraint: "
     "Member must satisfy enum value set: [HASH, RANGE]"),
    ("attrdefs_missing_hash_attr",
     dict(AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}]),
     "One or more parameter values were invalid: Some index key attributes are not defined in "
     "AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]"),
    ("attrdefs_missing_range_attr", dict(KeySchema=HR_KS, AttributeDefinitions=HASH_AD),
     "Invalid KeySchema: Some index key attribute have no definition"),
    ("attrdefs_extra_unused",
     dict(AttributeDefinitions=HASH_AD + [{"AttributeName": "extra", "AttributeType": "S"}]),
     "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly "
     "match number of attributes defined in AttributeDefinitions"),
    ("attrdefs_missing", dict(AttributeDefinitions=_MISSING),
     VALIDATION_PREFIX + "Value null at 'attributeDefinitions' failed to satisfy constraint: Member "
     "must not be null"),
    ("attrdefs_empty", dict(AttributeDefinitions=[]),
     "Invalid KeySchema: Some index key attribute have no definition"),
    ("attrtype_BOOL", dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "BOOL"}]),
     VALIDATION_PREFIX + "Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed to "
     "satisfy constraint: Member must satisfy enum value set: [B, N, S]"),
    ("attrtype_X", dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "X"}]),
     VALIDATION_PREFIX + "Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to "
     "satisfy constraint: Member must satisfy enum value set: [B, N, S]"),
    ("attrdefs_duplicate", dict(AttributeDefinitions=HASH_AD + HASH_AD), None),
    ("attrdefs_duplicate_other_type",
     dict(AttributeDefinitions=HASH_AD + [{"AttributeName": "pk", "AttributeType": "N"}]), None),
    ("provisioned_without_throughput", dict(BillingMode="PROVISIONED"),
     "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both "
     "be specified when BillingMode is PROVISIONED"),
    ("no_billing_mode_no_throughput", dict(BillingMode=_MISSING),
     "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both "
     "be specified when BillingMode is PROVISIONED"),
    ("throughput_zero_both",
     dict(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}),
     None),
    ("throughput_zero_read",
     dict(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}),
     VALIDATION_PREFIX + "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy "
     "constraint: Member must have value greater than or equal to 1"),
    ("throughput_zero_write",
     dict(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 0}),
     VALIDATION_PREFIX + "Value '0' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy "
     "constraint: Member must have value greater than or equal to 1"),
]


@pytest.mark.parametrize("changes", [c[1] for c in CREATE_VALIDATION_CASES],
                         ids=[c[0] for c in CREATE_VALIDATION_CASES])
def test_create_table_validation_status_and_type(changes, cleanup_tables):
    body = create_body(**changes)
    r = call("CreateTable", body)
    if r.status == 200:
        cleanup_tables.append(body["TableName"])
    assert_error(r, 400, "ValidationException")


@pytest.mark.aws_only(AWS_MSG)
@pytest.mark.parametrize("changes,message",
                         [(c[1], c[2]) for c in CREATE_VALIDATION_CASES if c[2] is not None],
                         ids=[c[0] for c in CREATE_VALIDATION_CASES if c[2] is not None])
def test_create_table_validation_message(changes, message, cleanup_tables):
    body = create_body(**changes)
    r = call("CreateTable", body)
    if r.status == 200:
        cleanup_tables.append(body["TableName"])
    assert_error(r, 400, "ValidationException", message)


@pytest.mark.aws_only("AWS rejects ProvisionedThroughput with PAY_PER_REQUEST; DynamoDB Local "
                      "accepts it. Evidence: " + DOC_CREATETABLE + " ('If you set BillingMode as "
                      "PAY_PER_REQUEST, you cannot specify this property'), message from " + DYNALITE)
def test_create_table_pay_per_request_with_throughput(cleanup_tables):
    body = create_body(ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    r = call("CreateTable", body)
    if r.status == 200:
        cleanup_tables.append(body["TableName"])
    assert_error(r, 400, "ValidationException",
                 "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                 "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")


@pytest.mark.aws_only("invalid BillingMode enum: AWS 400 ValidationException; DynamoDB Local 500. "
                      "Evidence: " + DOC_CREATETABLE + " (Valid Values: PROVISIONED | PAY_PER_REQUEST), "
                      "message from " + DYNALITE)
def test_create_table_invalid_billing_mode(cleanup_tables):
    body = create_body(BillingMode="FOO")
    r = call("CreateTable", body)
    if r.status == 200:
        cleanup_tables.append(body["TableName"])
    assert_error(r, 400, "ValidationException",
                 VALIDATION_PREFIX + "Value 'FOO' at 'billingMode' failed to satisfy constraint: "
                 "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")


@pytest.mark.aws_only("invalid TableClass: DynamoDB Local ignores TableClass entirely and creates the "
                      "table. Evidence: " + DOC_CREATETABLE + " (TableClass Valid Values: STANDARD | "
                      "STANDARD_INFREQUENT_ACCESS)")
def test_create_table_invalid_table_class(cleanup_tables):
    body = create_body(TableClass="FOO")
    r = call("CreateTable", body)
    if r.status == 200:
        cleanup_tables.append(body["TableName"])
    assert_error(r, 400, "ValidationException")


def test_create_table_already_exists(hash_table):
    r = call("CreateTable", create_body(TableName=hash_table))
    assert_error(r, 400, "ResourceInUseException")


@pytest.mark.aws_only("ResourceInUseException text: AWS 'Table already exists: <name>', DynamoDB Local "
                      "'Cannot create preexisting table'. Evidence: " + MOTO + " models; real-AWS "
                      "report in joshsymonds/Dynamoid#178")
def test_create_table_already_exists_message(hash_table):
    r = call("CreateTable", create_body(TableName=hash_table))
    assert_error(r, 400, "ResourceInUseException", "Table already exists: " + hash_table)


# ---------------------------------------------------------------- happy paths

def _check_common_description(d, name, ks, ad):
    assert d["TableName"] == name
    assert d["KeySchema"] == ks
    assert sorted(d["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == \
        sorted(ad, key=lambda a: a["AttributeName"])
    assert d["TableStatus"] in ("CREATING", "ACTIVE")
    assert isinstance(d["CreationDateTime"], (int, float)) and d["CreationDateTime"] > 1.5e9
    assert d["TableSizeBytes"] == 0
    assert d["ItemCount"] == 0
    assert d["TableArn"].startswith("arn:aws:dynamodb:")
    assert d["TableArn"].endswith(":table/" + name)
    pt = d["ProvisionedThroughput"]
    assert pt["NumberOfDecreasesToday"] == 0
    assert d.get("DeletionProtectionEnabled", False) is False


def test_create_table_pay_per_request_response(cleanup_tables):
    name = unique_name()
    r = call("CreateTable", {"TableName": name, "KeySchema": HASH_KS, "AttributeDefinitions": HASH_AD,
                             "BillingMode": "PAY_PER_REQUEST"})
    assert r.status == 200, r
    cleanup_tables.append(name)
    d = r.json["TableDescription"]
    _check_common_description(d, name, HASH_KS, HASH_AD)
    assert d["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert d["ProvisionedThroughput"]["WriteCapacityUnits"] == 0
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert isinstance(d["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"], (int, float))

    t = wait_active(name)
    assert t["TableStatus"] == "ACTIVE"
    _check_common_description(t, name, HASH_KS, HASH_AD)
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_create_table_provisioned_hash_range_response(cleanup_tables):
    name = unique_name()
    ad = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
    r = call("CreateTable", {"TableName": name, "KeySchema": HR_KS, "AttributeDefinitions": ad,
                             "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}})
    assert r.status == 200, r
    cleanup_tables.append(name)
    d = r.json["TableDescription"]
    _check_common_description(d, name, HR_KS, ad)
    assert d["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert d["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    # AWS docs (BillingModeSummary): only returned after the table was on-demand at least once.
    assert d.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"
    t = wait_active(name)
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 5


@pytest.mark.aws_only("a repeated AttributeDefinitions name: AWS 'Attribute Name is duplicated: <name>', "
                      "DynamoDB Local 'Cannot have two attributes with the same name'. Evidence: "
                      "scylladb/scylladb issue #13870 (DynamoDB's answer) and " + ACK_QUIRKS)
@pytest.mark.parametrize("second_type", ["S", "N"])
def test_create_table_duplicate_attribute_is_named(second_type, cleanup_tables):
    body = create_body(AttributeDefinitions=HASH_AD + [{"AttributeName": "pk",
                                                        "AttributeType": second_type}])
    r = call("CreateTable", body)
    if r.status == 200:
        cleanup_tables.append(body["TableName"])
    assert_error(r, 400, "ValidationException", "Attribute Name is duplicated: pk")


DELETED_TABLE_FIELDS = {"TableName", "TableStatus", "TableArn", "TableId", "ProvisionedThroughput",
                        "TableSizeBytes", "ItemCount", "BillingModeSummary"}


@pytest.mark.aws_only("DeleteTable's TableDescription has only TableName, TableStatus, TableArn, "
                      "TableId, ProvisionedThroughput, TableSizeBytes, ItemCount and (on-demand "
                      "tables) BillingModeSummary on AWS; DynamoDB Local answers the whole "
                      "description. Evidence: AWS API Reference DeleteTable example, "
                      "architect/dynalite issue #60 (AWS's answer) and " + SCYLLA_ALTERNATOR +
                      " test_table.py test_delete_table_description*")
def test_delete_table_description_has_only_the_deleted_tables_fields(make_table):
    name = make_table(
        "S", "S",
        AttributeDefinitions=HR_AD + [{"AttributeName": "x", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi",
                                 "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "x", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    described = call("DescribeTable", {"TableName": name}).json["Table"]
    r = call("DeleteTable", {"TableName": name})
    assert r.status == 200, r
    d = r.json["TableDescription"]
    assert set(d) == DELETED_TABLE_FIELDS, d
    assert d["TableName"] == name
    assert d["TableStatus"] == "DELETING"
    assert d["TableArn"] == described["TableArn"]
    assert d["TableId"] == described["TableId"]
    assert d["ItemCount"] == 0 and d["TableSizeBytes"] == 0
    assert d["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                          "WriteCapacityUnits": 0}
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "LastUpdateToPayPerRequestDateTime" in d["BillingModeSummary"]


def test_table_lifecycle_boto3(ddb):
    name = unique_name()
    resp = ddb.create_table(TableName=name, KeySchema=HASH_KS, AttributeDefinitions=HASH_AD,
                            BillingMode="PAY_PER_REQUEST")
    try:
        assert resp["TableDescription"]["TableName"] == name
        wait_active(name)
        assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
        listed = ddb.list_tables(ExclusiveStartTableName=name[:-1], Limit=100)["TableNames"]
        assert name in listed
        d = ddb.delete_table(TableName=name)["TableDescription"]
        assert d["TableName"] == name
        assert d["TableStatus"] in ("DELETING", "ACTIVE")
    except Exception:
        call("DeleteTable", {"TableName": name})
        raise
    deadline = time.monotonic() + TABLE_ACTIVE_TIMEOUT
    while True:
        try:
            ddb.describe_table(TableName=name)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFoundException"
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            break
        assert time.monotonic() < deadline, "table still present after delete"
        time.sleep(0.05)


def test_describe_table_matches_create(hash_table):
    r = call("DescribeTable", {"TableName": hash_table})
    assert r.status == 200
    t = r.json["Table"]
    _check_common_description(t, hash_table, HASH_KS, HASH_AD)
    assert t["TableStatus"] == "ACTIVE"


# ---------------------------------------------------------------- missing tables

MISSING_OPS = [
    ("DescribeTable", {}),
    ("DeleteTable", {}),
    ("UpdateTable", {"BillingMode": "PAY_PER_REQUEST"}),
]


@pytest.mark.parametrize("op,extra", MISSING_OPS, ids=[o[0] for o in MISSING_OPS])
def test_missing_table_is_resource_not_found(op, extra, missing_table):
    body = {"TableName": missing_table}
    body.update(extra)
    assert_error(call(op, body), 400, "ResourceNotFoundException")


@pytest.mark.aws_only("table-level ResourceNotFoundException text: AWS 'Requested resource not found: "
                      "Table: <name> not found'; DynamoDB Local 'Cannot do operations on a non-existent "
                      "table'. Evidence: " + DOC_ERRORS + " and " + DYNALITE)
@pytest.mark.parametrize("op,extra", MISSING_OPS, ids=[o[0] for o in MISSING_OPS])
def test_missing_table_message(op, extra, missing_table):
    body = {"TableName": missing_table}
    body.update(extra)
    assert_error(call(op, body), 400, "ResourceNotFoundException",
                 "Requested resource not found: Table: %s not found" % missing_table)


def test_table_name_validation_on_describe():
    assert_error(call("DescribeTable", {"TableName": "a b!"}), 400, "ValidationException")


# ---------------------------------------------------------------- UpdateTable

def test_update_table_nothing_to_change(hash_table):
    assert_error(call("UpdateTable", {"TableName": hash_table}), 400, "ValidationException")


def _gsi_table(make_table):
    return make_table(
        "S",
        AttributeDefinitions=HASH_AD + [{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi",
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])


def test_update_table_delete_missing_gsi_is_resource_not_found(make_table):
    name = _gsi_table(make_table)
    r = call("UpdateTable", {"TableName": name,
                             "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "ghost"}}]})
    assert_error(r, 400, "ResourceNotFoundException")


MISSING_GSI_UPDATES = [
    ("delete", {"Delete": {"IndexName": "ghost"}}),
    ("update", {"Update": {"IndexName": "ghost", "OnDemandThroughput": {}}}),
]


@pytest.mark.aws_only("UpdateTable on a GSI the table lacks: AWS 'Requested resource not found: Index "
                      "<index> for table <table>' (ResourceNotFoundException, for Update and "
                      "Delete); DynamoDB Local 'Requested resource not found' for Delete and "
                      "InternalFailure for Update. Evidence: " + ACK_QUIRKS + " DDB-TABLE-161 and " +
                      SCYLLA_ALTERNATOR + " test_gsi_updatetable.py")
@pytest.mark.parametrize("update", [u[1] for u in MISSING_GSI_UPDATES],
                         ids=[u[0] for u in MISSING_GSI_UPDATES])
def test_update_table_missing_gsi_message(update, make_table):
    name = _gsi_table(make_table)
    r = call("UpdateTable", {"TableName": name, "GlobalSecondaryIndexUpdates": [update]})
    assert_error(r, 400, "ResourceNotFoundException",
                 "Requested resource not found: Index ghost for table %s" % name)


def test_update_table_to_provisioned_and_back(hash_table):
    r = call("UpdateTable", {"TableName": hash_table, "BillingMode": "PROVISIONED",
                             "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}})
    assert r.status == 200, r
    d = r.json["TableDescription"]
    assert d["TableName"] == hash_table
    assert d["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    t = wait_active(hash_table)
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 2


def test_update_table_change_throughput(make_table):
    name = make_table("S", BillingMode="PROVISIONED",
                      ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3})
    r = call("UpdateTable", {"TableName": name,
                             "ProvisionedThroughput": {"ReadCapacityUnits": 6, "WriteCapacityUnits": 3}})
    assert r.status == 200, r
    t = wait_active(name)
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 6
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 3


def test_update_table_same_throughput(make_table):
    name = make_table("S", BillingMode="PROVISIONED",
                      ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3})
    r = call("UpdateTable", {"TableName": name,
                             "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}})
    assert_error(r, 400, "ValidationException")


@pytest.mark.aws_only("same-throughput UpdateTable text differs in DynamoDB Local ('The requested "
                      "throughput value equals the current value'). Evidence: " + DYNALITE +
                      " test/updateTable.js")
def test_update_table_same_throughput_message(make_table):
    name = make_table("S", BillingMode="PROVISIONED",
                      ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3})
    r = call("UpdateTable", {"TableName": name,
                             "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}})
    assert_error(r, 400, "ValidationException",
                 "The provisioned throughput for the table will not change. The requested value equals "
                 "the current value. Current ReadCapacityUnits provisioned for the table: 5. Requested "
                 "ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 3. "
                 "Requested WriteCapacityUnits: 3. Refer to the Amazon DynamoDB Developer Guide for "
                 "current limits and how to request higher limits.")


# ---------------------------------------------------------------- ListTables

@pytest.mark.parametrize("limit", [0, -1, 101], ids=["0", "minus1", "101"])
def test_list_tables_limit_out_of_range(limit):
    assert_error(call("ListTables", {"Limit": limit}), 400, "ValidationException")


@pytest.mark.aws_only("ListTables Limit texts differ in DynamoDB Local ('Limit must be greater than or "
                      "equal to 1' / 'Limit in ListTables must be <= 100'). Evidence: " + DYNALITE +
                      " test/listTables.js")
@pytest.mark.parametrize("limit,constraint", [
    (0, "Member must have value greater than or equal to 1"),
    (101, "Member must have value less than or equal to 100"),
], ids=["0", "101"])
def test_list_tables_limit_message(limit, constraint):
    assert_error(call("ListTables", {"Limit": limit}), 400, "ValidationException",
                 VALIDATION_PREFIX + "Value '%d' at 'limit' failed to satisfy constraint: %s"
                 % (limit, constraint))


@pytest.mark.parametrize("name", ["ab", "", "a b c"], ids=["short", "empty", "bad_chars"])
def test_list_tables_bad_exclusive_start(name):
    assert_error(call("ListTables", {"ExclusiveStartTableName": name}), 400, "ValidationException")


def test_list_tables_paging(cleanup_tables):
    prefix = unique_name("lst")
    names = [prefix + suffix for suffix in ("_a", "_b", "_c")]
    for n in names:
        r = call("CreateTable", {"TableName": n, "KeySchema": HASH_KS, "AttributeDefinitions": HASH_AD,
                                 "BillingMode": "PAY_PER_REQUEST"})
        assert r.status == 200, r
        cleanup_tables.append(n)
    for n in names:
        wait_active(n)

    r = call("ListTables", {"ExclusiveStartTableName": prefix, "Limit": 2})
    assert r.status == 200, r
    assert r.json == {"TableNames": names[:2], "LastEvaluatedTableName": names[1]}

    r = call("ListTables", {"ExclusiveStartTableName": names[1], "Limit": 1})
    assert r.status == 200, r
    assert r.json["TableNames"] == [names[2]]

    # a start name that is not an existing table works as a position
    r = call("ListTables", {"ExclusiveStartTableName": names[0] + "0", "Limit": 1})
    assert r.json["TableNames"] == [names[1]]


def test_list_tables_sorted_and_last_page_has_no_marker():
    r = call("ListTables", {"ExclusiveStartTableName": "zzzzzzzzzzzzzzzz"})
    assert r.status == 200
    assert "LastEvaluatedTableName" not in r.json
    r = call("ListTables", {"Limit": 100})
    names = r.json["TableNames"]
    assert names == sorted(names)
