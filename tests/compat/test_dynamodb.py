"""DynamoDB through boto3 and the AWS CLI (awsJson1.0).

Written so it also runs unchanged against real DynamoDB, which is how a
reimplementation keeps itself honest:

  DYNAMODB_COMPAT_TARGET=aws AWS_PROFILE=... AWS_REGION=... \\
      python -m pytest tests/compat/test_dynamodb.py -q

By default (no DYNAMODB_COMPAT_TARGET) it drives the session's Ballast
server. Every table has a unique name and is deleted at the end; tests wait
with the real waiters (with a short delay), never with sleeps on Ballast's
timing. Error cases check the exact code and that a refused request
changed nothing.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from decimal import Decimal

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code, http_status, make_client

AGAINST_AWS = os.environ.get("DYNAMODB_COMPAT_TARGET", "ballast") == "aws"
WAIT = {"Delay": 1, "MaxAttempts": 120}


# --------------------------------------------------------------------------- fixtures


def _client():
    if AGAINST_AWS:
        return boto3.client(
            "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 3})
        )
    return None


@pytest.fixture(scope="module")
def ddb(request):
    client = _client()
    if client is None:
        endpoint = request.getfixturevalue("endpoint")
        client = make_client("dynamodb", endpoint)
    return client


@pytest.fixture(scope="module")
def cli(request, tmp_path_factory):
    if AGAINST_AWS:
        runner = AwsCli("", tmp_path_factory.mktemp("aws-home"))
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            runner.env.pop(name, None)
        for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                     "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
                     "AWS_SHARED_CREDENTIALS_FILE"):
            if name in os.environ:
                runner.env[name] = os.environ[name]
        return runner
    return request.getfixturevalue("aws")


class Tables:
    """Creates uniquely named tables and deletes them at teardown."""

    def __init__(self, ddb):
        self.ddb = ddb
        self.names: list[str] = []

    def create(self, prefix: str, wait: bool = True, **kwargs) -> str:
        name = f"compat-{prefix}-{uuid.uuid4().hex[:8]}"
        kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        self.ddb.create_table(TableName=name, **kwargs)
        self.names.append(name)
        if wait:
            self.ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
        return name

    def cleanup(self):
        for name in self.names:
            try:
                self.ddb.delete_table(TableName=name)
            except ClientError:
                pass


@pytest.fixture(scope="module")
def tables(ddb):
    t = Tables(ddb)
    yield t
    t.cleanup()


def key_schema(hash_name, hash_type, range_name=None, range_type=None):
    defs = [{"AttributeName": hash_name, "AttributeType": hash_type}]
    schema = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    if range_name:
        defs.append({"AttributeName": range_name, "AttributeType": range_type})
        schema.append({"AttributeName": range_name, "KeyType": "RANGE"})
    return {"AttributeDefinitions": defs, "KeySchema": schema}


@pytest.fixture(scope="module")
def numbers(tables):
    """A table keyed (pk S, sk N)."""
    return tables.create("numbers", **key_schema("pk", "S", "sk", "N"))


@pytest.fixture(scope="module")
def strings(tables):
    """A table keyed (pk S, sk S)."""
    return tables.create("strings", **key_schema("pk", "S", "sk", "S"))


@pytest.fixture(scope="module")
def simple(tables):
    """A table keyed by pk S alone."""
    return tables.create("simple", **key_schema("pk", "S"))


def expect_error(code, fn, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(*args, **kwargs)
    assert error_code(e.value) == code, e.value.response
    assert http_status(e.value) == 400
    return e.value


def s(v):
    return {"S": v}


def n(v):
    return {"N": str(v)}


# --------------------------------------------------------------------------- tables


def test_table_lifecycle_with_waiters(ddb, tables):
    name = tables.create("life", wait=False, **key_schema("id", "S"))
    first = ddb.describe_table(TableName=name)["Table"]
    assert first["TableStatus"] in ("CREATING", "ACTIVE")
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TableArn"].endswith(f":table/{name}")
    assert table["ItemCount"] == 0

    listed = []
    for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        listed.extend(page["TableNames"])
    assert name in listed
    assert listed == sorted(listed)

    expect_error("ResourceInUseException", ddb.create_table, TableName=name,
                 BillingMode="PAY_PER_REQUEST", **key_schema("id", "S"))

    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)
    expect_error("ResourceNotFoundException", ddb.describe_table, TableName=name)
    expect_error("ResourceNotFoundException", ddb.delete_table, TableName=name)


def test_provisioned_table_and_update_throughput(ddb, tables):
    name = tables.create(
        "prov", BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        **key_schema("id", "N"),
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 5})
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    assert ddb.describe_table(TableName=name)["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_create_table_validation(ddb):
    name = f"compat-bad-{uuid.uuid4().hex[:8]}"
    # An attribute defined but not used by any key.
    expect_error("ValidationException", ddb.create_table, TableName=name, BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                       {"AttributeName": "b", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])
    # PROVISIONED without throughput.
    expect_error("ValidationException", ddb.create_table, TableName=name, **key_schema("a", "S"))
    # Nothing was created.
    expect_error("ResourceNotFoundException", ddb.describe_table, TableName=name)


# --------------------------------------------------------------------------- items


def test_every_type_round_trips(ddb, simple):
    item = {
        "pk": s("types"),
        "s": s("héllo"),
        "n": n("00012.500"),
        "b": {"B": b"\x00\x01\xff"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.50"]},
        "bs": {"BS": [b"x", b"y"]},
        "m": {"M": {"inner": {"L": [n(1), {"BOOL": True}, {"NULL": True}]}}},
        "l": {"L": []},
        "empty": s(""),
    }
    ddb.put_item(TableName=simple, Item=item)
    got = ddb.get_item(TableName=simple, Key={"pk": s("types")}, ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "12.5"}
    assert got["b"] == {"B": b"\x00\x01\xff"}
    assert sorted(got["ns"]["NS"]) == ["1", "2.5"]
    assert sorted(got["bs"]["BS"]) == [b"x", b"y"]
    assert got["m"] == item["m"]
    assert got["empty"] == s("")
    assert got["s"] == s("héllo")


def test_conditions_updates_and_return_values(ddb, simple):
    key = {"pk": s("counter")}
    ddb.put_item(TableName=simple, Item={**key, "count": n(1), "tags": {"SS": ["a"]}},
                 ConditionExpression="attribute_not_exists(pk)")
    err = expect_error("ConditionalCheckFailedException", ddb.put_item, TableName=simple,
                       Item={**key, "count": n(99)}, ConditionExpression="attribute_not_exists(pk)",
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert err.response["Item"]["count"] == n(1)

    out = ddb.update_item(
        TableName=simple, Key=key,
        UpdateExpression="SET #c = #c + :one, note = if_not_exists(note, :hi), lst = list_append(if_not_exists(lst, :empty), :more) ADD tags :t",
        ConditionExpression="#c = :expected",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": n(1), ":hi": s("hi"), ":empty": {"L": []},
                                   ":more": {"L": [s("x")]}, ":t": {"SS": ["b"]}, ":expected": n(1)},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert out["count"] == n(2)
    assert out["note"] == s("hi")
    assert out["lst"] == {"L": [s("x")]}
    assert sorted(out["tags"]["SS"]) == ["a", "b"]

    old = ddb.update_item(TableName=simple, Key=key, UpdateExpression="REMOVE note DELETE tags :a",
                          ExpressionAttributeValues={":a": {"SS": ["a"]}}, ReturnValues="ALL_OLD")["Attributes"]
    assert old["note"] == s("hi")
    item = ddb.get_item(TableName=simple, Key=key)["Item"]
    assert "note" not in item and item["tags"] == {"SS": ["b"]}

    projected = ddb.get_item(TableName=simple, Key=key, ProjectionExpression="#c, lst[0]",
                             ExpressionAttributeNames={"#c": "count"})["Item"]
    assert projected == {"count": n(2), "lst": {"L": [s("x")]}}

    deleted = ddb.delete_item(TableName=simple, Key=key, ConditionExpression="#c > :one",
                              ExpressionAttributeNames={"#c": "count"},
                              ExpressionAttributeValues={":one": n(1)}, ReturnValues="ALL_OLD")
    assert deleted["Attributes"]["count"] == n(2)
    assert "Item" not in ddb.get_item(TableName=simple, Key=key)


def test_refused_requests_change_nothing(ddb, simple):
    key = {"pk": s("untouched")}
    ddb.put_item(TableName=simple, Item={**key, "name": s("x"), "n": n(1)})
    before = ddb.get_item(TableName=simple, Key=key)["Item"]

    # A failed condition, a runtime type error, a reserved word, an unused
    # placeholder, an undefined one, a key update, a key mismatch, and an
    # item over 400 KB: each refused, none changes the item.
    expect_error("ConditionalCheckFailedException", ddb.update_item, TableName=simple, Key=key,
                 UpdateExpression="SET n = :two", ConditionExpression="n = :two",
                 ExpressionAttributeValues={":two": n(2)})
    expect_error("ValidationException", ddb.update_item, TableName=simple, Key=key,
                 UpdateExpression="SET n = :two ADD #nm :one", ExpressionAttributeNames={"#nm": "name"},
                 ExpressionAttributeValues={":two": n(2), ":one": n(1)})
    err = expect_error("ValidationException", ddb.update_item, TableName=simple, Key=key,
                       UpdateExpression="SET name = :two", ExpressionAttributeValues={":two": n(2)})
    assert "reserved keyword" in str(err)
    err = expect_error("ValidationException", ddb.update_item, TableName=simple, Key=key,
                       UpdateExpression="SET n = :two", ExpressionAttributeValues={":two": n(2), ":unused": n(3)})
    assert "unused" in str(err)
    expect_error("ValidationException", ddb.update_item, TableName=simple, Key=key,
                 UpdateExpression="SET n = :nope", ExpressionAttributeValues={":two": n(2)})
    expect_error("ValidationException", ddb.update_item, TableName=simple, Key=key,
                 UpdateExpression="SET pk = :two", ExpressionAttributeValues={":two": s("y")})
    err = expect_error("ValidationException", ddb.get_item, TableName=simple,
                       Key={"pk": s("untouched"), "extra": s("x")})
    assert "does not match the schema" in str(err)
    expect_error("ValidationException", ddb.put_item, TableName=simple,
                 Item={**key, "big": s("x" * (401 * 1024))})
    expect_error("ValidationException", ddb.put_item, TableName=simple, Item={"pk": n(1)})
    expect_error("ResourceNotFoundException", ddb.put_item, TableName="compat-no-such-table",
                 Item={"pk": s("x")})
    assert ddb.get_item(TableName=simple, Key=key)["Item"] == before


def test_conditional_writes_racing_from_two_clients(ddb, simple, request):
    """Optimistic increments from two clients: every success is counted
    exactly once, and losers see ConditionalCheckFailedException."""
    key = {"pk": s(f"race-{uuid.uuid4().hex[:6]}")}
    ddb.put_item(TableName=simple, Item={**key, "v": n(0)})
    clients = [ddb, _client() or make_client("dynamodb", request.getfixturevalue("endpoint"))]
    wins = [0, 0]
    conflicts = [0, 0]

    def worker(i):
        client = clients[i]
        for _ in range(40):
            current = int(client.get_item(TableName=simple, Key=key, ConsistentRead=True)["Item"]["v"]["N"])
            try:
                client.update_item(TableName=simple, Key=key, UpdateExpression="SET v = :new",
                                   ConditionExpression="v = :old",
                                   ExpressionAttributeValues={":new": n(current + 1), ":old": n(current)})
                wins[i] += 1
            except ClientError as e:
                assert error_code(e) == "ConditionalCheckFailedException"
                conflicts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = int(ddb.get_item(TableName=simple, Key=key, ConsistentRead=True)["Item"]["v"]["N"])
    assert final == sum(wins)
    assert sum(wins) + sum(conflicts) == 80

    # Two clients creating the same item: exactly one wins.
    key2 = {"pk": s(f"create-{uuid.uuid4().hex[:6]}")}
    results = []

    def create(i):
        try:
            clients[i].put_item(TableName=simple, Item={**key2, "by": n(i)},
                                ConditionExpression="attribute_not_exists(pk)")
            results.append(("won", i))
        except ClientError as e:
            results.append((error_code(e), i))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["ConditionalCheckFailedException", "won"]
    winner = [i for r, i in results if r == "won"][0]
    assert ddb.get_item(TableName=simple, Key=key2)["Item"]["by"] == n(winner)


# --------------------------------------------------------------------------- query and scan


SORT_KEYS = ["-1e10", "-100", "-2.5", "-2", "-0.001", "0", "0.001", "1", "1.5", "2", "10", "100.25", "1e20"]


def test_numeric_sort_keys_order_with_negatives_and_decimals(ddb, numbers):
    shuffled = SORT_KEYS[::3] + SORT_KEYS[1::3] + SORT_KEYS[2::3]
    for value in shuffled:
        ddb.put_item(TableName=numbers, Item={"pk": s("order"), "sk": n(value)})
    expected = [str(Decimal(v)) for v in SORT_KEYS]

    def query(**kwargs):
        out = ddb.query(TableName=numbers, ExpressionAttributeValues={":p": s("order"), **kwargs.pop("values", {})},
                        **kwargs)
        return [Decimal(i["sk"]["N"]) for i in out["Items"]]

    asc = query(KeyConditionExpression="pk = :p")
    assert asc == sorted(Decimal(v) for v in expected)
    desc = query(KeyConditionExpression="pk = :p", ScanIndexForward=False)
    assert desc == list(reversed(asc))
    assert query(KeyConditionExpression="pk = :p AND sk < :z", values={":z": n(0)}) == [d for d in asc if d < 0]
    assert query(KeyConditionExpression="pk = :p AND sk >= :z", values={":z": n("-0.001")}) == [d for d in asc if d >= Decimal("-0.001")]
    assert query(KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                 values={":a": n(-2), ":b": n("1.5")}) == [d for d in asc if Decimal(-2) <= d <= Decimal("1.5")]
    assert query(KeyConditionExpression="pk = :p AND sk = :v", values={":v": n("2.50e-0")}) == []
    assert query(KeyConditionExpression="pk = :p AND sk = :v", values={":v": n("1.50")}) == [Decimal("1.5")]
    out = ddb.query(TableName=numbers, KeyConditionExpression="pk = :p", Select="COUNT",
                    ExpressionAttributeValues={":p": s("order")})
    assert out["Count"] == len(SORT_KEYS) and "Items" not in out


def test_query_conditions_on_string_keys(ddb, strings):
    for sk in ["a", "ab", "abc", "b", "ba", "c"]:
        ddb.put_item(TableName=strings, Item={"pk": s("p"), "sk": s(sk), "odd": {"BOOL": len(sk) % 2 == 1}})

    def sks(expr, **values):
        out = ddb.query(TableName=strings, KeyConditionExpression=expr,
                        ExpressionAttributeValues={":p": s("p"), **{f":{k}": s(v) for k, v in values.items()}})
        return [i["sk"]["S"] for i in out["Items"]]

    assert sks("pk = :p AND begins_with(sk, :x)", x="ab") == ["ab", "abc"]
    assert sks("pk = :p AND sk > :x", x="ab") == ["abc", "b", "ba", "c"]
    assert sks("pk = :p AND sk <= :x", x="b") == ["a", "ab", "abc", "b"]
    out = ddb.query(TableName=strings, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                    ExpressionAttributeValues={":p": s("p"), ":t": {"BOOL": True}})
    assert out["ScannedCount"] == 6 and out["Count"] == 4
    assert [i["sk"]["S"] for i in out["Items"]] == ["a", "abc", "b", "c"]

    err = expect_error("ValidationException", ddb.query, TableName=strings,
                       KeyConditionExpression="sk = :p", ExpressionAttributeValues={":p": s("p")})
    assert "missed key schema element" in str(err)
    expect_error("ValidationException", ddb.query, TableName=strings,
                 KeyConditionExpression="pk = :p OR sk = :p", ExpressionAttributeValues={":p": s("p")})


def test_paging_through_a_large_result_set(ddb, numbers):
    writes = [{"PutRequest": {"Item": {"pk": s("many"), "sk": n(i), "pad": s("x" * 100)}}} for i in range(300)]
    for start in range(0, len(writes), 25):
        out = ddb.batch_write_item(RequestItems={numbers: writes[start:start + 25]})
        assert out["UnprocessedItems"] == {}

    seen = []
    pages = 0
    for page in ddb.get_paginator("query").paginate(
            TableName=numbers, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": s("many")}, PaginationConfig={"PageSize": 37}):
        pages += 1
        seen.extend(int(i["sk"]["N"]) for i in page["Items"])
    assert seen == list(range(300))
    assert pages >= 9

    # Backwards, with a filter: pages may be short, but nothing is lost.
    seen = []
    for page in ddb.get_paginator("query").paginate(
            TableName=numbers, KeyConditionExpression="pk = :p", ScanIndexForward=False,
            FilterExpression="sk >= :min", ExpressionAttributeValues={":p": s("many"), ":min": n(250)},
            PaginationConfig={"PageSize": 20}):
        seen.extend(int(i["sk"]["N"]) for i in page["Items"])
    assert seen == list(range(299, 249, -1))


def test_scan_pages_and_parallel_segments(ddb, tables):
    name = tables.create("scan", **key_schema("pk", "S"))
    for start in range(0, 120, 25):
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": s(f"item-{i}"), "i": n(i)}}} for i in range(start, min(start + 25, 120))
        ]})
    seen = []
    for page in ddb.get_paginator("scan").paginate(TableName=name, PaginationConfig={"PageSize": 13}):
        seen.extend(int(i["i"]["N"]) for i in page["Items"])
    assert sorted(seen) == list(range(120))

    by_segment = []
    for segment in range(4):
        items = []
        for page in ddb.get_paginator("scan").paginate(TableName=name, Segment=segment, TotalSegments=4,
                                                       PaginationConfig={"PageSize": 10}):
            items.extend(int(i["i"]["N"]) for i in page["Items"])
        by_segment.append(items)
    assert sorted(sum(by_segment, [])) == list(range(120))

    out = ddb.scan(TableName=name, FilterExpression="i < :ten", ExpressionAttributeValues={":ten": n(10)},
                   Select="COUNT")
    assert out["Count"] == 10 and out["ScannedCount"] == 120
    expect_error("ValidationException", ddb.scan, TableName=name, Segment=4, TotalSegments=4)


# --------------------------------------------------------------------------- batches and transactions


def test_batches(ddb, simple):
    too_many = [{"PutRequest": {"Item": {"pk": s(f"b{i}")}}} for i in range(26)]
    expect_error("ValidationException", ddb.batch_write_item, RequestItems={simple: too_many})
    dup = [{"PutRequest": {"Item": {"pk": s("dup")}}}, {"DeleteRequest": {"Key": {"pk": s("dup")}}}]
    expect_error("ValidationException", ddb.batch_write_item, RequestItems={simple: dup})
    # One bad item refuses the whole batch.
    bad = [{"PutRequest": {"Item": {"pk": s("good-one")}}}, {"PutRequest": {"Item": {"pk": n(5)}}}]
    expect_error("ValidationException", ddb.batch_write_item, RequestItems={simple: bad})
    assert "Item" not in ddb.get_item(TableName=simple, Key={"pk": s("good-one")})

    ddb.batch_write_item(RequestItems={simple: too_many[:25]})
    keys = [{"pk": s(f"b{i}")} for i in range(25)] + [{"pk": s("absent")}]
    out = ddb.batch_get_item(RequestItems={simple: {"Keys": keys, "ProjectionExpression": "pk"}})
    assert sorted(i["pk"]["S"] for i in out["Responses"][simple]) == sorted(f"b{i}" for i in range(25))
    assert out["UnprocessedKeys"] == {}
    expect_error("ValidationException", ddb.batch_get_item,
                 RequestItems={simple: {"Keys": [{"pk": s(f"k{i}")} for i in range(101)]}})
    ddb.batch_write_item(RequestItems={simple: [{"DeleteRequest": {"Key": k}} for k in keys[:25]]})
    out = ddb.batch_get_item(RequestItems={simple: {"Keys": keys[:5]}})
    assert out["Responses"][simple] == []


def test_transactions(ddb, simple):
    a, b = {"pk": s("tx-a")}, {"pk": s("tx-b")}
    ddb.put_item(TableName=simple, Item={**a, "balance": n(100)})
    ddb.put_item(TableName=simple, Item={**b, "balance": n(0)})

    def transfer(amount):
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": simple, "Key": a, "UpdateExpression": "SET balance = balance - :x",
                        "ConditionExpression": "balance >= :x", "ExpressionAttributeValues": {":x": n(amount)}}},
            {"Update": {"TableName": simple, "Key": b, "UpdateExpression": "SET balance = balance + :x",
                        "ExpressionAttributeValues": {":x": n(amount)}}},
        ])

    transfer(60)
    err = expect_error("TransactionCanceledException", transfer, 60)
    reasons = err.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None"]
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": simple, "Key": a}},
                                                {"Get": {"TableName": simple, "Key": b}},
                                                {"Get": {"TableName": simple, "Key": {"pk": s("tx-none")}}}])
    responses = got["Responses"]
    assert responses[0]["Item"]["balance"] == n(40)
    assert responses[1]["Item"]["balance"] == n(60)
    assert "Item" not in responses[2]

    expect_error("ValidationException", ddb.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": simple, "Key": a, "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": simple, "Key": a}},
    ])
    assert ddb.get_item(TableName=simple, Key=a)["Item"]["balance"] == n(40)


# --------------------------------------------------------------------------- indexes


def test_global_and_local_secondary_indexes(ddb, tables):
    name = tables.create(
        "idx",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "kind", "AttributeType": "S"},
                              {"AttributeName": "score", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-kind", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"},
                                               {"AttributeName": "score", "KeyType": "RANGE"}]}],
        LocalSecondaryIndexes=[{"IndexName": "by-score", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "score", "KeyType": "RANGE"}]}],
    )
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    for i, (kind, score) in enumerate([("book", 5), ("book", -1), ("song", 3), (None, 9), ("book", 2.5)]):
        item = {"pk": s("p"), "sk": n(i), "title": s(f"t{i}")}
        if kind:
            item["kind"] = s(kind)
            item["score"] = n(score)
        ddb.put_item(TableName=name, Item=item)

    def wait_index_active():
        for _ in range(120):
            gsis = ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
            if all(g["IndexStatus"] == "ACTIVE" for g in gsis):
                return gsis
            ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
        raise AssertionError("index never became ACTIVE")

    wait_index_active()
    out = ddb.query(TableName=name, IndexName="by-kind", KeyConditionExpression="kind = :k",
                    ExpressionAttributeValues={":k": s("book")})
    assert [i["score"]["N"] for i in out["Items"]] == ["-1", "2.5", "5"]
    assert out["Items"][0]["title"] == s("t1")
    assert set(out["LastEvaluatedKey"] if "LastEvaluatedKey" in out else {}) <= {"pk", "sk", "kind", "score"}

    local = ddb.query(TableName=name, IndexName="by-score", KeyConditionExpression="pk = :p AND score > :z",
                      Select="ALL_PROJECTED_ATTRIBUTES",
                      ExpressionAttributeValues={":p": s("p"), ":z": n(0)})
    assert [i["score"]["N"] for i in local["Items"]] == ["2.5", "3", "5"]
    assert all(set(i) == {"pk", "sk", "score"} for i in local["Items"])

    # Paging an index with Limit resumes from LastEvaluatedKey.
    page = ddb.query(TableName=name, IndexName="by-kind", KeyConditionExpression="kind = :k", Limit=1,
                     ExpressionAttributeValues={":k": s("book")})
    assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "kind", "score"}
    rest = ddb.query(TableName=name, IndexName="by-kind", KeyConditionExpression="kind = :k",
                     ExclusiveStartKey=page["LastEvaluatedKey"], ExpressionAttributeValues={":k": s("book")})
    assert [i["score"]["N"] for i in rest["Items"]] == ["2.5", "5"]

    expect_error("ValidationException", ddb.query, TableName=name, IndexName="nope",
                 KeyConditionExpression="kind = :k", ExpressionAttributeValues={":k": s("book")})
    # A wrongly typed index key is refused.
    expect_error("ValidationException", ddb.put_item, TableName=name,
                 Item={"pk": s("p"), "sk": n(50), "kind": n(1), "score": n(1)})

    # Add a global index to the existing table; it is backfilled.
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "title", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by-title", "Projection": {"ProjectionType": "KEYS_ONLY"},
            "KeySchema": [{"AttributeName": "title", "KeyType": "HASH"}]}}],
    )
    gsis = wait_index_active()
    assert {g["IndexName"] for g in gsis} == {"by-kind", "by-title"}
    out = ddb.query(TableName=name, IndexName="by-title", KeyConditionExpression="title = :t",
                    ExpressionAttributeValues={":t": s("t3")})
    assert out["Items"] == [{"pk": s("p"), "sk": n(3), "title": s("t3")}]

    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-title"}}])
    for _ in range(120):
        gsis = ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
        if {g["IndexName"] for g in gsis} == {"by-kind"}:
            break
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    else:
        raise AssertionError("index by-title was never removed")


# --------------------------------------------------------------------------- AWS CLI


def test_aws_cli(cli, ddb, simple):
    rc, _, err = cli("dynamodb", "wait", "table-exists", "--table-name", simple)
    assert rc == 0, err
    rc, _, err = cli("dynamodb", "put-item", "--table-name", simple,
                     "--item", '{"pk": {"S": "cli"}, "v": {"N": "1.50"}, "tags": {"SS": ["x"]}}')
    assert rc == 0, err
    rc, out, err = cli("dynamodb", "get-item", "--table-name", simple, "--key", '{"pk": {"S": "cli"}}')
    assert rc == 0, err
    assert out["Item"]["v"] == {"N": "1.5"}
    assert out["Item"]["tags"] == {"SS": ["x"]}
    rc, out, err = cli("dynamodb", "update-item", "--table-name", simple, "--key", '{"pk": {"S": "cli"}}',
                       "--update-expression", "ADD v :d", "--expression-attribute-values", '{":d": {"N": "1"}}',
                       "--return-values", "UPDATED_NEW")
    assert rc == 0, err
    assert out["Attributes"]["v"] == {"N": "2.5"}
    rc, out, err = cli("dynamodb", "put-item", "--table-name", simple, "--item", '{"pk": {"S": "cli"}}',
                       "--condition-expression", "attribute_not_exists(pk)")
    assert rc != 0 and "ConditionalCheckFailedException" in err
    rc, out, err = cli("dynamodb", "scan", "--table-name", simple, "--filter-expression", "pk = :p",
                       "--expression-attribute-values", '{":p": {"S": "cli"}}')
    assert rc == 0, err
    assert out["Count"] == 1
    rc, out, err = cli("dynamodb", "describe-table", "--table-name", "compat-no-such-table")
    assert rc != 0 and "ResourceNotFoundException" in err
    rc, out, err = cli("dynamodb", "list-tables")
    assert rc == 0 and simple in out["TableNames"], err


# --------------------------------------------------------------------------- Time to Live and tags


def test_time_to_live_settings_and_errors(ddb, tables):
    name = tables.create("ttl", **key_schema("pk", "S"))
    out = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert out == {"TimeToLiveStatus": "DISABLED"}
    err = expect_error("ValidationException", ddb.update_time_to_live, TableName=name,
                       TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
    assert "TimeToLive is already disabled" in str(err)
    # botocore checks the minimum length itself; the maximum is the server's.
    expect_error("ValidationException", ddb.update_time_to_live, TableName=name,
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "a" * 256})
    missing = f"compat-missing-{uuid.uuid4().hex[:8]}"
    expect_error("ResourceNotFoundException", ddb.describe_time_to_live, TableName=missing)
    expect_error("ResourceNotFoundException", ddb.update_time_to_live, TableName=missing,
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}

    out = ddb.update_time_to_live(TableName=name,
                                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    described = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert described["AttributeName"] == "expires"
    # AWS passes through ENABLING for up to an hour; Ballast is ENABLED at once.
    assert described["TimeToLiveStatus"] in (("ENABLING", "ENABLED") if AGAINST_AWS else ("ENABLED",))
    err = expect_error("ValidationException", ddb.update_time_to_live, TableName=name,
                       TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    if not AGAINST_AWS:
        # AWS may instead say the setting changed too recently (its one-hour rule).
        assert "TimeToLive is already enabled" in str(err)
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["AttributeName"] == "expires"


@pytest.mark.skipif(AGAINST_AWS, reason="AWS deletes expired items within days, not seconds")
def test_time_to_live_deletes_expired_items(server_factory):
    server = server_factory.new("ttl", extra_args=("--time-scale", "0.01")).start()
    ddb = server.client("dynamodb")
    name = f"compat-expiring-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "kind", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-kind", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}]}],
    )
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    now = int(time.time())
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})

    def put(pk, ttl=None):
        item = {"pk": s(pk), "kind": s("session")}
        if ttl is not None:
            item["expires"] = ttl
        ddb.put_item(TableName=name, Item=item)

    put("future", n(now + 3600))
    put("string", s(str(now - 120)))
    put("ancient", n(now - 6 * 365 * 86400))
    put("decimal-future", n(f"{now + 3600}.5"))
    put("none")
    # Written last: once it is gone, a sweep ran with every item above in place.
    put("expired", n(now - 60))

    def present(pk):
        return "Item" in ddb.get_item(TableName=name, Key={"pk": s(pk)})

    deadline = time.monotonic() + 20
    while present("expired"):
        assert time.monotonic() < deadline, "the expired item was never deleted"
        time.sleep(0.05)  # poll interval, bounded by the deadline
    for kept in ("future", "string", "ancient", "decimal-future", "none"):
        assert present(kept), kept
    indexed = ddb.query(TableName=name, IndexName="by-kind", KeyConditionExpression="kind = :k",
                        ExpressionAttributeValues={":k": s("session")})["Items"]
    assert sorted(i["pk"]["S"] for i in indexed) == ["ancient", "decimal-future", "future", "none", "string"]


def test_tags(ddb, tables):
    name = tables.create("tags", Tags=[{"Key": "env", "Value": "test"}], **key_schema("pk", "S"))
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "test"}]

    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i:02}", "Value": f"v{i}"} for i in range(14)]
                     + [{"Key": "env", "Value": "prod"}])
    listed = []
    for page in ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn):
        listed.extend(page["Tags"])
    assert len(listed) == 15
    assert {"Key": "env", "Value": "prod"} in listed
    if not AGAINST_AWS:
        first = ddb.list_tags_of_resource(ResourceArn=arn)
        assert len(first["Tags"]) == 10 and "NextToken" in first
        rest = ddb.list_tags_of_resource(ResourceArn=arn, NextToken=first["NextToken"])
        assert len(rest["Tags"]) == 5 and "NextToken" not in rest

    ddb.untag_resource(ResourceArn=arn, TagKeys=["env", "not-there"])
    listed = [t for p in ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn) for t in p["Tags"]]
    assert sorted(t["Key"] for t in listed) == [f"k{i:02}" for i in range(14)]

    # Refusals change nothing.
    account_region = arn.rsplit(":table/", 1)[0]
    missing = f"{account_region}:table/compat-missing-{uuid.uuid4().hex[:8]}"
    expect_error("ResourceNotFoundException", ddb.list_tags_of_resource, ResourceArn=missing)
    expect_error("ResourceNotFoundException", ddb.tag_resource, ResourceArn=missing,
                 Tags=[{"Key": "a", "Value": "b"}])
    expect_error("ValidationException", ddb.list_tags_of_resource, ResourceArn=f"{arn}/index/nope")
    expect_error("ValidationException", ddb.tag_resource, ResourceArn=arn, Tags=[])
    expect_error("ValidationException", ddb.tag_resource, ResourceArn=arn,
                 Tags=[{"Key": "ok", "Value": "#!%"}])
    expect_error("ValidationException", ddb.tag_resource, ResourceArn=arn,
                 Tags=[{"Key": "aws:reserved", "Value": "x"}])
    expect_error("ValidationException", ddb.tag_resource, ResourceArn=arn,
                 Tags=[{"Key": f"extra{i}", "Value": "x"} for i in range(37)])
    listed = [t for p in ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn) for t in p["Tags"]]
    assert len(listed) == 14

    # Tags go with the table.
    ddb.delete_table(TableName=name)
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)
    expect_error("ResourceNotFoundException", ddb.list_tags_of_resource, ResourceArn=arn)


def test_aws_cli_time_to_live_and_tags(cli, ddb, tables):
    name = tables.create("cli-ttl", **key_schema("pk", "S"))
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    rc, out, err = cli("dynamodb", "update-time-to-live", "--table-name", name,
                       "--time-to-live-specification", "Enabled=true,AttributeName=expires")
    assert rc == 0, err
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    rc, out, err = cli("dynamodb", "describe-time-to-live", "--table-name", name)
    assert rc == 0, err
    assert out["TimeToLiveDescription"]["AttributeName"] == "expires"
    rc, out, err = cli("dynamodb", "update-time-to-live", "--table-name", name,
                       "--time-to-live-specification", "Enabled=true,AttributeName=expires")
    assert rc != 0 and "ValidationException" in err

    rc, _, err = cli("dynamodb", "tag-resource", "--resource-arn", arn,
                     "--tags", "Key=team,Value=payments", "Key=env,Value=test")
    assert rc == 0, err
    rc, out, err = cli("dynamodb", "list-tags-of-resource", "--resource-arn", arn)
    assert rc == 0, err
    assert sorted((t["Key"], t["Value"]) for t in out["Tags"]) == [("env", "test"), ("team", "payments")]
    rc, _, err = cli("dynamodb", "untag-resource", "--resource-arn", arn, "--tag-keys", "env")
    assert rc == 0, err
    rc, out, err = cli("dynamodb", "list-tags-of-resource", "--resource-arn", arn)
    assert rc == 0, err
    assert out["Tags"] == [{"Key": "team", "Value": "payments"}]
    rc, _, err = cli("dynamodb", "list-tags-of-resource", "--resource-arn", f"{arn}-missing")
    assert rc != 0 and "ResourceNotFoundException" in err
