"""PartiQL BatchExecuteStatement and ExecuteTransaction: response shapes, per-statement errors
(BatchStatementError Code/Message/Item), TransactionCanceledException and its
CancellationReasons, limits, ClientRequestToken idempotency, and the order of the checks."""
import pytest

from support import DYNALITE, assert_error, call

DOC_BES = ("AWS API Reference BatchExecuteStatement "
           "(docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchExecuteStatement.html)")
DOC_ET = ("AWS API Reference ExecuteTransaction "
          "(docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExecuteTransaction.html)")

# BatchExecuteStatement, request-level (HTTP 400 ValidationException)
EMPTY_BATCH = "The statement was empty."
MIXED_BATCH = "Read and write requests together in the same batch is not supported."
TOO_MANY_READS = "BatchGetItem cannot fetch more than 25 items"
TOO_MANY_WRITES = "BatchWriteItem cannot write more than 25 items"
DUPLICATES = "Provided list of item keys contains duplicates"
# BatchExecuteStatement, per statement (BatchStatementError)
SINGLE_ITEM_SELECT = "Only single item select is supported"
CONDITION_FAILED = "The conditional request failed"
DUPLICATE_ITEM = "Duplicate primary key exists in table"
PARAM_COUNT = "Number of parameters in request and statement don't match."
NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
WHERE_NOT_FULL_KEY = "Where clause does not contain a mandatory equality on all key attributes"
EXISTS_IN_BATCH = "EXISTS can only be used in ExecuteTransaction write requests."
# ExecuteTransaction
EMPTY_TX = "ExecutePartiQLTransaction can not have empty statement."
MIXED_TX = "ExecuteTransaction API does not support both read and write operations in the same request."
SAME_ITEM = "Transaction request cannot include multiple operations on one item"
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]"
TX_SELECT_KEY = ("Validation failed in TransactStatements[%d]: Select statements within ExecuteTransaction "
                 "must specify the primary key in the where clause.")
TX_RETURNING = "Validation failed in TransactStatements[%d]: RETURNING clause is not supported in ExecuteTransaction."
TX_EXISTS_CONDITION = ("Validation failed in TransactStatements[%d]: EXISTS() must contain a single item read "
                       "with additional condition")
IDEMPOTENT_MISMATCH = ("Specified idempotent token was used with different request parameters within the "
                       "idempotency window")


def batch(statements, **extra):
    body = {"Statements": statements}
    body.update(extra)
    return call("BatchExecuteStatement", body)


def transact(statements, **extra):
    body = {"TransactStatements": statements}
    body.update(extra)
    return call("ExecuteTransaction", body)


def st(statement, params=None, **extra):
    d = {"Statement": statement}
    if params is not None:
        d["Parameters"] = params
    d.update(extra)
    return d


def select(table, pk):
    return st("SELECT * FROM \"%s\" WHERE pk = '%s'" % (table, pk))


def insert(table, pk):
    return st("INSERT INTO \"%s\" VALUE {'pk': '%s'}" % (table, pk))


def put(table, item):
    assert call("PutItem", {"TableName": table, "Item": item}).status == 200


def get(table, pk, sk=None):
    k = {"pk": {"S": pk}}
    if sk is not None:
        k["sk"] = {"S": sk}
    r = call("GetItem", {"TableName": table, "Key": k, "ConsistentRead": True})
    assert r.status == 200, r
    return r.json.get("Item")


def item(pk, **attrs):
    d = {"pk": {"S": pk}}
    for name, n in attrs.items():
        d[name] = {"N": str(n)}
    return d


def error(code, message, **extra):
    e = {"Code": code, "Message": message}
    e.update(extra)
    return e


def cancelled(r, reasons):
    """Assert a TransactionCanceledException with exactly these CancellationReasons."""
    assert r.status == 400, r
    assert r.error_type == "TransactionCanceledException", r
    assert r.json["CancellationReasons"] == reasons, r
    assert r.error_message == CANCELLED % ", ".join(x["Code"] for x in reasons), r


# ================================================================== BatchExecuteStatement

# ------------------------------------------------------------------ reads

def test_batch_select_found_and_missing_items(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2, w=3))
    r = batch([select(hash_table, "a"), select(hash_table, "nothing"),
               st('SELECT v FROM "%s" WHERE pk = ?' % hash_table, [{"S": "b"}])])
    assert r.status == 200, r
    # One response for each statement, in order. A missing item leaves out Item, not TableName.
    assert r.json == {"Responses": [
        {"TableName": hash_table, "Item": item("a", v=1)},
        {"TableName": hash_table},
        {"TableName": hash_table, "Item": {"v": {"N": "2"}}},
    ]}


def test_batch_select_on_a_range_table_and_two_tables(hash_table, range_table):
    put(range_table, {"pk": {"S": "a"}, "sk": {"S": "s"}, "x": {"S": "y"}})
    put(hash_table, item("a"))
    r = batch([st("SELECT * FROM \"%s\" WHERE sk = 's' AND pk = 'a'" % range_table),
               st('SELECT x FROM "%s" WHERE pk = ? AND sk = ?' % range_table, [{"S": "a"}, {"S": "t"}]),
               select(hash_table, "a")])
    assert r.status == 200, r
    assert r.json["Responses"] == [
        {"TableName": range_table, "Item": {"pk": {"S": "a"}, "sk": {"S": "s"}, "x": {"S": "y"}}},
        {"TableName": range_table},
        {"TableName": hash_table, "Item": item("a")},
    ]


def test_batch_select_not_fixing_the_full_key_is_a_statement_error(hash_table, range_table):
    put(hash_table, item("a", v=1))
    r = batch([st("SELECT * FROM \"%s\" WHERE pk = 'a'" % range_table),
               st('SELECT * FROM "%s" WHERE v = 1' % hash_table),
               st('SELECT * FROM "%s"' % hash_table),
               st("SELECT * FROM \"%s\" WHERE pk IN ['a', 'b']" % hash_table),
               select(hash_table, "a")])
    assert r.status == 200, r
    bad = {"Error": error("ValidationError", SINGLE_ITEM_SELECT)}     # no TableName
    assert r.json["Responses"] == [bad, bad, bad, bad, {"TableName": hash_table, "Item": item("a", v=1)}]


def test_batch_select_parameters_per_statement(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    q = 'SELECT v FROM "%s" WHERE pk = ?' % hash_table
    r = batch([st(q, [{"S": "b"}]), st(q, [{"S": "a"}]), st(q)])
    assert r.status == 200, r
    assert r.json["Responses"] == [
        {"TableName": hash_table, "Item": {"v": {"N": "2"}}},
        {"TableName": hash_table, "Item": {"v": {"N": "1"}}},
        {"Error": error("ValidationError", PARAM_COUNT)},
    ]


def test_batch_consistent_read_per_statement(hash_table):
    put(hash_table, item("a", v=1))
    r = batch([st(select(hash_table, "a")["Statement"], ConsistentRead=True),
               st(select(hash_table, "b")["Statement"], ConsistentRead=False)])
    assert r.status == 200, r
    assert r.json["Responses"] == [{"TableName": hash_table, "Item": item("a", v=1)}, {"TableName": hash_table}]
    # ConsistentRead on a write statement is accepted and ignored.
    r = batch([st('UPDATE "%s" SET v = 5 WHERE pk = \'a\'' % hash_table, ConsistentRead=True)])
    assert r.status == 200, r
    assert r.json["Responses"] == [{"TableName": hash_table}]
    assert get(hash_table, "a") == item("a", v=5)


# ------------------------------------------------------------------ writes

def test_batch_writes_apply(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    r = batch([st("INSERT INTO \"%s\" VALUE {'pk': 'c', 'v': 3}" % hash_table),
               st("UPDATE \"%s\" SET v = 10 WHERE pk = 'a'" % hash_table),
               st("DELETE FROM \"%s\" WHERE pk = 'b'" % hash_table),
               st("DELETE FROM \"%s\" WHERE pk = 'never-there'" % hash_table),
               st('INSERT INTO "%s" VALUE {\'pk\': ?, \'v\': ?}' % hash_table, [{"S": "d"}, {"N": "4"}])])
    assert r.status == 200, r
    assert r.json == {"Responses": [{"TableName": hash_table}] * 5}
    assert get(hash_table, "a") == item("a", v=10)
    assert get(hash_table, "b") is None
    assert get(hash_table, "c") == item("c", v=3)
    assert get(hash_table, "d") == item("d", v=4)


def test_batch_write_failures_are_per_statement_and_the_rest_apply(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("c", v=3))
    r = batch([st("INSERT INTO \"%s\" VALUE {'pk': 'c', 'v': 99}" % hash_table),
               st("UPDATE \"%s\" SET v = 11 WHERE pk = 'a' AND v = 5" % hash_table),
               insert(hash_table, "d"),
               st("UPDATE \"%s\" SET v = 1 WHERE pk = 'missing'" % hash_table)])
    assert r.status == 200, r
    # A failed write keeps TableName next to its Error.
    assert r.json["Responses"] == [
        {"TableName": hash_table, "Error": error("DuplicateItem", DUPLICATE_ITEM)},
        {"TableName": hash_table, "Error": error("ConditionalCheckFailed", CONDITION_FAILED)},
        {"TableName": hash_table},
        {"TableName": hash_table, "Error": error("ConditionalCheckFailed", CONDITION_FAILED)},
    ]
    assert get(hash_table, "c") == item("c", v=3)
    assert get(hash_table, "a") == item("a", v=1)
    assert get(hash_table, "d") == item("d")
    assert get(hash_table, "missing") is None      # UPDATE never creates an item


def test_batch_return_values_on_condition_check_failure(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    put(hash_table, item("c", v=3))
    r = batch([st("UPDATE \"%s\" SET v = 11 WHERE pk = 'a' AND v = 5" % hash_table,
                  ReturnValuesOnConditionCheckFailure="ALL_OLD"),
               st("DELETE FROM \"%s\" WHERE pk = 'b' AND v = 7" % hash_table,
                  ReturnValuesOnConditionCheckFailure="NONE"),
               st("INSERT INTO \"%s\" VALUE {'pk': 'c'}" % hash_table,
                  ReturnValuesOnConditionCheckFailure="ALL_OLD")])
    assert r.status == 200, r
    assert r.json["Responses"] == [
        {"TableName": hash_table, "Error": error("ConditionalCheckFailed", CONDITION_FAILED, Item=item("a", v=1))},
        {"TableName": hash_table, "Error": error("ConditionalCheckFailed", CONDITION_FAILED)},
        {"TableName": hash_table, "Error": error("DuplicateItem", DUPLICATE_ITEM)},     # no Item
    ]


def test_batch_write_key_errors_are_per_statement(hash_table, range_table):
    put(range_table, {"pk": {"S": "a"}, "sk": {"S": "s"}})
    r = batch([st("UPDATE \"%s\" SET x = 1 WHERE pk = 'a'" % range_table),
               st('DELETE FROM "%s" WHERE v = 1' % hash_table),
               st("INSERT INTO \"%s\" VALUE {'pk': 'b'}" % range_table),
               st("INSERT INTO \"%s\" VALUE {'pk': 5}" % hash_table),
               insert(hash_table, "ok")])
    assert r.status == 200, r
    assert r.json["Responses"] == [
        {"Error": error("ValidationError", WHERE_NOT_FULL_KEY)},
        {"Error": error("ValidationError", WHERE_NOT_FULL_KEY)},
        {"Error": error("ValidationError", "Key attribute should be present in the item: Key sk")},
        {"Error": error("ValidationError",
                        "Key attribute's data type should match its data type in table's schema: Key pk")},
        {"TableName": hash_table},
    ]
    assert get(range_table, "a", "s") == {"pk": {"S": "a"}, "sk": {"S": "s"}}
    assert get(hash_table, "ok") == item("ok")


def test_batch_update_returning_gives_the_item(hash_table):
    put(hash_table, item("a", v=1))
    r = batch([st("UPDATE \"%s\" SET w = 9 WHERE pk = 'a' RETURNING ALL NEW *" % hash_table)])
    assert r.status == 200, r
    assert r.json["Responses"] == [{"TableName": hash_table, "Item": item("a", v=1, w=9)}]


# ------------------------------------------------------------------ statement errors inside a batch

def test_batch_syntax_error_is_a_statement_error(hash_table):
    put(hash_table, item("a", v=1))
    bad = 'SELEC * FROM "%s" WHERE pk = \'a\'' % hash_table
    r = batch([select(hash_table, "a"), st(bad)])
    assert r.status == 200, r
    first, second = r.json["Responses"]
    assert first == {"TableName": hash_table, "Item": item("a", v=1)}
    assert list(second) == ["Error"]
    assert second["Error"]["Code"] == "ValidationError"
    assert second["Error"]["Message"].startswith(NOT_WELL_FORMED), r

    r = batch([insert(hash_table, "y"), st("INSERT INTO \"%s\" VALUE {'pk': " % hash_table)])
    assert r.status == 200, r
    first, second = r.json["Responses"]
    assert first == {"TableName": hash_table}
    assert second["Error"]["Code"] == "ValidationError"
    assert second["Error"]["Message"].startswith(NOT_WELL_FORMED), r
    assert get(hash_table, "y") == item("y")


def test_batch_exists_is_a_statement_error(hash_table):
    put(hash_table, item("a", v=1))
    r = batch([st("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a' AND v = 1)" % hash_table),
               st("UPDATE \"%s\" SET v = 2 WHERE pk = 'a'" % hash_table)])
    assert r.status == 200, r
    assert r.json["Responses"] == [{"Error": error("ValidationError", EXISTS_IN_BATCH)}, {"TableName": hash_table}]
    assert get(hash_table, "a") == item("a", v=2)


def test_batch_missing_table_is_a_statement_error(hash_table, missing_table):
    put(hash_table, item("a"))
    for statements in ([select(hash_table, "a"), select(missing_table, "a")],
                       [insert(hash_table, "z"), insert(missing_table, "a")]):
        r = batch(statements)
        assert r.status == 200, r
        assert len(r.json["Responses"]) == 2
        assert "Error" not in r.json["Responses"][0]
        assert list(r.json["Responses"][1]) == ["Error"]             # no TableName
        assert r.json["Responses"][1]["Error"]["Code"] == "ResourceNotFound"
    assert get(hash_table, "z") == item("z")


@pytest.mark.aws_only("ResourceNotFound text: AWS 'Requested resource not found'; DynamoDB Local "
                      "'Cannot do operations on a non-existent table' for a statement of a batch. Evidence: "
                      + DYNALITE)
def test_batch_missing_table_message(missing_table):
    r = batch([select(missing_table, "a")])
    assert r.status == 200, r
    assert r.json["Responses"] == [{"Error": error("ResourceNotFound", "Requested resource not found")}]


# ------------------------------------------------------------------ request-level errors

@pytest.mark.parametrize("order", ["read_first", "write_first"])
def test_batch_mixing_reads_and_writes(hash_table, order):
    statements = [select(hash_table, "a"), insert(hash_table, "d")]
    if order == "write_first":
        statements.reverse()
    assert_error(batch(statements), 400, "ValidationException", MIXED_BATCH)
    assert get(hash_table, "d") is None


def test_batch_mixing_ignores_statements_that_do_not_parse(hash_table):
    # The kind of the batch is that of its first statement that parses.
    r = batch([st("SELEC * FRM x"), insert(hash_table, "d"), select(hash_table, "a")])
    assert_error(r, 400, "ValidationException", MIXED_BATCH)
    r = batch([st("SELEC * FRM x"), insert(hash_table, "d")])
    assert r.status == 200, r
    assert r.json["Responses"][1] == {"TableName": hash_table}


def test_batch_25_statements_are_allowed(hash_table):
    r = batch([insert(hash_table, "w%d" % i) for i in range(25)])
    assert r.status == 200, r
    assert r.json["Responses"] == [{"TableName": hash_table}] * 25
    r = batch([select(hash_table, "w%d" % i) for i in range(25)])
    assert r.status == 200, r
    assert [x["Item"] for x in r.json["Responses"]] == [item("w%d" % i) for i in range(25)]


def test_batch_more_than_25_reads(hash_table):
    r = batch([select(hash_table, "k%d" % i) for i in range(26)])
    assert_error(r, 400, "ValidationException", TOO_MANY_READS)


def test_batch_more_than_25_writes(hash_table):
    r = batch([insert(hash_table, "w%d" % i) for i in range(26)])
    assert_error(r, 400, "ValidationException", TOO_MANY_WRITES)
    assert get(hash_table, "w0") is None


def test_batch_mixing_is_checked_before_the_count(hash_table):
    r = batch([select(hash_table, "k%d" % i) for i in range(25)] + [insert(hash_table, "d")])
    assert_error(r, 400, "ValidationException", MIXED_BATCH)


def test_batch_count_is_checked_before_duplicates(hash_table):
    assert_error(batch([select(hash_table, "a")] * 26), 400, "ValidationException", TOO_MANY_READS)


@pytest.mark.parametrize("body", [
    {}, {"Statements": []}, {"Statements": [{}]}, {"Statements": [{"Statement": ""}]},
], ids=["missing", "empty_list", "no_statement", "empty_statement"])
def test_batch_empty(body):
    assert_error(call("BatchExecuteStatement", body), 400, "ValidationException", EMPTY_BATCH)


def test_batch_statement_longer_than_8192(hash_table):
    r = batch([select(hash_table, "x" * 8200)])
    assert_error(r, 400, "ValidationException")
    assert r.error_message.endswith("Member must have length less than or equal to 8192"), r


def test_batch_duplicate_reads(hash_table):
    q = 'SELECT * FROM "%s" WHERE pk = ?' % hash_table
    r = batch([select(hash_table, "a"), st(q, [{"S": "a"}])])
    assert_error(r, 400, "ValidationException", DUPLICATES)
    # Duplicates are checked before a missing table or a SELECT not fixing the key.
    r = batch([select(hash_table, "a"), select(hash_table, "a"), select("nope_" + hash_table, "a")])
    assert_error(r, 400, "ValidationException", DUPLICATES)
    r = batch([select(hash_table, "a"), select(hash_table, "a"), st('SELECT * FROM "%s"' % hash_table)])
    assert_error(r, 400, "ValidationException", DUPLICATES)


def test_batch_duplicate_writes(hash_table):
    r = batch([st("UPDATE \"%s\" SET v = 5 WHERE pk = 'zz'" % hash_table),
               st("DELETE FROM \"%s\" WHERE pk = 'zz'" % hash_table)])
    assert_error(r, 400, "ValidationException", DUPLICATES)
    assert get(hash_table, "zz") is None


@pytest.mark.aws_only("DynamoDB Local 3.3.0 applies the other writes of a batch that it then rejects with "
                      "'Provided list of item keys contains duplicates'. A request-level ValidationException "
                      "rejects the whole request, as for BatchWriteItem (AWS API Reference BatchWriteItem: "
                      "two requests on one item reject the entire batch)")
def test_batch_duplicate_writes_write_nothing(hash_table):
    put(hash_table, item("a", v=1))
    r = batch([insert(hash_table, "x"), st("UPDATE \"%s\" SET v = 11 WHERE pk = 'a'" % hash_table),
               st("DELETE FROM \"%s\" WHERE pk = 'a'" % hash_table)])
    assert_error(r, 400, "ValidationException", DUPLICATES)
    assert get(hash_table, "x") is None
    assert get(hash_table, "a") == item("a", v=1)


def test_batch_same_key_in_two_tables_is_not_a_duplicate(hash_table, make_table):
    other = make_table("S")
    put(hash_table, item("a", v=1))
    put(other, item("a", v=2))
    r = batch([select(hash_table, "a"), select(other, "a")])
    assert r.status == 200, r
    assert r.json["Responses"] == [{"TableName": hash_table, "Item": item("a", v=1)},
                                   {"TableName": other, "Item": item("a", v=2)}]


# ------------------------------------------------------------------ capacity and enums

@pytest.mark.parametrize("rcc", [None, "NONE"])
def test_batch_no_consumed_capacity_unless_asked(hash_table, rcc):
    extra = {} if rcc is None else {"ReturnConsumedCapacity": rcc}
    r = batch([insert(hash_table, "a")], **extra)
    assert r.status == 200, r
    assert r.json == {"Responses": [{"TableName": hash_table}]}


@pytest.mark.aws_only("DynamoDB Local leaves out ConsumedCapacity of BatchExecuteStatement whatever "
                      "ReturnConsumedCapacity says; the response syntax and TOTAL ('the aggregate "
                      "ConsumedCapacity for the operation') are in " + DOC_BES)
@pytest.mark.parametrize("kind", ["read", "write"])
def test_batch_return_consumed_capacity_total(hash_table, kind):
    put(hash_table, item("a"))
    stmt = select(hash_table, "a") if kind == "read" else insert(hash_table, "b")
    r = batch([stmt], ReturnConsumedCapacity="TOTAL")
    assert r.status == 200, r
    cc = r.json["ConsumedCapacity"]
    assert isinstance(cc, list) and cc, r
    assert all(c["TableName"] == hash_table and c["CapacityUnits"] > 0 for c in cc), r


@pytest.mark.aws_only("DynamoDB Local answers HTTP 500 InternalFailure to a ReturnValuesOnConditionCheckFailure "
                      "that is not ALL_OLD or NONE (the valid values in " + DOC_BES + ")")
def test_batch_return_values_on_condition_check_failure_invalid(hash_table):
    r = batch([st("UPDATE \"%s\" SET w = 2 WHERE pk = 'a'" % hash_table,
                  ReturnValuesOnConditionCheckFailure="hi")])
    assert_error(r, 400, "ValidationException")


def test_boto3_batch_execute_statement(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=item("a", v=1))
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": 'SELECT v FROM "%s" WHERE pk = ?' % hash_table, "Parameters": [{"S": "a"}]},
        {"Statement": 'SELECT * FROM "%s"' % hash_table}])
    assert r["Responses"] == [
        {"TableName": hash_table, "Item": {"v": {"N": "1"}}},
        {"Error": {"Code": "ValidationError", "Message": SINGLE_ITEM_SELECT}},
    ]


# ================================================================== ExecuteTransaction

# ------------------------------------------------------------------ writes

def test_tx_writes_apply(hash_table, range_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    r = transact([st("INSERT INTO \"%s\" VALUE {'pk': 'c', 'v': 3}" % hash_table),
                  st("UPDATE \"%s\" SET v = 10 WHERE pk = 'a'" % hash_table),
                  st("DELETE FROM \"%s\" WHERE pk = 'b'" % hash_table),
                  st("DELETE FROM \"%s\" WHERE pk = 'never-there'" % hash_table),
                  st('INSERT INTO "%s" VALUE {\'pk\': ?, \'sk\': ?}' % range_table, [{"S": "a"}, {"S": "s"}])])
    assert r.status == 200, r
    assert r.json == {"Responses": []}
    assert get(hash_table, "a") == item("a", v=10)
    assert get(hash_table, "b") is None
    assert get(hash_table, "c") == item("c", v=3)
    assert get(range_table, "a", "s") == {"pk": {"S": "a"}, "sk": {"S": "s"}}


def test_tx_failed_condition_cancels_everything(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    r = transact([insert(hash_table, "d"),
                  st("UPDATE \"%s\" SET v = 11 WHERE pk = 'a' AND v = 5" % hash_table),
                  st("DELETE FROM \"%s\" WHERE pk = 'b'" % hash_table),
                  st("UPDATE \"%s\" SET v = 1 WHERE pk = 'missing'" % hash_table)])
    cancelled(r, [{"Code": "None"}, error("ConditionalCheckFailed", CONDITION_FAILED), {"Code": "None"},
                  error("ConditionalCheckFailed", CONDITION_FAILED)])
    assert get(hash_table, "d") is None
    assert get(hash_table, "a") == item("a", v=1)
    assert get(hash_table, "b") == item("b", v=2)
    assert get(hash_table, "missing") is None


def test_tx_duplicate_insert_is_a_validation_error_reason(hash_table):
    put(hash_table, item("c", v=3))
    r = transact([insert(hash_table, "d"), st("INSERT INTO \"%s\" VALUE {'pk': 'c'}" % hash_table)])
    cancelled(r, [{"Code": "None"}, error("ValidationError", DUPLICATE_ITEM)])
    assert get(hash_table, "d") is None
    assert get(hash_table, "c") == item("c", v=3)


def test_tx_return_values_on_condition_check_failure_all_old(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    put(hash_table, item("c", v=3))
    put(hash_table, item("d", v=4))
    r = transact([st("UPDATE \"%s\" SET v = 11 WHERE pk = 'a' AND v = 5" % hash_table,
                     ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                  st("DELETE FROM \"%s\" WHERE pk = 'b' AND v = 99" % hash_table,
                     ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                  st("UPDATE \"%s\" SET v = 11 WHERE pk = 'c' AND v = 5" % hash_table,
                     ReturnValuesOnConditionCheckFailure="NONE"),
                  st("INSERT INTO \"%s\" VALUE {'pk': 'd', 'v': 9}" % hash_table,
                     ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                  st("INSERT INTO \"%s\" VALUE {'pk': 'n'}" % hash_table,
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")])
    cancelled(r, [error("ConditionalCheckFailed", CONDITION_FAILED, Item=item("a", v=1)),
                  error("ConditionalCheckFailed", CONDITION_FAILED, Item=item("b", v=2)),
                  error("ConditionalCheckFailed", CONDITION_FAILED),
                  error("ValidationError", DUPLICATE_ITEM),          # no Item for a duplicate INSERT
                  {"Code": "None"}])
    assert get(hash_table, "n") is None
    assert get(hash_table, "d") == item("d", v=4)


def test_tx_write_key_errors_are_cancellation_reasons(hash_table, range_table):
    wrong_type = error("ValidationError",
                       "Key attribute's data type should match its data type in table's schema: Key pk")
    # Keys are checked first: only the first bad key is a reason, every other statement is 'None'.
    r = transact([st("INSERT INTO \"%s\" VALUE {'pk': 'b'}" % range_table),
                  st("INSERT INTO \"%s\" VALUE {'pk': 5}" % hash_table),
                  insert(hash_table, "ok")])
    cancelled(r, [error("ValidationError", "Key attribute should be present in the item: Key sk"),
                  {"Code": "None"}, {"Code": "None"}])
    assert get(hash_table, "ok") is None
    # ... and before conditions and duplicate INSERTs, which then are not reported.
    put(hash_table, item("a", v=1))
    r = transact([insert(hash_table, "a"),
                  st("UPDATE \"%s\" SET v = 2 WHERE pk = 'x' AND v = 9" % hash_table),
                  st("INSERT INTO \"%s\" VALUE {'pk': 6}" % hash_table)])
    cancelled(r, [{"Code": "None"}, {"Code": "None"}, wrong_type])


def test_tx_update_not_fixing_the_full_key(hash_table, range_table):
    # DynamoDB Local gives a TransactionCanceledException without CancellationReasons here.
    for stmt in ["UPDATE \"%s\" SET x = 1 WHERE pk = 'a'" % range_table,
                 'DELETE FROM "%s" WHERE v = 1' % hash_table]:
        r = transact([st(stmt)])
        assert_error(r, 400, "TransactionCanceledException", "ValidationError " + WHERE_NOT_FULL_KEY)


# ------------------------------------------------------------------ reads

def test_tx_reads(hash_table, range_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("c", v=3, w=4))
    put(range_table, {"pk": {"S": "a"}, "sk": {"S": "s"}})
    r = transact([select(hash_table, "a"),
                  st('SELECT v FROM "%s" WHERE pk = ?' % hash_table, [{"S": "c"}]),
                  select(hash_table, "nothing"),
                  st("SELECT * FROM \"%s\" WHERE sk = 's' AND pk = 'a'" % range_table)])
    assert r.status == 200, r
    # No TableName in a transaction's responses; a missing item is {}.
    assert r.json == {"Responses": [{"Item": item("a", v=1)}, {"Item": {"v": {"N": "3"}}}, {},
                                    {"Item": {"pk": {"S": "a"}, "sk": {"S": "s"}}}]}


def test_tx_select_not_fixing_the_full_key(hash_table, range_table):
    for stmt in ["SELECT * FROM \"%s\" WHERE pk = 'a'" % range_table,
                 'SELECT * FROM "%s"' % hash_table,
                 'SELECT * FROM "%s" WHERE v = 1' % hash_table]:
        assert_error(transact([st(stmt)]), 400, "ValidationException", TX_SELECT_KEY % 0)
    # The index is 0-based and names the statement.
    r = transact([select(hash_table, "a"), select(hash_table, "b"), st('SELECT * FROM "%s"' % hash_table)])
    assert_error(r, 400, "ValidationException", TX_SELECT_KEY % 2)


# ------------------------------------------------------------------ EXISTS condition checks

def test_tx_exists_condition_check_passes(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    r = transact([st("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a' AND v = 1)" % hash_table),
                  st("UPDATE \"%s\" SET w = 1 WHERE pk = 'b'" % hash_table)])
    assert r.status == 200, r
    assert r.json == {"Responses": []}
    assert get(hash_table, "b") == item("b", v=2, w=1)
    assert get(hash_table, "a") == item("a", v=1)


def test_tx_exists_condition_check_fails(hash_table):
    put(hash_table, item("a", v=1))
    put(hash_table, item("b", v=2))
    r = transact([st("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a' AND v = 2)" % hash_table),
                  st("UPDATE \"%s\" SET w = 1 WHERE pk = 'b'" % hash_table)])
    # The EXISTS message has a full stop, unlike that of a failed UPDATE/DELETE condition.
    cancelled(r, [error("ConditionalCheckFailed", "The conditional request failed."), {"Code": "None"}])
    assert get(hash_table, "b") == item("b", v=2)


def test_tx_exists_needs_a_condition_besides_the_key(hash_table):
    put(hash_table, item("a", v=1))
    r = transact([st("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a')" % hash_table),
                  st("UPDATE \"%s\" SET w = 1 WHERE pk = 'a'" % hash_table)])
    assert_error(r, 400, "ValidationException", TX_EXISTS_CONDITION % 0)
    r = transact([st("UPDATE \"%s\" SET w = 1 WHERE pk = 'b'" % hash_table),
                  st("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a')" % hash_table)])
    assert_error(r, 400, "ValidationException", TX_EXISTS_CONDITION % 1)
    assert get(hash_table, "a") == item("a", v=1)


def test_tx_exists_counts_as_a_write(hash_table):
    for statements in ([st("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a' AND v = 1)" % hash_table),
                        select(hash_table, "b")],
                       [select(hash_table, "b"),
                        st("EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a' AND v = 1)" % hash_table)]):
        assert_error(transact(statements), 400, "ValidationException", MIXED_TX)


def test_tx_not_exists_is_unsupported(hash_table):
    r = transact([st("NOT EXISTS(SELECT * FROM \"%s\" WHERE pk = 'a' AND v = 1)" % hash_table),
                  st("UPDATE \"%s\" SET w = 2 WHERE pk = 'b'" % hash_table)])
    assert_error(r, 400, "ValidationException", "Unsupported operation in transaction.")


# ------------------------------------------------------------------ request-level errors

@pytest.mark.parametrize("order", ["read_first", "write_first"])
def test_tx_mixing_reads_and_writes(hash_table, order):
    put(hash_table, item("c"))
    statements = [select(hash_table, "a"), st("DELETE FROM \"%s\" WHERE pk = 'c'" % hash_table)]
    if order == "write_first":
        statements.reverse()
    assert_error(transact(statements), 400, "ValidationException", MIXED_TX)
    assert get(hash_table, "c") == item("c")


def test_tx_100_statements_are_allowed(hash_table):
    r = transact([insert(hash_table, "w%d" % i) for i in range(100)])
    assert r.status == 200, r
    r = transact([select(hash_table, "w%d" % i) for i in range(100)])
    assert r.status == 200, r
    assert [x["Item"] for x in r.json["Responses"]] == [item("w%d" % i) for i in range(100)]


@pytest.mark.parametrize("kind", ["writes", "reads", "mixed", "unparseable"])
def test_tx_more_than_100_statements(hash_table, kind):
    # The count is checked before the statements are parsed or compared.
    statements = {
        "writes": [insert(hash_table, "w%d" % i) for i in range(101)],
        "reads": [select(hash_table, "w%d" % i) for i in range(101)],
        "mixed": [select(hash_table, "a")] + [insert(hash_table, "w%d" % i) for i in range(100)],
        "unparseable": [st("DELETE FROM")] * 101,
    }[kind]
    r = transact(statements)
    assert_error(r, 400, "ValidationException")
    assert r.error_message.endswith("Member must have length less than or equal to 100"), r
    assert get(hash_table, "w0") is None


@pytest.mark.parametrize("body", [
    {}, {"TransactStatements": []}, {"TransactStatements": [{}]},
    {"TransactStatements": [{"Statement": ""}]},
], ids=["missing", "empty_list", "no_statement", "empty_statement"])
def test_tx_empty(body):
    assert_error(call("ExecuteTransaction", body), 400, "ValidationException", EMPTY_TX)


def test_tx_statement_longer_than_8192(hash_table):
    r = transact([select(hash_table, "x" * 8200)])
    assert_error(r, 400, "ValidationException")
    assert r.error_message.endswith("Member must have length less than or equal to 8192"), r


def test_tx_syntax_error_rejects_the_whole_request(hash_table):
    r = transact([insert(hash_table, "c"), st('UPDAT "%s" SET v = 1 WHERE pk = \'a\'' % hash_table)])
    assert_error(r, 400, "ValidationException")
    assert r.error_message.startswith(NOT_WELL_FORMED), r
    assert get(hash_table, "c") is None


def test_tx_missing_table(hash_table, missing_table):
    r = transact([insert(hash_table, "c"), st("UPDATE \"%s\" SET v = 1 WHERE pk = 'a'" % missing_table)])
    assert_error(r, 400, "ResourceNotFoundException", "Requested resource not found")
    assert get(hash_table, "c") is None
    r = transact([select(hash_table, "a"), select(missing_table, "a")])
    assert_error(r, 400, "ResourceNotFoundException", "Requested resource not found")


def test_tx_parameter_count(hash_table):
    r = transact([st("DELETE FROM \"%s\" WHERE pk = 'a'" % hash_table),
                  st('UPDATE "%s" SET w = ? WHERE pk = ?' % hash_table, [{"N": "1"}])])
    assert_error(r, 400, "ValidationException",
                 "Validation failed in TransactStatements[1]: " + PARAM_COUNT)


def test_tx_returning_is_rejected(hash_table):
    put(hash_table, item("b", v=2))
    for stmt in ["UPDATE \"%s\" SET w = 7 WHERE pk = 'b' RETURNING ALL NEW *" % hash_table,
                 "DELETE FROM \"%s\" WHERE pk = 'b' RETURNING ALL OLD *" % hash_table]:
        assert_error(transact([st(stmt)]), 400, "ValidationException", TX_RETURNING % 0)
    assert get(hash_table, "b") == item("b", v=2)


def test_tx_return_values_on_condition_check_failure_invalid(hash_table):
    r = transact([st("UPDATE \"%s\" SET w = 1 WHERE pk = 'a'" % hash_table,
                     ReturnValuesOnConditionCheckFailure="hi")])
    assert_error(r, 400, "ValidationException")


# ------------------------------------------------------------------ same item twice

def test_tx_two_statements_on_one_item(hash_table):
    put(hash_table, item("a", v=1))
    for statements in (
        [st("UPDATE \"%s\" SET v = 2 WHERE pk = 'a'" % hash_table),
         st("DELETE FROM \"%s\" WHERE pk = 'a'" % hash_table)],
        # a literal and a parameter naming the same key
        [insert(hash_table, "n"), st('UPDATE "%s" SET w = 1 WHERE pk = ?' % hash_table, [{"S": "n"}])],
        [select(hash_table, "a"), select(hash_table, "a")],
        # checked before the conditions are evaluated
        [st("UPDATE \"%s\" SET v = 11 WHERE pk = 'a' AND v = 5" % hash_table),
         st("DELETE FROM \"%s\" WHERE pk = 'a' AND v = 3" % hash_table)],
    ):
        assert_error(transact(statements), 400, "ValidationException", SAME_ITEM)
    assert get(hash_table, "a") == item("a", v=1)
    assert get(hash_table, "n") is None


def test_tx_same_key_in_two_tables_is_allowed(hash_table, make_table):
    other = make_table("S")
    r = transact([insert(hash_table, "a"), insert(other, "a")])
    assert r.status == 200, r
    assert get(hash_table, "a") == item("a")
    assert get(other, "a") == item("a")


def test_tx_validation_order(hash_table, missing_table):
    # A missing table, then the checks of each statement, then one item twice.
    r = transact([st("DELETE FROM \"%s\" WHERE pk = 'a'" % missing_table),
                  st("DELETE FROM \"%s\" WHERE pk = 'q'" % hash_table),
                  st("DELETE FROM \"%s\" WHERE pk = 'q'" % hash_table)])
    assert_error(r, 400, "ResourceNotFoundException")
    r = transact([select(hash_table, "a"), select(hash_table, "a"), st('SELECT * FROM "%s"' % hash_table)])
    assert_error(r, 400, "ValidationException", TX_SELECT_KEY % 2)
    r = transact([st("DELETE FROM \"%s\" WHERE pk = 'a'" % hash_table),
                  st("DELETE FROM \"%s\" WHERE pk = 'a'" % hash_table),
                  st("UPDATE \"%s\" SET x = 1 WHERE pk = 'z' RETURNING ALL NEW *" % hash_table)])
    assert_error(r, 400, "ValidationException", TX_RETURNING % 2)
    # A statement that does not parse is reported before one item twice.
    r = transact([st("DELETE FROM \"%s\" WHERE pk = 'q'" % hash_table),
                  st("DELETE FROM \"%s\" WHERE pk = 'q'" % hash_table), st("DELETE FROM")])
    assert_error(r, 400, "ValidationException")
    assert r.error_message.startswith(NOT_WELL_FORMED), r


# ------------------------------------------------------------------ ClientRequestToken

def test_tx_client_request_token_applies_once(hash_table):
    put(hash_table, item("a", v=1))
    token = "tok-" + hash_table[-20:]
    statements = [st("UPDATE \"%s\" SET v = v + 1 WHERE pk = 'a'" % hash_table)]
    for _ in range(2):
        r = transact(statements, ClientRequestToken=token)
        assert r.status == 200, r
        assert r.json == {"Responses": []}
    assert get(hash_table, "a") == item("a", v=2)


def test_tx_client_request_token_with_other_statements(hash_table):
    put(hash_table, item("a", v=1))
    token = "tok-" + hash_table[-20:]
    r = transact([st("UPDATE \"%s\" SET v = v + 1 WHERE pk = 'a'" % hash_table)], ClientRequestToken=token)
    assert r.status == 200, r
    r = transact([st("UPDATE \"%s\" SET v = v + 5 WHERE pk = 'a'" % hash_table)], ClientRequestToken=token)
    assert_error(r, 400, "IdempotentParameterMismatchException", IDEMPOTENT_MISMATCH)
    assert get(hash_table, "a") == item("a", v=2)


def test_tx_different_tokens_apply_twice(hash_table):
    put(hash_table, item("a", v=1))
    statements = [st("UPDATE \"%s\" SET v = v + 1 WHERE pk = 'a'" % hash_table)]
    for token in ["t1-" + hash_table[-20:], "t2-" + hash_table[-20:]]:
        assert transact(statements, ClientRequestToken=token).status == 200
    assert get(hash_table, "a") == item("a", v=3)


@pytest.mark.aws_only("DynamoDB Local takes a ClientRequestToken of any length; its length constraints "
                      "(1 to 36) are in " + DOC_ET)
def test_tx_client_request_token_longer_than_36(hash_table):
    r = transact([insert(hash_table, "a")], ClientRequestToken=(hash_table + "x" * 37)[:37])
    assert_error(r, 400, "ValidationException")
    assert get(hash_table, "a") is None


# ------------------------------------------------------------------ capacity

@pytest.mark.parametrize("rcc", [None, "NONE"])
def test_tx_no_consumed_capacity_unless_asked(hash_table, rcc):
    extra = {} if rcc is None else {"ReturnConsumedCapacity": rcc}
    put(hash_table, item("a"))
    r = transact([select(hash_table, "a")], **extra)
    assert r.status == 200, r
    assert r.json == {"Responses": [{"Item": item("a")}]}


@pytest.mark.aws_only("DynamoDB Local leaves out ConsumedCapacity of ExecuteTransaction whatever "
                      "ReturnConsumedCapacity says; the response member ConsumedCapacity is in " + DOC_ET)
@pytest.mark.parametrize("kind", ["read", "write"])
def test_tx_return_consumed_capacity_total(hash_table, kind):
    put(hash_table, item("a"))
    stmt = select(hash_table, "a") if kind == "read" else insert(hash_table, "b")
    r = transact([stmt], ReturnConsumedCapacity="TOTAL")
    assert r.status == 200, r
    cc = r.json["ConsumedCapacity"]
    assert isinstance(cc, list) and cc, r
    assert all(c["TableName"] == hash_table and c["CapacityUnits"] > 0 for c in cc), r


# ------------------------------------------------------------------ boto3

def test_boto3_execute_transaction(ddb, hash_table):
    # boto3 fills in ClientRequestToken itself.
    ddb.put_item(TableName=hash_table, Item=item("a", v=1))
    ddb.execute_transaction(TransactStatements=[
        {"Statement": 'UPDATE "%s" SET v = ? WHERE pk = ?' % hash_table, "Parameters": [{"N": "2"}, {"S": "a"}]}])
    r = ddb.execute_transaction(TransactStatements=[
        {"Statement": 'SELECT v FROM "%s" WHERE pk = ?' % hash_table, "Parameters": [{"S": "a"}]}])
    assert r["Responses"] == [{"Item": {"v": {"N": "2"}}}]
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "UPDATE \"%s\" SET v = 3 WHERE pk = 'a' AND v = 100" % hash_table}])
    assert e.value.response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED}]
