"""TagResource / UntagResource / ListTagsOfResource, CreateTable Tags, table classes,
DescribeLimits and DescribeEndpoints.

DynamoDB Local 3.x has no tagging (every tag operation answers UnknownOperationException
"Tagging is not currently supported in DynamoDB Local."), no DescribeEndpoints
(UnknownOperationException) and ignores TableClass (UpdateTable with only TableClass is
"Nothing to update"), so those cases are aws_only. Their expected texts are DynamoDB's as
recorded from the live service (2026-10, aws-controllers-k8s api-quirks catalogue:
"The Tag Key provided is invalid, Key: <k>", "Tag Key cannot be prefixed with aws:, Key: <k>",
"Number of Tags exceed the current limit for the provided ResourceArn" (ValidationException),
"Atleast one Tag needs to be provided as Input.", "ARNs must start with 'arn:'", "Requested
resource not found: ResourceArn: <arn> not found", "Invalid table-class parameter provided...",
"TableClass modification must be the only operation in the request"), and the limits are the
Developer Guide's "Tagging restrictions" (50 tags, keys 1-128 and values 0-256 Unicode
characters). DescribeLimits' figures (80,000 per account, 40,000 per table) are the Developer
Guide's default quotas, and DynamoDB Local answers the same.
"""
import pytest

from support import assert_error, call, endpoint_host

TAGS_DOC = ("AWS Developer Guide 'Tagging restrictions in DynamoDB' and recorded AWS answers "
            "(see module docstring); DynamoDB Local has no tagging")


def arn_of(table):
    r = call("DescribeTable", {"TableName": table})
    assert r.status == 200, r
    return r.json["Table"]["TableArn"]


def tags(ddb, arn):
    out = ddb.list_tags_of_resource(ResourceArn=arn)
    assert "NextToken" not in out
    return [(t["Key"], t["Value"]) for t in out["Tags"]]


def test_describe_limits_reports_default_quotas(ddb):
    out = ddb.describe_limits()
    assert out["AccountMaxReadCapacityUnits"] == 80000
    assert out["AccountMaxWriteCapacityUnits"] == 80000
    assert out["TableMaxReadCapacityUnits"] == 40000
    assert out["TableMaxWriteCapacityUnits"] == 40000


@pytest.mark.aws_only("DynamoDB Local answers DescribeEndpoints with UnknownOperationException; "
                      "AWS answers the Regional endpoint the client called "
                      "(dynamodb.<region>.amazonaws.com) cached for 1440 minutes")
def test_describe_endpoints_names_the_endpoint_called(ddb):
    out = ddb.describe_endpoints()
    assert out["Endpoints"] == [{"Address": endpoint_host(), "CachePeriodInMinutes": 1440}]


@pytest.mark.aws_only(TAGS_DOC)
def test_tag_untag_and_list(ddb, hash_table):
    arn = arn_of(hash_table)
    assert tags(ddb, arn) == []
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"},
                                            {"Key": "empty", "Value": ""}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    assert sorted(tags(ddb, arn)) == [("empty", ""), ("env", "prod")]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["empty", "never-set"])
    assert tags(ddb, arn) == [("env", "prod")]


@pytest.mark.aws_only(TAGS_DOC)
def test_create_table_tags_are_listed(ddb, make_table):
    table = make_table("S", Tags=[{"Key": "owner", "Value": "me"}])
    assert tags(ddb, arn_of(table)) == [("owner", "me")]


@pytest.mark.aws_only(TAGS_DOC)
@pytest.mark.parametrize("tag_list,message", [
    ([], "Atleast one Tag needs to be provided as Input."),
    ([{"Key": "a#b", "Value": "v"}], "The Tag Key provided is invalid, Key: a#b"),
    ([{"Key": "x" * 129, "Value": "v"}], "The Tag Key provided is invalid, Key: " + "x" * 129),
    ([{"Key": "k"}], "The Tag Value provided is invalid, Value: null"),
    ([{"Key": "k", "Value": "100%"}], "The Tag Value provided is invalid, Value: 100%"),
    ([{"Key": "aws:foo", "Value": "v"}], "Tag Key cannot be prefixed with aws:, Key: aws:foo"),
    ([{"Key": "AWS:foo", "Value": "v"}], "Tag Key cannot be prefixed with aws:, Key: AWS:foo"),
    ([{"Key": str(i), "Value": "v"} for i in range(51)],
     "Number of Tags exceed the current limit for the provided ResourceArn"),
])
def test_tag_resource_validation(hash_table, tag_list, message):
    r = call("TagResource", {"ResourceArn": arn_of(hash_table), "Tags": tag_list})
    assert_error(r, 400, "ValidationException", message)


@pytest.mark.aws_only(TAGS_DOC)
def test_untag_aws_prefix_is_refused(hash_table):
    r = call("UntagResource", {"ResourceArn": arn_of(hash_table), "TagKeys": ["aws:foo"]})
    assert_error(r, 400, "ValidationException",
                 "Tag Key cannot be prefixed with aws:, Key: aws:foo")


@pytest.mark.aws_only(TAGS_DOC)
def test_resource_arn_checks(hash_table):
    r = call("ListTagsOfResource", {"ResourceArn": "I_do_not_exist"})
    assert_error(r, 400, "ValidationException",
                 "One or more parameter values were invalid: ARNs must start with 'arn:': "
                 "I_do_not_exist")
    missing = arn_of(hash_table) + "x"
    r = call("TagResource", {"ResourceArn": missing, "Tags": [{"Key": "k", "Value": "v"}]})
    assert_error(r, 400, "ResourceNotFoundException",
                 "Requested resource not found: ResourceArn: %s not found" % missing)
    index_arn = arn_of(hash_table) + "/index/gsi"
    r = call("ListTagsOfResource", {"ResourceArn": index_arn})
    assert_error(r, 400, "ValidationException",
                 "One or more parameter values were invalid: Invalid resource arn provided, "
                 "only table or stream is accepted. Provided resource arn: " + index_arn)


@pytest.mark.aws_only("DynamoDB Local ignores TableClass ('Nothing to update'); AWS switches the "
                      "class and reports TableClassSummary")
def test_update_table_class(ddb, hash_table):
    out = ddb.update_table(TableName=hash_table, TableClass="STANDARD_INFREQUENT_ACCESS")
    summary = out["TableDescription"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert "LastUpdateDateTime" in summary
    r = call("UpdateTable", {"TableName": hash_table, "TableClass": "STANDARD",
                             "DeletionProtectionEnabled": False})
    assert_error(r, 400, "ValidationException",
                 "One or more parameter values were invalid: TableClass modification must be "
                 "the only operation in the request")
    r = call("UpdateTable", {"TableName": hash_table, "TableClass": "GLACIER"})
    assert_error(r, 400, "ValidationException",
                 "Invalid table-class parameter provided. Please try again with a valid "
                 "table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].")
