"""pytest configuration for the ferrodyn conformance suite.

Env:
  FERRODYN_ENDPOINT   endpoint to test (default http://localhost:8000)
  CONFORMANCE_TARGET  'dynamodb-local' skips tests marked aws_only (DynamoDB Local
                      is known to differ from AWS there); anything else runs them.
"""
import boto3
import botocore.config
import pytest

import support


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "aws_only(reason): behaviour documented/recorded for real DynamoDB that DynamoDB "
        "Local does not reproduce; skipped when CONFORMANCE_TARGET=dynamodb-local",
    )


def pytest_collection_modifyitems(config, items):
    if support.TARGET != "dynamodb-local":
        return
    for item in items:
        m = item.get_closest_marker("aws_only")
        if m is not None:
            reason = m.args[0] if m.args else m.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason="aws_only on dynamodb-local: " + reason))


def pytest_report_header(config):
    return "conformance endpoint: %s  target: %s" % (support.ENDPOINT, support.TARGET)


@pytest.fixture(scope="session")
def ddb():
    """boto3 low-level client with dummy credentials."""
    return boto3.client(
        "dynamodb",
        endpoint_url=support.ENDPOINT,
        region_name=support.REGION,
        aws_access_key_id=support.ACCESS_KEY_ID,
        aws_secret_access_key=support.SECRET_KEY,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                      connect_timeout=5, read_timeout=30),
    )


@pytest.fixture
def make_table():
    """Factory: make_table(hash_type='S', range_type=None, **extra) -> table name.
    Creates a uniquely named table, waits for ACTIVE, deletes it after the test."""
    created = []

    def _make(hash_type="S", range_type=None, hash_name="pk", range_name="sk", **extra):
        name = support.unique_name()
        ks, ad = support.key_schema(hash_name, hash_type,
                                    range_name if range_type else None, range_type)
        body = {"TableName": name, "KeySchema": ks, "AttributeDefinitions": ad,
                "BillingMode": "PAY_PER_REQUEST"}
        body.update(extra)
        r = support.call("CreateTable", body)
        assert r.status == 200, r
        created.append(name)
        support.wait_active(name)
        return name

    yield _make
    for name in created:
        support.call("DeleteTable", {"TableName": name})


@pytest.fixture
def hash_table(make_table):
    """Table with hash key pk (S)."""
    return make_table("S")


@pytest.fixture
def range_table(make_table):
    """Table with hash key pk (S) and range key sk (S)."""
    return make_table("S", "S")


@pytest.fixture
def num_table(make_table):
    """Table with hash key pk (N)."""
    return make_table("N")


@pytest.fixture
def bin_table(make_table):
    """Table with hash key pk (B)."""
    return make_table("B")


@pytest.fixture
def missing_table():
    """A valid table name that does not exist."""
    return support.unique_name("missing")


@pytest.fixture
def cleanup_tables():
    """List to which a test appends table names it created itself; deleted afterwards."""
    names = []
    yield names
    for n in names:
        support.call("DeleteTable", {"TableName": n})
