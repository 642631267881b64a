"""PartiQL ExecuteStatement (one statement per request): SELECT, INSERT, UPDATE and DELETE,
each compared with the equivalent GetItem/Query/Scan/PutItem/UpdateItem/DeleteItem, plus the
validation and error answers.

The expected values were recorded from DynamoDB Local 3.3.0. Some points that are easy to get
wrong:
- Every successful answer has `Items`, also for writes (`[]`). DynamoDB Local never returns
  `LastEvaluatedKey`; a page that was cut by `Limit` carries an opaque `NextToken`.
- `Limit` counts the items read before the WHERE filter, as Query/Scan do, so a page may be
  empty and still have a `NextToken`. A page that stops exactly at `Limit` has a `NextToken`
  too (the next page is then empty).
- WHERE terms that are not key conditions act like a FilterExpression: `x <> 1`,
  `NOT (x = 1)`, `NOT x IN [...]`, `x <> NULL` and `x IS NOT NULL` are TRUE for an item
  without `x`; `x < 2` etc. are false for a missing `x` or an `x` of another type.
- A projected document path is returned under its last component: `a.b[0]` comes back as
  the top-level attribute `"b[0]"`, `a.c` as `"c"`; an item with none of the projected
  attributes comes back as `{}`.
- UPDATE never creates an item (ConditionalCheckFailedException); DELETE of a missing item
  succeeds even when its extra WHERE terms could not hold.
"""
import base64
import json
import re

import pytest

from support import DYNALITE, MOTO, assert_error, call

VE = "ValidationException"
CCF = "ConditionalCheckFailedException"
CCF_MSG = "The conditional request failed"
NOT_FULL_KEY = "Where clause does not contain a mandatory equality on all key attributes"
KEY_TYPE = "Key attribute's data type should match its data type in table's schema: Key %s"
PARAM_COUNT = "Number of parameters in request and statement don't match."
DOC_EXECUTE = ("AWS API Reference ExecuteStatement "
               "(docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExecuteStatement.html)")


# ------------------------------------------------------------------ helpers

def ex(statement, **extra):
    body = {"Statement": statement}
    body.update(extra)
    return call("ExecuteStatement", body)


def items(resp):
    assert resp.status == 200, resp
    return resp.json["Items"]


def put(table, item):
    r = call("PutItem", {"TableName": table, "Item": item})
    assert r.status == 200, r


def get(table, key):
    r = call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
    assert r.status == 200, r
    return r.json.get("Item")


def query(table, cond, values, **extra):
    body = {"TableName": table, "KeyConditionExpression": cond,
            "ExpressionAttributeValues": values}
    body.update(extra)
    r = call("Query", body)
    assert r.status == 200, r
    return r.json


def scan_all(table, **extra):
    out, start = [], None
    while True:
        body = {"TableName": table}
        body.update(extra)
        if start:
            body["ExclusiveStartKey"] = start
        r = call("Scan", body)
        assert r.status == 200, r
        out += r.json["Items"]
        start = r.json.get("LastEvaluatedKey")
        if not start:
            return out


def pages(statement, **extra):
    """Every page of a SELECT, following NextToken until it is gone."""
    out, token = [], None
    for _ in range(100):
        body = dict(extra)
        if token:
            body["NextToken"] = token
        r = ex(statement, **body)
        assert r.status == 200, r
        out.append(r.json["Items"])
        token = r.json.get("NextToken")
        if not token:
            return out
        assert isinstance(token, str) and token
    raise AssertionError("NextToken never ran out")


def norm(value):
    """Order-insensitive form of an AttributeValue map (sets compare as sets)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS", "BS"):
                out[k] = sorted(v)
            else:
                out[k] = norm(v)
        return out
    if isinstance(value, list):
        return [norm(v) for v in value]
    return value


def as_set(item_list):
    return sorted(json.dumps(norm(i), sort_keys=True) for i in item_list)


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def b64(data):
    return base64.b64encode(data).decode()


# ------------------------------------------------------------------ fixtures

# Partition 'a' of the filter table: sort key -> other attributes. x is missing, NULL,
# numbers 0..4 and the string '1'; nm and tg exercise the functions.
FILTER_ITEMS = {
    "m": {},
    "nul": {"x": {"NULL": True}},
    "s0": {"x": N(0), "nm": S("hello"), "tg": {"SS": ["x", "y"]}},
    "s1": {"x": N(1), "nm": S("help"), "tg": {"L": [S("x")]}},
    "s2": {"x": N(2), "nm": N(7)},
    "s3": {"x": N(3)},
    "s4": {"x": N(4)},
    "str": {"x": S("1"), "nm": S("x")},
}
ALL_SK = sorted(FILTER_ITEMS)


@pytest.fixture
def filter_table(range_table):
    for sk, attrs in FILTER_ITEMS.items():
        item = {"pk": S("a"), "sk": S(sk)}
        item.update(attrs)
        put(range_table, item)
    put(range_table, {"pk": S("b"), "sk": S("s1"), "x": N(1)})
    return range_table


@pytest.fixture
def indexed_table(make_table):
    """pk (S) + sk (N), GSI 'gsi' on g (hash only, ALL), LSI 'lsi' on l (KEYS_ONLY)."""
    table = make_table(
        "S", "N",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "l", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "gsi",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        LocalSecondaryIndexes=[{
            "IndexName": "lsi",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
    )
    for item in [
        {"pk": S("p"), "sk": N(1), "g": S("G1"), "l": N(30),
         "a": {"M": {"b": {"L": [S("first"), N(2)]}, "c": S("cc")}}, "quoted name": S("qv")},
        {"pk": S("p"), "sk": N(2), "g": S("G1"), "l": N(20)},
        {"pk": S("p"), "sk": N(3), "g": S("G2"), "l": N(10), "ll": {"L": [S("x")]}},
        {"pk": S("q"), "sk": N(1), "g": S("G1")},
    ]:
        put(table, item)
    return table


SORT_KEYS = ["a", "aa", "aab", "ab", "abc", "ac", "b"]


@pytest.fixture
def sorted_table(range_table):
    """Partition 'p' with SORT_KEYS (and v = index), partition 'pp' with one item."""
    for i, k in enumerate(SORT_KEYS):
        put(range_table, {"pk": S("p"), "sk": S(k), "v": N(i)})
    put(range_table, {"pk": S("pp"), "sk": S("a"), "v": N(99)})
    return range_table


# ------------------------------------------------------------------ SELECT: key lookups

def test_select_full_key_matches_get_item(filter_table):
    r = ex('SELECT * FROM "%s" WHERE pk = \'a\' AND sk = \'s0\'' % filter_table)
    assert r.json.keys() == {"Items"}
    assert items(r) == [get(filter_table, {"pk": S("a"), "sk": S("s0")})]


def test_select_full_key_of_missing_item_is_empty(filter_table):
    r = ex('SELECT * FROM "%s" WHERE pk = \'a\' AND sk = \'nope\'' % filter_table)
    assert r.status == 200 and r.json == {"Items": []}


def test_select_keywords_are_case_insensitive_and_quotes_optional(filter_table):
    expected = [get(filter_table, {"pk": S("a"), "sk": S("s1")})]
    for stmt in ["select * from \"%s\" where pk = 'a' and sk = 's1'",
                 "SELECT * FROM %s WHERE pk = 'a' AND sk = 's1'",
                 "SELECT * FROM \"%s\" WHERE \"pk\" = 'a' AND \"sk\" = 's1'",
                 "SELECT * FROM \"%s\" WHERE 'a' = pk AND 's1' = sk"]:
        assert items(ex(stmt % filter_table)) == expected, stmt


def test_select_attribute_names_are_case_sensitive_and_double_quotes_are_names(filter_table):
    # PK is another attribute (so this is a scan that matches nothing); "a" is the
    # attribute named a, not the string 'a'.
    assert items(ex('SELECT * FROM "%s" WHERE PK = \'a\'' % filter_table)) == []
    assert items(ex('SELECT * FROM "%s" WHERE pk = "a"' % filter_table)) == []


def test_select_projection_with_nested_paths_and_quoted_names(indexed_table):
    r = ex('SELECT a.b[0], "quoted name", a.c, sk FROM "%s" WHERE pk = \'p\' AND sk = 1'
           % indexed_table)
    assert items(r) == [{"b[0]": S("first"), "quoted name": S("qv"), "c": S("cc"), "sk": N(1)}]
    r = ex('SELECT "a"."c" FROM "%s" WHERE pk = \'p\' AND sk = 1' % indexed_table)
    assert items(r) == [{"c": S("cc")}]


def test_select_projection_of_missing_paths_gives_empty_maps(indexed_table):
    r = ex('SELECT ll[0], a.b[5] FROM "%s" WHERE pk = \'p\'' % indexed_table)
    assert items(r) == [{}, {}, {"ll[0]": S("x")}]
    r = ex('SELECT a.z.y FROM "%s" WHERE pk = \'p\' AND sk = 1' % indexed_table)
    assert items(r) == [{}]


def test_select_projection_paths_must_not_overlap(indexed_table):
    assert_error(ex('SELECT a, a.c FROM "%s" WHERE pk = \'p\' AND sk = 1' % indexed_table),
                 400, VE, "Two document paths overlap with each other; must remove or rewrite "
                          "one of these paths; path one: [a, c], path two: [a]")


# ------------------------------------------------------------------ SELECT: partition (Query)

@pytest.mark.parametrize("partiql,key_condition,values", [
    ("", "", {}),
    ("AND sk = 'ab'", "AND sk = :a", {":a": S("ab")}),
    ("AND sk < 'ab'", "AND sk < :a", {":a": S("ab")}),
    ("AND sk <= 'ab'", "AND sk <= :a", {":a": S("ab")}),
    ("AND sk > 'ab'", "AND sk > :a", {":a": S("ab")}),
    ("AND sk >= 'ab'", "AND sk >= :a", {":a": S("ab")}),
    ("AND sk BETWEEN 'aab' AND 'ac'", "AND sk BETWEEN :a AND :b", {":a": S("aab"), ":b": S("ac")}),
    ("AND begins_with(sk, 'ab')", "AND begins_with(sk, :a)", {":a": S("ab")}),
    ("AND sk >= 'aa' AND sk < 'ac'", "AND sk BETWEEN :a AND :b", {":a": S("aa"), ":b": S("abc")}),
], ids=["partition", "eq", "lt", "le", "gt", "ge", "between", "begins_with", "ge_and_lt"])
def test_select_partition_matches_query(sorted_table, partiql, key_condition, values):
    got = items(ex('SELECT * FROM "%s" WHERE pk = \'p\' %s' % (sorted_table, partiql)))
    values = dict(values, **{":p": S("p")})
    expected = query(sorted_table, "pk = :p " + key_condition, values)["Items"]
    assert got == expected
    assert got  # every case matches something


def test_select_partition_in_list_and_or(sorted_table):
    got = items(ex('SELECT sk, v FROM "%s" WHERE pk IN [\'p\', \'pp\'] AND sk = \'a\''
                   % sorted_table))
    assert sorted(i["v"]["N"] for i in got) == ["0", "99"]
    got = items(ex('SELECT sk FROM "%s" WHERE pk = \'p\' AND (sk = \'a\' OR sk = \'b\')'
                   % sorted_table))
    assert got == [{"sk": S("a")}, {"sk": S("b")}]
    got = items(ex('SELECT sk FROM "%s" WHERE pk = \'p\' AND sk IN [\'ab\', \'aa\', \'zz\']'
                   % sorted_table))
    assert got == [{"sk": S("aa")}, {"sk": S("ab")}]


@pytest.mark.parametrize("direction,forward", [("", True), ("ASC", True), ("DESC", False)])
def test_order_by_sort_key_matches_query(sorted_table, direction, forward):
    got = items(ex('SELECT * FROM "%s" WHERE pk = \'p\' ORDER BY sk %s' % (sorted_table, direction)))
    expected = query(sorted_table, "pk = :p", {":p": S("p")}, ScanIndexForward=forward)["Items"]
    assert got == expected
    assert [i["sk"]["S"] for i in got] == (SORT_KEYS if forward else SORT_KEYS[::-1])


@pytest.mark.aws_only("DynamoDB Local answers 500 InternalFailure for ORDER BY ... DESC when the "
                      "projection does not include the whole primary key (SELECT * and "
                      "SELECT pk, sk work); the developer guide's SELECT syntax allows any "
                      "projection with ORDER BY key DESC")
def test_order_by_desc_with_projection(sorted_table):
    got = items(ex('SELECT sk FROM "%s" WHERE pk = \'p\' ORDER BY sk DESC' % sorted_table))
    assert got == [{"sk": S(k)} for k in SORT_KEYS[::-1]]


@pytest.mark.aws_only("DynamoDB Local pages ORDER BY DESC by reading ascending pages and "
                      "reversing each one (Limit 3 gives [aab, aa, a], [ac, abc, ab], [b]); a "
                      "descending read must return the largest sort keys first")
def test_order_by_desc_pages_follow_descending_order(sorted_table):
    got = pages('SELECT * FROM "%s" WHERE pk = \'p\' ORDER BY sk DESC' % sorted_table, Limit=3)
    assert [i["sk"]["S"] for p in got for i in p] == SORT_KEYS[::-1]
    assert all(len(p) <= 3 for p in got)


def test_order_by_desc_pk_and_sk(sorted_table):
    got = items(ex('SELECT pk, sk FROM "%s" WHERE pk = \'p\' ORDER BY pk, sk DESC' % sorted_table))
    assert [i["sk"]["S"] for i in got] == SORT_KEYS[::-1]


@pytest.mark.parametrize("tail,message", [
    ("WHERE pk = 'p' ORDER BY v",
     "Variable reference v in ORDER BY clause must be part of the primary key"),
    ("ORDER BY sk", "Must have WHERE clause in the statement when using ORDER BY clause."),
    ("WHERE sk = 'a' ORDER BY sk",
     "Must have at least one non-optional hash key condition in WHERE clause when using "
     "ORDER BY clause."),
], ids=["non_key", "no_where", "no_hash_condition"])
def test_order_by_errors(sorted_table, tail, message):
    assert_error(ex('SELECT * FROM "%s" %s' % (sorted_table, tail)), 400, VE, message)


# ------------------------------------------------------------------ SELECT: WHERE semantics

# (PartiQL WHERE term, equivalent FilterExpression, expected sort keys in partition 'a')
FILTER_CASES = [
    ("x = 1", "x = :one", ["s1"]),
    ("x <> 1", "x <> :one", ["m", "nul", "s0", "s2", "s3", "s4", "str"]),
    ("NOT (x = 1)", "NOT (x = :one)", ["m", "nul", "s0", "s2", "s3", "s4", "str"]),
    ("x < 2", "x < :two", ["s0", "s1"]),
    ("x <= 2", "x <= :two", ["s0", "s1", "s2"]),
    ("x > 2", "x > :two", ["s3", "s4"]),
    ("x >= 2", "x >= :two", ["s2", "s3", "s4"]),
    ("NOT (x < 2)", "NOT (x < :two)", ["m", "nul", "s2", "s3", "s4", "str"]),
    ("x BETWEEN 1 AND 3", "x BETWEEN :one AND :three", ["s1", "s2", "s3"]),
    ("NOT x BETWEEN 1 AND 3", "NOT (x BETWEEN :one AND :three)", ["m", "nul", "s0", "s4", "str"]),
    ("x NOT BETWEEN 1 AND 3", "NOT (x BETWEEN :one AND :three)", ["m", "nul", "s0", "s4", "str"]),
    ("x IN [1, '1']", "x IN (:one, :s1)", ["s1", "str"]),
    ("NOT x IN [1, '1']", "NOT (x IN (:one, :s1))", ["m", "nul", "s0", "s2", "s3", "s4"]),
    ("x NOT IN [1]", "NOT (x IN (:one))", ["m", "nul", "s0", "s2", "s3", "s4", "str"]),
    ("(x = 1 OR x = '1')", "x = :one OR x = :s1", ["s1", "str"]),
    ("x > 0 AND x < 4", "x > :zero AND x < :four", ["s1", "s2", "s3"]),
    ("x = '1'", "x = :s1", ["str"]),
    ("x IS MISSING", "attribute_not_exists(x)", ["m"]),
    ("x IS NOT MISSING", "attribute_exists(x)", ["nul", "s0", "s1", "s2", "s3", "s4", "str"]),
    ("NOT (x IS MISSING)", "attribute_exists(x)", ["nul", "s0", "s1", "s2", "s3", "s4", "str"]),
    ("x IS NULL", "attribute_type(x, :tNULL)", ["nul"]),
    ("x IS NOT NULL", "NOT attribute_type(x, :tNULL)", ["m", "s0", "s1", "s2", "s3", "s4", "str"]),
    ("x = NULL", "x = :null", ["nul"]),
    ("x <> NULL", "x <> :null", ["m", "s0", "s1", "s2", "s3", "s4", "str"]),
    ("attribute_type(x, 'S')", "attribute_type(x, :tS)", ["str"]),
    ("NOT attribute_type(x, 'N')", "NOT attribute_type(x, :tN)", ["m", "nul", "str"]),
    ("begins_with(nm, 'hel')", "begins_with(nm, :hel)", ["s0", "s1"]),
    ("NOT begins_with(nm, 'hel')", "NOT begins_with(nm, :hel)", ["m", "nul", "s2", "s3", "s4", "str"]),
    ("contains(nm, 'ell')", "contains(nm, :ell)", ["s0"]),
    ("NOT contains(nm, 'ell')", "NOT contains(nm, :ell)", ["m", "nul", "s1", "s2", "s3", "s4", "str"]),
    ("contains(tg, 'x')", "contains(tg, :x)", ["s0", "s1"]),
    ("size(nm) = 4", "size(nm) = :four", ["s1"]),
    ("size(nm) > 1", "size(nm) > :one", ["s0", "s1"]),
    ("size(tg) = 2", "size(tg) = :two", ["s0"]),
    ("size(tg) = 1", "size(tg) = :one", ["s1"]),
]
FILTER_VALUES = {":zero": N(0), ":one": N(1), ":two": N(2), ":three": N(3), ":four": N(4),
                 ":s1": S("1"), ":null": {"NULL": True}, ":tNULL": S("NULL"), ":tS": S("S"),
                 ":tN": S("N"), ":hel": S("hel"), ":ell": S("ell"), ":x": S("x")}


def _filter_values(expr):
    return {k: v for k, v in FILTER_VALUES.items()
            if k in expr.replace("(", " ").replace(")", " ").replace(",", " ").split()}


@pytest.mark.parametrize("where,filter_expr,expected", FILTER_CASES,
                         ids=[c[0] for c in FILTER_CASES])
def test_where_terms_match_filter_expression(filter_table, where, filter_expr, expected):
    got = items(ex('SELECT sk FROM "%s" WHERE pk = \'a\' AND %s' % (filter_table, where)))
    assert [i["sk"]["S"] for i in got] == expected
    values = dict(_filter_values(filter_expr), **{":p": S("a")})
    q = query(filter_table, "pk = :p", values, FilterExpression=filter_expr,
              ProjectionExpression="sk")
    assert q["Items"] == got


@pytest.mark.parametrize("where,filter_expr", [
    ("x <> 1", "x <> :one"),
    ("x IS NOT NULL", "NOT attribute_type(x, :tNULL)"),
    ("x >= 2", "x >= :two"),
], ids=["ne", "is_not_null", "ge"])
def test_scan_like_where_matches_scan_filter_as_a_set(filter_table, where, filter_expr):
    got = items(ex('SELECT * FROM "%s" WHERE %s' % (filter_table, where)))
    expected = scan_all(filter_table, FilterExpression=filter_expr,
                        ExpressionAttributeValues=_filter_values(filter_expr))
    assert got and as_set(got) == as_set(expected)


def test_select_without_where_matches_scan_as_a_set(filter_table):
    got = items(ex('SELECT * FROM "%s"' % filter_table))
    assert len(got) == len(FILTER_ITEMS) + 1
    assert as_set(got) == as_set(scan_all(filter_table))


# ------------------------------------------------------------------ SELECT: indexes

def test_select_from_gsi_matches_query_and_scan(indexed_table):
    got = items(ex('SELECT * FROM "%s"."gsi" WHERE g = \'G1\'' % indexed_table))
    expected = query(indexed_table, "g = :g", {":g": S("G1")}, IndexName="gsi")["Items"]
    assert len(got) == 3 and as_set(got) == as_set(expected)
    got = items(ex('SELECT pk, sk FROM "%s"."gsi"' % indexed_table))
    expected = scan_all(indexed_table, IndexName="gsi", ProjectionExpression="pk, sk")
    assert len(got) == 4 and as_set(got) == as_set(expected)


@pytest.mark.parametrize("direction,forward", [("", True), ("ORDER BY l DESC", False)])
def test_select_from_lsi_matches_query(indexed_table, direction, forward):
    got = items(ex('SELECT * FROM "%s"."lsi" WHERE pk = \'p\' %s' % (indexed_table, direction)))
    expected = query(indexed_table, "pk = :p", {":p": S("p")}, IndexName="lsi",
                     ScanIndexForward=forward)["Items"]
    assert got == expected
    assert [i["l"]["N"] for i in got] == (["10", "20", "30"] if forward else ["30", "20", "10"])
    assert got[0].keys() == {"pk", "sk", "l"}  # KEYS_ONLY


def test_select_from_lsi_consistent_read(indexed_table):
    got = items(ex('SELECT * FROM "%s"."lsi" WHERE pk = \'p\' AND l = 20' % indexed_table,
                   ConsistentRead=True))
    assert got == [{"pk": S("p"), "sk": N(2), "l": N(20)}]


def test_select_from_unknown_index(indexed_table):
    assert_error(ex('SELECT * FROM "%s"."nope" WHERE g = \'G1\'' % indexed_table), 400, VE,
                 "The table does not have the specified index: nope")


def test_consistent_read_on_gsi_is_rejected(indexed_table):
    assert_error(ex('SELECT * FROM "%s"."gsi" WHERE g = \'G1\'' % indexed_table,
                    ConsistentRead=True),
                 400, VE, "Consistent reads are not supported on global secondary indexes")


def test_consistent_read_on_table_sees_latest_write(hash_table):
    put(hash_table, {"pk": S("k"), "v": N(1)})
    put(hash_table, {"pk": S("k"), "v": N(2)})
    got = items(ex('SELECT v FROM "%s" WHERE pk = \'k\'' % hash_table, ConsistentRead=True))
    assert got == [{"v": N(2)}]


# ------------------------------------------------------------------ SELECT: paging

def test_limit_paging_collects_the_whole_query(sorted_table):
    got = pages('SELECT * FROM "%s" WHERE pk = \'p\'' % sorted_table, Limit=2)
    assert [len(p) for p in got] == [2, 2, 2, 1]
    expected = query(sorted_table, "pk = :p", {":p": S("p")})["Items"]
    assert [i for p in got for i in p] == expected


def test_limit_reached_exactly_still_gives_next_token(sorted_table):
    stmt = 'SELECT sk FROM "%s" WHERE pk = \'p\'' % sorted_table
    r = ex(stmt, Limit=len(SORT_KEYS))
    assert len(items(r)) == len(SORT_KEYS) and isinstance(r.json.get("NextToken"), str)
    r2 = ex(stmt, Limit=len(SORT_KEYS), NextToken=r.json["NextToken"])
    assert r2.status == 200 and r2.json == {"Items": []}
    r = ex(stmt, Limit=len(SORT_KEYS) + 1)
    assert len(items(r)) == len(SORT_KEYS) and "NextToken" not in r.json


def test_limit_counts_items_before_the_where_filter(filter_table):
    got = pages('SELECT sk FROM "%s" WHERE pk = \'a\' AND x > 1' % filter_table, Limit=3)
    assert got == [[], [{"sk": S("s2")}, {"sk": S("s3")}], [{"sk": S("s4")}]]
    # the same pages as Query with Limit + FilterExpression
    start, expected = None, []
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        q = query(filter_table, "pk = :p", {":p": S("a"), ":one": N(1)}, Limit=3,
                  FilterExpression="x > :one", ProjectionExpression="sk", **extra)
        expected.append(q["Items"])
        start = q.get("LastEvaluatedKey")
        if not start:
            break
    assert got == expected


def test_limit_paging_of_a_scan_returns_every_item_once(filter_table):
    got = pages('SELECT * FROM "%s"' % filter_table, Limit=3)
    assert all(len(p) <= 3 for p in got) and len(got) >= 3
    assert as_set([i for p in got for i in p]) == as_set(scan_all(filter_table))


def test_invalid_next_token(filter_table):
    assert_error(ex('SELECT * FROM "%s"' % filter_table, NextToken="garbage"), 400, VE,
                 "Invalid NextToken")


def test_limit_zero(filter_table):
    assert_error(ex('SELECT * FROM "%s"' % filter_table, Limit=0), 400, VE,
                 "1 validation error detected: Value '0' at 'limit' failed to satisfy "
                 "constraint: Member must have value greater than or equal to 1")


# ------------------------------------------------------------------ ConsumedCapacity

@pytest.mark.aws_only("DynamoDB Local never returns ConsumedCapacity from ExecuteStatement; the "
                      + DOC_EXECUTE + " returns it when ReturnConsumedCapacity asks for it")
@pytest.mark.parametrize("kind", ["select_key", "select_scan", "insert", "update", "delete"])
def test_return_consumed_capacity_total(filter_table, kind):
    t = filter_table
    stmt = {
        "select_key": "SELECT * FROM \"%s\" WHERE pk = 'a' AND sk = 's0'",
        "select_scan": "SELECT * FROM \"%s\"",
        "insert": "INSERT INTO \"%s\" VALUE {'pk': 'new', 'sk': 'n'}",
        "update": "UPDATE \"%s\" SET y = 1 WHERE pk = 'a' AND sk = 's1'",
        "delete": "DELETE FROM \"%s\" WHERE pk = 'a' AND sk = 's2'",
    }[kind] % t
    r = ex(stmt, ReturnConsumedCapacity="TOTAL")
    assert r.status == 200, r
    cc = r.json["ConsumedCapacity"]
    assert cc["TableName"] == t and cc["CapacityUnits"] > 0


def test_return_consumed_capacity_none_omits_it(filter_table):
    r = ex('SELECT * FROM "%s" WHERE pk = \'a\'' % filter_table, ReturnConsumedCapacity="NONE")
    assert r.status == 200 and "ConsumedCapacity" not in r.json


# ------------------------------------------------------------------ parameters

ALL_TYPES = [S("k1"), N("1.50"), {"B": b64(b"\x00\xff")}, {"BOOL": False}, {"NULL": True},
             {"L": [N(1), S("x")]}, {"M": {"k": {"BOOL": True}}}, {"SS": ["b", "a"]},
             {"NS": ["2", "1"]}, {"BS": [b64(b"\x01"), b64(b"\x02")]}]


def test_parameters_of_every_type_in_insert_and_select(hash_table):
    names = ["pk", "n", "b", "bool", "nul", "l", "m", "ss", "ns", "bs"]
    stmt = "INSERT INTO \"%s\" VALUE {%s}" % (hash_table, ", ".join("'%s': ?" % n for n in names))
    assert items(ex(stmt, Parameters=ALL_TYPES)) == []
    stored = get(hash_table, {"pk": S("k1")})
    expected = dict(zip(names, ALL_TYPES))
    expected["n"] = N("1.5")  # numbers are normalised
    assert norm(stored) == norm(expected)
    # binary values can only be written as parameters; compare by parameter
    got = items(ex('SELECT pk FROM "%s" WHERE b = ? AND ss = ?' % hash_table,
                   Parameters=[{"B": b64(b"\x00\xff")}, {"SS": ["a", "b"]}]))
    assert got == [{"pk": S("k1")}]
    got = items(ex('SELECT pk FROM "%s" WHERE m = ? AND l[1] = ?' % hash_table,
                   Parameters=[{"M": {"k": {"BOOL": True}}}, S("x")]))
    assert got == [{"pk": S("k1")}]


def test_binary_key_only_through_parameters(ddb, bin_table):
    key = b"\x00\x01\x02"
    ddb.execute_statement(Statement="INSERT INTO \"%s\" VALUE {'pk': ?, 'v': ?}" % bin_table,
                          Parameters=[{"B": key}, {"B": b"\xff"}])
    r = ddb.execute_statement(Statement='SELECT * FROM "%s" WHERE pk = ?' % bin_table,
                              Parameters=[{"B": key}])
    assert r["Items"] == [ddb.get_item(TableName=bin_table, Key={"pk": {"B": key}})["Item"]]
    assert bytes(r["Items"][0]["v"]["B"]) == b"\xff"
    # a string literal is not a binary value
    assert_error(ex("SELECT * FROM \"%s\" WHERE pk = '%s'" % (bin_table, b64(key))), 400, VE,
                 KEY_TYPE % "pk")


def test_parameters_fill_keys_and_values(range_table):
    put(range_table, {"pk": S("p"), "sk": S("s"), "v": N(1)})
    got = items(ex('SELECT v FROM "%s" WHERE pk = ? AND sk = ?' % range_table,
                   Parameters=[S("p"), S("s")]))
    assert got == [{"v": N(1)}]


@pytest.mark.parametrize("stmt,params", [
    ("SELECT * FROM \"{t}\" WHERE pk = ? AND sk = ?", [S("p")]),
    ("SELECT * FROM \"{t}\" WHERE pk = ?", None),
    ("INSERT INTO \"{t}\" VALUE {{'pk': ?, 'sk': ?}}", [S("p")]),
    ("UPDATE \"{t}\" SET v = ? WHERE pk = ? AND sk = 's'", [N(1)]),
    ("DELETE FROM \"{t}\" WHERE pk = ? AND sk = ?", [S("p")]),
], ids=["select_one_short", "select_none_given", "insert", "update", "delete"])
def test_too_few_parameters(range_table, stmt, params):
    extra = {"Parameters": params} if params is not None else {}
    assert_error(ex(stmt.format(t=range_table), **extra), 400, VE, PARAM_COUNT)


def test_extra_parameters_are_ignored(range_table):
    # Recorded on DynamoDB Local: only too few parameters is an error.
    put(range_table, {"pk": S("p"), "sk": S("s")})
    got = items(ex('SELECT sk FROM "%s" WHERE pk = ?' % range_table, Parameters=[S("p"), N(1)]))
    assert got == [{"sk": S("s")}]


@pytest.mark.parametrize("param,message", [
    ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"N": "abc"}, "A value provided cannot be converted into a number"),
    ({"S": ""}, "One or more parameter values are not valid. The AttributeValue for a key "
                "attribute cannot contain an empty string value. Key: pk"),
], ids=["empty", "bad_number", "empty_key_string"])
def test_invalid_parameter_values(hash_table, param, message):
    assert_error(ex('SELECT * FROM "%s" WHERE pk = ?' % hash_table, Parameters=[param]),
                 400, VE, message)


# ------------------------------------------------------------------ key type mismatches

@pytest.mark.parametrize("stmt,key", [
    ("SELECT * FROM \"{t}\" WHERE pk = 1", "pk"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'p' AND sk = 1", "sk"),
    ("INSERT INTO \"{t}\" VALUE {{'pk': 1, 'sk': 's'}}", "pk"),
    ("UPDATE \"{t}\" SET v = 1 WHERE pk = 'p' AND sk = 1", "sk"),
    ("DELETE FROM \"{t}\" WHERE pk = 1 AND sk = 's'", "pk"),
], ids=["select_pk", "select_sk", "insert", "update", "delete"])
def test_key_type_mismatch(range_table, stmt, key):
    assert_error(ex(stmt.format(t=range_table)), 400, VE, KEY_TYPE % key)


def test_key_type_mismatch_through_parameter(range_table):
    assert_error(ex('SELECT * FROM "%s" WHERE pk = ? AND sk = \'s\'' % range_table,
                    Parameters=[N(1)]), 400, VE, KEY_TYPE % "pk")


def test_empty_string_key_literal(hash_table):
    assert_error(ex("SELECT * FROM \"%s\" WHERE pk = ''" % hash_table), 400, VE,
                 "One or more parameter values are not valid. The AttributeValue for a key "
                 "attribute cannot contain an empty string value. Key: pk")


# ------------------------------------------------------------------ INSERT

def test_insert_literal_item_matches_get_item(hash_table):
    r = ex("INSERT INTO \"%s\" VALUE {'pk': 'a', 'n': 1, 'l': [1, 'x'], 'm': {'k': true}, "
           "'s': <<'a','b'>>, 'ns': <<1,2>>, 'z': NULL, 'f': false, 'e': '', 'd': 1.50, "
           "'neg': -3e2, 'nested': {'a': [{'b': <<'x'>>}]}}" % hash_table)
    assert r.status == 200 and r.json == {"Items": []}
    expected = {"pk": S("a"), "n": N(1), "l": {"L": [N(1), S("x")]},
                "m": {"M": {"k": {"BOOL": True}}}, "s": {"SS": ["a", "b"]},
                "ns": {"NS": ["1", "2"]}, "z": {"NULL": True}, "f": {"BOOL": False},
                "e": S(""), "d": N("1.5"), "neg": N("-300"),
                "nested": {"M": {"a": {"L": [{"M": {"b": {"SS": ["x"]}}}]}}}}
    assert norm(get(hash_table, {"pk": S("a")})) == norm(expected)


def test_insert_matches_put_item_of_the_same_item(hash_table):
    ex("INSERT INTO \"%s\" VALUE {'pk': 'one', 'v': [1, {'w': 'x'}]}" % hash_table)
    put(hash_table, {"pk": S("two"), "v": {"L": [N(1), {"M": {"w": S("x")}}]}})
    a = get(hash_table, {"pk": S("one")})
    b = get(hash_table, {"pk": S("two")})
    a.pop("pk"), b.pop("pk")
    assert a == b


def test_insert_existing_key_fails_and_keeps_the_item(hash_table):
    put(hash_table, {"pk": S("a"), "v": N(1)})
    r = ex("INSERT INTO \"%s\" VALUE {'pk': 'a', 'v': 2}" % hash_table)
    assert r.status == 400, r
    assert r.error_message == "Duplicate primary key exists in table"
    assert get(hash_table, {"pk": S("a")}) == {"pk": S("a"), "v": N(1)}




@pytest.mark.aws_only("DynamoDB Local's __type is '...#DuplicateItem'; the " + DOC_EXECUTE +
                      " lists DuplicateItemException, and a recorded AWS answer to the same "
                      "INSERT reads 'DuplicateItemException: Duplicate primary key exists in "
                      "table' (aws-sdk-go-v2 error text quoted in a public DynamoDB notes repo)")
def test_insert_existing_key_type(hash_table):
    put(hash_table, {"pk": S("a")})
    assert_error(ex("INSERT INTO \"%s\" VALUE {'pk': 'a'}" % hash_table), 400,
                 "DuplicateItemException", "Duplicate primary key exists in table")


def test_insert_existing_key_ignores_return_values_on_condition_check_failure(hash_table):
    put(hash_table, {"pk": S("a")})
    r = ex("INSERT INTO \"%s\" VALUE {'pk': 'a'}" % hash_table,
           ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert r.status == 400 and "Item" not in r.json


def _pos(stmt, token):
    """'1:<column>:<length>' of the last occurrence of token, as the messages put it."""
    return "1:%d:%d" % (stmt.rindex(token) + 1, len(token))


@pytest.mark.parametrize("value,token,message", [
    ("{'pk': 'a', 'pk': 'b'}", "'pk'", "Duplicate keys in tuple. Key: pk under root at %s"),
    ("{'pk': 'a', 'x': MISSING}", "MISSING", "Unsupported data type: MISSING under key root at %s"),
    ("{'pk': 'a', 'x': <<>>}", "<<", "Empty bags are not supported at %s"),
    ("{'pk': 'a', 'x': <<'a', 1>>}", "1", "Unsupported data type in Bag. DynamoDB only supports "
                                          "either numbers or strings in bags at %s"),
    ("{'pk': 'a', \"qq\": 1}", '"qq"', "Tuple keys must be of type String. Actual type: "
                                       "VariableReference under root at %s"),
    ("?", "?", "Unsupported format in item expression. Please use struct format {...} to "
               "express item values for insert statement. at %s"),
], ids=["duplicate_tuple_key", "missing_value", "empty_bag", "mixed_bag", "name_as_key",
        "parameter_as_item"])
def test_insert_invalid_item_positions(hash_table, value, token, message):
    stmt = "INSERT INTO \"%s\" VALUE %s" % (hash_table, value)
    extra = {"Parameters": [{"M": {"pk": S("a")}}]} if value == "?" else {}
    assert_error(ex(stmt, **extra), 400, VE, message % _pos(stmt, token))
    assert get(hash_table, {"pk": S("a")}) is None


@pytest.mark.parametrize("value,message", [
    ("{'n': 1}", "Key attribute should be present in the item: Key pk"),
    ("{'pk': 'a', 'x': <<'a', 'a'>>}", "Input collection contains duplicates"),
    ("{'pk': ''}", "One or more parameter values are not valid. The AttributeValue for a key "
                   "attribute cannot contain an empty string value. Key: pk"),
], ids=["missing_key", "duplicate_set_member", "empty_key"])
def test_insert_invalid_item(hash_table, value, message):
    assert_error(ex("INSERT INTO \"%s\" VALUE %s" % (hash_table, value)), 400, VE, message)


# ------------------------------------------------------------------ UPDATE

TWIN = {"x": N(1), "l": {"L": [N(1)]}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1"]},
        "m": {"M": {"k": S("v"), "arr": {"L": [N(0), N(5)]}}}, "r": S("gone"), "s": S("str")}


def _twins(table):
    for pk in ("t1", "t2"):
        item = {"pk": S(pk)}
        item.update(TWIN)
        put(table, item)


def _update_item(table, pk, expr, values=None, **extra):
    body = {"TableName": table, "Key": {"pk": S(pk)}, "UpdateExpression": expr}
    if values:
        body["ExpressionAttributeValues"] = values
    body.update(extra)
    r = call("UpdateItem", body)
    assert r.status == 200, r
    return r.json


@pytest.mark.parametrize("partiql,update_expr,values", [
    ("SET y = 'c'", "SET y = :v", {":v": S("c")}),
    ("SET x = x + 1", "SET x = x + :v", {":v": N(1)}),
    ("SET x = x - 3", "SET x = x - :v", {":v": N(3)}),
    ("SET m.k = 'w'", "SET m.k = :v", {":v": S("w")}),
    ("SET m.arr[1] = 9", "SET m.arr[1] = :v", {":v": N(9)}),
    ("SET m.arr[7] = 9", "SET m.arr[7] = :v", {":v": N(9)}),
    ("SET m.nw = {'a': [1, <<'z'>>]}", "SET m.nw = :v",
     {":v": {"M": {"a": {"L": [N(1), {"SS": ["z"]}]}}}}),
    ("SET l = list_append(l, [2, 'z'])", "SET l = list_append(l, :v)", {":v": {"L": [N(2), S("z")]}}),
    ("SET l = list_append([0], l)", "SET l = list_append(:v, l)", {":v": {"L": [N(0)]}}),
    ("SET ss = set_add(ss, <<'c'>>)", "ADD ss :v", {":v": {"SS": ["c"]}}),
    ("SET nn = set_add(nn, <<3, 4>>)", "ADD nn :v", {":v": {"NS": ["3", "4"]}}),
    ("SET ss = set_delete(ss, <<'a'>>)", "DELETE ss :v", {":v": {"SS": ["a"]}}),
    ("SET ns = set_delete(ns, <<1>>)", "DELETE ns :v", {":v": {"NS": ["1"]}}),
    ("REMOVE r", "REMOVE r", None),
    ("REMOVE m.arr[0]", "REMOVE m.arr[0]", None),
    ("REMOVE nothere", "REMOVE nothere", None),
    ("SET y = 'c', x = 5 REMOVE r SET z = NULL", "SET y = :c, x = :five, z = :null REMOVE r",
     {":c": S("c"), ":five": N(5), ":null": {"NULL": True}}),
    ("SET q = ?", "SET q = :v", {":v": {"BS": [b64(b"\x00\x01")]}}),
], ids=["set_const", "plus", "minus", "nested_map", "list_index", "list_index_past_end",
        "set_map_literal", "list_append", "list_prepend", "set_add", "set_add_new_attr",
        "set_delete", "set_delete_last_member", "remove", "remove_list_element",
        "remove_missing", "several_clauses", "binary_parameter"])
def test_update_matches_update_item_on_a_twin(hash_table, partiql, update_expr, values):
    _twins(hash_table)
    params = {"Parameters": [values[":v"]]} if "?" in partiql else {}
    r = ex("UPDATE \"%s\" %s WHERE pk = 't1'" % (hash_table, partiql), **params)
    assert r.status == 200 and r.json == {"Items": []}, r
    _update_item(hash_table, "t2", update_expr, values)
    a = get(hash_table, {"pk": S("t1")})
    b = get(hash_table, {"pk": S("t2")})
    a.pop("pk"), b.pop("pk")
    assert norm(a) == norm(b)
    if partiql != "REMOVE nothere":
        assert norm(a) != norm(TWIN)


@pytest.mark.parametrize("returning,return_values", [
    ("ALL OLD", "ALL_OLD"), ("MODIFIED OLD", "UPDATED_OLD"),
    ("ALL NEW", "ALL_NEW"), ("MODIFIED NEW", "UPDATED_NEW"),
])
def test_update_returning_matches_update_item_return_values(hash_table, returning, return_values):
    _twins(hash_table)
    r = ex("UPDATE \"%s\" SET x = 7 SET m.k = 'n' REMOVE r WHERE pk = 't1' RETURNING %s *"
           % (hash_table, returning))
    got = items(r)
    assert len(got) == 1
    u = _update_item(hash_table, "t2", "SET x = :x, m.k = :k REMOVE r",
                     {":x": N(7), ":k": S("n")}, ReturnValues=return_values)
    expected = dict(u["Attributes"])
    if "pk" in expected:
        expected["pk"] = S("t1")
    assert norm(got[0]) == norm(expected)


def test_update_returning_modified_with_nothing_modified(hash_table):
    _twins(hash_table)
    r = ex("UPDATE \"%s\" REMOVE nothere WHERE pk = 't1' RETURNING MODIFIED OLD *" % hash_table)
    assert r.status == 200 and r.json == {"Items": []}


def test_update_returning_needs_star(hash_table):
    _twins(hash_table)
    assert_error(ex("UPDATE \"%s\" SET x = 9 WHERE pk = 't1' RETURNING ALL OLD x" % hash_table),
                 400, VE, "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause")


def test_update_extra_where_terms_are_conditions(hash_table):
    _twins(hash_table)
    assert_error(ex("UPDATE \"%s\" SET x = 5 WHERE pk = 't1' AND x = 100" % hash_table),
                 400, CCF, CCF_MSG)
    assert get(hash_table, {"pk": S("t1")})["x"] == N(1)
    r = ex("UPDATE \"%s\" SET x = 5 WHERE pk = 't1' AND x = 1 AND attribute_exists(r) "
           "AND s IS NOT MISSING RETURNING MODIFIED NEW *" % hash_table)
    assert items(r) == [{"x": N(5)}]


def test_update_condition_failure_returns_old_item_when_asked(hash_table):
    _twins(hash_table)
    stmt = "UPDATE \"%s\" SET x = 5 WHERE pk = 't1' AND x = 100" % hash_table
    r = ex(stmt, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert_error(r, 400, CCF, CCF_MSG)
    assert norm(r.json["Item"]) == norm(get(hash_table, {"pk": S("t1")}))
    r = ex(stmt, ReturnValuesOnConditionCheckFailure="NONE")
    assert_error(r, 400, CCF, CCF_MSG)
    assert "Item" not in r.json


def test_update_of_missing_item_fails_and_creates_nothing(hash_table):
    for stmt in ["UPDATE \"%s\" SET x = 5 WHERE pk = 'nope'",
                 "UPDATE \"%s\" SET x = 5 WHERE pk = 'nope' AND x IS MISSING",
                 "UPDATE \"%s\" SET x = x + 1 WHERE pk = 'nope'"]:
        r = ex(stmt % hash_table, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        assert_error(r, 400, CCF, CCF_MSG)
        assert "Item" not in r.json
    assert get(hash_table, {"pk": S("nope")}) is None


@pytest.mark.parametrize("fixture,where", [
    ("hash_table", ""),
    ("hash_table", "WHERE x = 1"),
    ("hash_table", "WHERE pk = 'u' OR pk = 'v'"),
    ("hash_table", "WHERE pk IN ['u', 'v']"),
    ("hash_table", "WHERE pk = 'u' AND x = 1 OR x = 2"),
    ("range_table", "WHERE pk = 'u'"),
    ("range_table", "WHERE pk = 'u' AND sk > 'a'"),
    ("range_table", "WHERE pk = 'u' AND begins_with(sk, 'a')"),
], ids=["no_where", "non_key", "or", "in", "or_condition", "hash_only", "sk_range", "sk_prefix"])
def test_update_without_full_key(request, fixture, where):
    table = request.getfixturevalue(fixture)
    assert_error(ex("UPDATE \"%s\" SET x = 5 %s" % (table, where)), 400, VE, NOT_FULL_KEY)


@pytest.mark.parametrize("clause,message", [
    ("SET pk = 'z'", "One or more parameter values were invalid: Cannot update attribute pk. "
                     "This attribute is part of the key"),
    ("REMOVE pk", "One or more parameter values were invalid: Cannot update attribute pk. "
                  "This attribute is part of the key"),
    ("SET y = nothere + 1", "The provided expression refers to an attribute that does not "
                            "exist in the item"),
    ("SET y = s + 1", "An operand in the update expression has an incorrect data type"),
    ("SET ss = set_add(ss, <<1>>)", "An operand in the update expression has an incorrect "
                                    "data type"),
    ("SET l = list_append(l, 'x')", "Incorrect operand type for operator or function; "
                                    "operator or function: list_append, operand type: S"),
    ("SET s = 'a' SET s = 'b'", "Two document paths overlap with each other; must remove or "
                                "rewrite one of these paths; path one: [s], path two: [s]"),
    ("SET s.k = 1", "The document path provided in the update expression is invalid for update"),
    ("SET q = MISSING", "MISSING must be compared using IS operator"),
], ids=["set_key", "remove_key", "missing_operand", "string_plus", "set_add_wrong_type",
        "list_append_non_list", "overlap", "path_into_string", "missing_value"])
def test_update_invalid(hash_table, clause, message):
    _twins(hash_table)
    assert_error(ex("UPDATE \"%s\" %s WHERE pk = 't1'" % (hash_table, clause)), 400, VE, message)
    assert norm(get(hash_table, {"pk": S("t1")})) == norm(dict(TWIN, pk=S("t1")))


def test_update_empty_bag_position(hash_table):
    stmt = "UPDATE \"%s\" SET q = <<>> WHERE pk = 't1'" % hash_table
    assert_error(ex(stmt), 400, VE, "Empty bags are not supported at %s" % _pos(stmt, "<<"))


def test_update_several_comma_separated_removes_is_a_syntax_error(hash_table):
    stmt = "UPDATE \"%s\" SET y = 'c', z = 2 REMOVE s, q WHERE pk = 't1'" % hash_table
    assert_not_well_formed(ex(stmt))


def test_return_values_on_condition_check_failure_enum(hash_table):
    assert_error(ex("UPDATE \"%s\" SET x = 1 WHERE pk = 't1'" % hash_table,
                    ReturnValuesOnConditionCheckFailure="BOGUS"), 400, VE,
                 "1 validation error detected: Value 'BOGUS' at "
                 "'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member "
                 "must satisfy enum value set: [ALL_OLD, NONE]")


# ------------------------------------------------------------------ DELETE

def test_delete_by_full_key(range_table):
    put(range_table, {"pk": S("a"), "sk": S("1"), "x": N(1)})
    put(range_table, {"pk": S("a"), "sk": S("2"), "x": N(2)})
    r = ex("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = '1'" % range_table)
    assert r.status == 200 and r.json == {"Items": []}
    assert get(range_table, {"pk": S("a"), "sk": S("1")}) is None
    assert get(range_table, {"pk": S("a"), "sk": S("2")}) is not None


def test_delete_with_parameters_returning_all_old(range_table):
    item = {"pk": S("a"), "sk": S("1"), "x": N(1), "l": {"L": [S("q")]}}
    put(range_table, item)
    r = ex('DELETE FROM "%s" WHERE pk = ? AND sk = ? RETURNING ALL OLD *' % range_table,
           Parameters=[S("a"), S("1")])
    assert items(r) == [item]
    assert get(range_table, {"pk": S("a"), "sk": S("1")}) is None


def test_delete_extra_where_terms_are_conditions(range_table):
    put(range_table, {"pk": S("a"), "sk": S("2"), "x": N(2)})
    stmt = "DELETE FROM \"%s\" WHERE pk = 'a' AND sk = '2' AND x = 5" % range_table
    assert_error(ex(stmt), 400, CCF, CCF_MSG)
    r = ex(stmt, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert_error(r, 400, CCF, CCF_MSG)
    assert r.json["Item"] == {"pk": S("a"), "sk": S("2"), "x": N(2)}
    assert get(range_table, {"pk": S("a"), "sk": S("2")}) is not None
    r = ex("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = '2' AND x = 2 AND y IS MISSING "
           "RETURNING ALL OLD *" % range_table)
    assert items(r) == [{"pk": S("a"), "sk": S("2"), "x": N(2)}]
    assert get(range_table, {"pk": S("a"), "sk": S("2")}) is None


@pytest.mark.parametrize("extra", ["", "AND x = 1", "AND attribute_exists(pk)",
                                   "AND x IS NOT MISSING"])
def test_delete_of_missing_item_succeeds(range_table, extra):
    # Developer guide ql-reference.delete: no item with that key -> SUCCESS, 0 items deleted,
    # whatever the rest of the WHERE clause says (DeleteItem with the same ConditionExpression
    # fails instead).
    r = ex("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = 'zz' %s RETURNING ALL OLD *"
           % (range_table, extra), ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert r.status == 200 and r.json == {"Items": []}, r


def test_delete_item_with_condition_on_missing_item_fails_for_comparison(range_table):
    r = call("DeleteItem", {"TableName": range_table, "Key": {"pk": S("a"), "sk": S("zz")},
                            "ConditionExpression": "x = :v",
                            "ExpressionAttributeValues": {":v": N(1)}})
    assert_error(r, 400, CCF, CCF_MSG)


@pytest.mark.parametrize("where,message", [
    ("", NOT_FULL_KEY),
    ("WHERE pk = 'a'", NOT_FULL_KEY),
    ("WHERE pk = 'a' AND sk > '1'", NOT_FULL_KEY),
    ("WHERE pk = 'a' AND sk = '3' OR x = 1", NOT_FULL_KEY),
    ("WHERE sk = '3'", NOT_FULL_KEY),
    ("WHERE pk = 'a' AND sk = '3' AND sk = '4'",
     "Multiple conditions on same key sk. Only single item Update/Insert/Delete are supported"),
], ids=["no_where", "hash_only", "sk_range", "or", "sk_only", "sk_twice"])
def test_delete_without_full_key(range_table, where, message):
    assert_error(ex("DELETE FROM \"%s\" %s" % (range_table, where)), 400, VE, message)


@pytest.mark.parametrize("returning", ["ALL NEW *", "MODIFIED OLD *", "MODIFIED NEW *"])
def test_delete_returning_only_all_old(range_table, returning):
    assert_error(ex("DELETE FROM \"%s\" WHERE pk = 'a' AND sk = '3' RETURNING %s"
                    % (range_table, returning)), 400, VE,
                 "Invalid returning clause: RETURNING %s. Only RETURNING ALL OLD * is allowed "
                 "in DELETE statements." % returning)


# ------------------------------------------------------------------ statement errors

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "


def assert_not_well_formed(resp):
    """A syntax error. What follows the prefix differs: DynamoDB Local 3.3.0 repeats the whole
    statement, AWS names the parser's complaint ("Statement wasn't well formed, can't be
    processed: Unexpected keyword" for an INSERT ... VALUES (...) sent to AWS, reported in
    github.com/passren/PyDynamoDB/issues/26). Only the prefix is common to both."""
    assert_error(resp, 400, VE)
    assert resp.error_message.startswith(NOT_WELL_FORMED), resp


@pytest.mark.parametrize("stmt", [
    "SELECT * FROM \"{t}\" WHERE pk = 'p' AND",
    "SELECT * FROM",
    "SELEC * FROM \"{t}\"",
    "SELECT * FROM \"{t}\" WHERE pk = 'unterminated",
    "SELECT * FROM \"{t}\"; SELECT * FROM \"{t}\"",
    "SELECT * FROM \"{t}\" WHERE pk = 'p' OFFSET 1",
    "SELECT *, pk FROM \"{t}\"",
    "SELECT * FROM \"{t}\" WHERE pk = 'p' ORDER BY sk NULLS FIRST",
    "INSERT INTO \"{t}\" VALUES {{'pk': 'a'}}",
    "INSERT INTO \"{t}\" VALUE {{'pk': 'a'}}, {{'pk': 'b'}}",
    "INSERT INTO \"{t}\" (pk) VALUES ('a')",
    "INSERT INTO \"{t}\" VALUE {{'pk': 'a'}} WHERE pk = 'a'",
    "UPDATE \"{t}\" WHERE pk = 'a'",
], ids=["trailing_and", "no_table", "misspelt", "unterminated_string", "two_statements",
        "offset", "star_and_name", "nulls_first", "insert_values", "insert_two_tuples",
        "insert_columns", "insert_where", "update_without_set"])
def test_not_well_formed(hash_table, stmt):
    assert_not_well_formed(ex(stmt.format(t=hash_table)))


@pytest.mark.parametrize("stmt", ["", "   "], ids=["empty", "blank"])
def test_empty_statement(stmt):
    assert_error(ex(stmt), 400, VE, NOT_WELL_FORMED + stmt)


@pytest.mark.parametrize("stmt,message", [
    ("SELECT * FROM \"{t}\" WHERE nofunc(pk)", "Unrecognized function: nofunc"),
    ("SELECT * FROM \"{t}\" WHERE x = MISSING", "MISSING must be compared using IS operator"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'p' LIMIT 1", "Unsupported clause: LIMIT at {p1}"),
    ("SELECT * FROM \"{t}\" GROUP BY pk", "Unsupported clause: GROUP BY"),
    ("SELECT * FROM \"{t}\" a JOIN \"{t}\" b ON a.pk = b.pk",
     "Only select from a single table or index is supported."),
    ("SELECT * FROM \"{t}\", \"{t}\"", "Only select from a single table or index is supported."),
    ("SELECT DISTINCT pk FROM \"{t}\"", "Unsupported token in expression: DISTINCT"),
    ("SELECT pk AS x FROM \"{t}\"", "Aliasing is not supported"),
    ("SELECT count(*) FROM \"{t}\"", "Unexpected path component at 1:8:5"),
    ("SELECT * FROM \"{t}\" WHERE pk LIKE 'p%'",
     "Unsupported operator in Condition Expression. Operator: like"),
    ("SELECT * FROM \"{t}\" WHERE x + 1 = 2",
     "Unsupported operator in Condition Expression. Operator: +"),
    ("SELECT * FROM \"{t}\" WHERE begins_with(x)", "Incorrect number of operands for operator "
     "or function; operator or function: begins_with, number of operands: 1"),
    ("SELECT * FROM \"{t}\" WHERE size(x, 1) = 1", "Incorrect number of operands for operator "
     "or function; operator or function: size, number of operands: 2"),
    # The order of the types is a hash set's: DynamoDB Local lists them as
    # {N,BS,L,B,NULL,M,S,SS,NS,BOOL}, ferrodyn as for a ConditionExpression.
    ("SELECT * FROM \"{t}\" WHERE attribute_type(x, 'Q')", re.compile(
        r"Invalid attribute type name found; type: Q, valid types: \{(?=[A-Z,]*\bBOOL\b)"
        r"(?=[A-Z,]*\bNULL\b)(?=[A-Z,]*\bBS\b)(?=[A-Z,]*\bSS\b)(?=[A-Z,]*\bNS\b)"
        r"(?:(?:N|BS|L|B|NULL|M|S|SS|NS|BOOL),){9}(?:N|BS|L|B|NULL|M|S|SS|NS|BOOL)\}")),
    ("SELECT * FROM \"{t}\" WHERE pk IN []", "IN operator must have a left hand argument of "
     "type Variable Reference and right hand argument of type Seq with at least one member"),
    ("DROP TABLE \"{t}\"", "Unsupported operation: DropTable"),
    ("CREATE TABLE x", "Unsupported operation: CreateTable"),
], ids=["unknown_function", "eq_missing", "limit_clause", "group_by", "join", "comma_join",
        "distinct", "alias", "aggregate", "like", "arithmetic", "too_few_args", "too_many_args",
        "bad_type_name", "empty_in", "drop_table", "create_table"])
def test_unsupported_or_invalid(hash_table, stmt, message):
    text = stmt.format(t=hash_table, p1="")
    if isinstance(message, re.Pattern):
        pass
    elif "{p1}" in message:
        message = message.format(p1=_pos(text, "1"))
    else:
        message = message.format()
    assert_error(ex(text), 400, VE, message)


def test_statement_length_limit_is_8192_utf8_bytes(hash_table):
    head = 'SELECT * FROM "%s" WHERE x = \'' % hash_table
    fits = head + "x" * (8192 - len(head) - 1) + "'"
    assert len(fits.encode()) == 8192
    assert items(ex(fits)) == []
    too_long = head + "x" * (8192 - len(head)) + "'"
    assert_error(ex(too_long), 400, VE, "Member must have length less than or equal to 8192")
    # 3-byte characters count three times: fewer than 8192 characters, more than 8192 bytes
    euros = head + "\u20ac" * ((8192 - len(head)) // 3 + 1) + "'"
    assert len(euros) < 8192 < len(euros.encode())
    assert_error(ex(euros), 400, VE, "Member must have length less than or equal to 8192")


@pytest.mark.aws_only("DynamoDB Local answers 500 InternalFailure to a request without "
                      "Statement; the " + DOC_EXECUTE + " marks Statement as required, which "
                      "the service reports as a 400 ValidationException")
def test_missing_statement():
    assert_error(call("ExecuteStatement", {}), 400, VE)


def test_statement_of_wrong_json_type_is_rejected():
    r = call("ExecuteStatement", {"Statement": 5})
    assert r.status == 400, r
    assert r.error_type in (VE, "SerializationException"), r


@pytest.mark.parametrize("stmt", [
    "SELECT * FROM \"{t}\"",
    "SELECT * FROM {t}",
    "SELECT * FROM \"{t}\".\"idx\" WHERE pk = 'a'",
    "INSERT INTO \"{t}\" VALUE {{'pk': 'a'}}",
    "UPDATE \"{t}\" SET x = 1 WHERE pk = 'a'",
    "DELETE FROM \"{t}\" WHERE pk = 'a'",
], ids=["select", "select_unquoted", "select_index", "insert", "update", "delete"])
def test_unknown_table(missing_table, stmt):
    assert_error(ex(stmt.format(t=missing_table)), 400, "ResourceNotFoundException")




@pytest.mark.aws_only("DynamoDB Local uses its item-operation text 'Cannot do operations on a "
                      "non-existent table' (as for GetItem); AWS item operations answer "
                      "'Requested resource not found'. Evidence: " + DYNALITE + " db/index.js "
                      "getTable and " + MOTO + " ResourceNotFoundException; no recorded "
                      "ExecuteStatement answer was found, the item-operation text is assumed")
@pytest.mark.parametrize("stmt", [
    "SELECT * FROM \"{t}\"",
    "INSERT INTO \"{t}\" VALUE {{'pk': 'a'}}",
    "UPDATE \"{t}\" SET x = 1 WHERE pk = 'a'",
    "DELETE FROM \"{t}\" WHERE pk = 'a'",
], ids=["select", "insert", "update", "delete"])
def test_unknown_table_message(missing_table, stmt):
    assert_error(ex(stmt.format(t=missing_table)), 400, "ResourceNotFoundException",
                 "Requested resource not found")
