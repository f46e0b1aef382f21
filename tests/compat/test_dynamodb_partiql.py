"""DynamoDB's PartiQL (ExecuteStatement, BatchExecuteStatement and
ExecuteTransaction) through boto3 (its resource layer, which turns
Python values into DynamoDB's, as AWS's PartiQL examples use it) and the
AWS CLI: a film inserted, read, rated, read again and deleted one
statement at a time; the same in batches; a projected SELECT over the
whole table; and the errors DynamoDB answers, each leaving the table as
it was."""

import uuid
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code, make_resource

WAIT = {"Delay": 1, "MaxAttempts": 60}


@pytest.fixture
def films(endpoint):
    """A (title S, year N) table, deleted afterwards."""
    resource = make_resource("dynamodb", endpoint)
    name = f"partiql-{uuid.uuid4().hex[:8]}"
    table = resource.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "title", "KeyType": "HASH"},
                   {"AttributeName": "year", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "title", "AttributeType": "S"},
                              {"AttributeName": "year", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    resource.meta.client.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    yield resource.meta.client, name
    table.delete()


def expect_error(code, call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    assert error_code(e.value) == code, e.value.response
    return e.value.response


def test_one_statement_at_a_time(films):
    client, name = films
    title, year = "Query Language Nights", 2026
    client.execute_statement(
        Statement=f"INSERT INTO \"{name}\" VALUE {{'title': ?, 'year': ?, 'info': ?}}",
        Parameters=[title, year, {"plot": "Two engineers meet a parser.", "rating": Decimal("9.9")}],
    )
    select = f'SELECT * FROM "{name}" WHERE title=? AND year=?'
    (item,) = client.execute_statement(Statement=select, Parameters=[title, year])["Items"]
    assert item["info"]["rating"] == Decimal("9.9") and item["year"] == year

    client.execute_statement(
        Statement=f'UPDATE "{name}" SET info.rating=? WHERE title=? AND year=?',
        Parameters=[Decimal("2.4"), title, year],
    )
    (item,) = client.execute_statement(Statement=select, Parameters=[title, year])["Items"]
    assert item["info"] == {"plot": "Two engineers meet a parser.", "rating": Decimal("2.4")}

    expect_error("DuplicateItemException", client.execute_statement,
                 Statement=f"INSERT INTO \"{name}\" VALUE {{'title': ?, 'year': ?}}", Parameters=[title, year])
    expect_error("ValidationException", client.execute_statement,
                 Statement=f'DELETE FROM "{name}" WHERE title=?', Parameters=[title])
    expect_error("ValidationException", client.execute_statement,
                 Statement=f'SELECT * FROM "{name}" WHERE title=? AND year=?', Parameters=[title])
    expect_error("ResourceNotFoundException", client.execute_statement,
                 Statement='SELECT * FROM "no-such-films"')
    assert client.execute_statement(Statement=select, Parameters=[title, year])["Items"] == [item]

    client.execute_statement(Statement=f'DELETE FROM "{name}" WHERE title=? AND year=?', Parameters=[title, year])
    assert client.execute_statement(Statement=select, Parameters=[title, year])["Items"] == []
    expect_error("ConditionalCheckFailedException", client.execute_statement,
                 Statement=f'DELETE FROM "{name}" WHERE title=? AND year=?', Parameters=[title, year])


def test_batches_and_a_projected_scan(films):
    client, name = films
    films_ = [("Sequel", 2020, Decimal("8.5")), ("Sequel 2", 2022, Decimal("6.5")),
              ("Sequel 3", 2024, Decimal("2.5"))]

    def batch(statement, parameter_lists):
        return client.batch_execute_statement(Statements=[
            {"Statement": statement, "Parameters": params} for params in parameter_lists
        ])["Responses"]

    inserted = batch(f"INSERT INTO \"{name}\" VALUE {{'title': ?, 'year': ?, 'info': ?}}",
                     [[t, y, {"rating": r}] for t, y, r in films_])
    assert [r.get("Error") for r in inserted] == [None, None, None]
    read = batch(f'SELECT * FROM "{name}" WHERE title=? AND year=?', [[t, y] for t, y, _ in films_])
    assert [r["Item"]["title"] for r in read] == [t for t, _, _ in films_]
    batch(f'UPDATE "{name}" SET info.rating=? WHERE title=? AND year=?',
          [[r, t, y] for (t, y, _), r in zip(films_, [Decimal("7.7"), Decimal("5.5"), Decimal("1.3")])])
    projected = client.execute_statement(Statement=f'SELECT title, info.rating FROM "{name}"')["Items"]
    assert sorted((i["title"], i["info"]["rating"]) for i in projected) == [
        ("Sequel", Decimal("7.7")), ("Sequel 2", Decimal("5.5")), ("Sequel 3", Decimal("1.3"))
    ]
    again = batch(f"INSERT INTO \"{name}\" VALUE {{'title': ?, 'year': ?}}", [["Sequel", 2020]])
    assert again[0]["Error"]["Code"] == "DuplicateItem"
    expect_error("ValidationException", client.batch_execute_statement, Statements=[
        {"Statement": f'SELECT * FROM "{name}" WHERE title=? AND year=?', "Parameters": ["Sequel", 2020]},
        {"Statement": f'DELETE FROM "{name}" WHERE title=? AND year=?', "Parameters": ["Sequel", 2020]},
    ])
    deleted = batch(f'DELETE FROM "{name}" WHERE title=? AND year=?', [[t, y] for t, y, _ in films_])
    assert [r.get("Error") for r in deleted] == [None, None, None]
    assert client.scan(TableName=name)["Items"] == []


def test_cli_execute_statement(films, aws):
    _, name = films
    rc, _, err = aws("dynamodb", "execute-statement", "--statement",
                     f"INSERT INTO \"{name}\" VALUE {{'title': 'CLI', 'year': 2001}}")
    assert rc == 0, err
    rc, out, err = aws("dynamodb", "execute-statement", "--statement",
                       f'SELECT year FROM "{name}" WHERE title = ?', "--parameters", '[{"S": "CLI"}]')
    assert rc == 0, err
    assert out["Items"] == [{"year": {"N": "2001"}}]
    rc, out, err = aws("dynamodb", "batch-execute-statement", "--statements",
                       f'[{{"Statement": "DELETE FROM \\"{name}\\" WHERE title = \'CLI\' AND year = 2001"}}]')
    assert rc == 0, err
    assert "Error" not in out["Responses"][0]
    rc, _, err = aws("dynamodb", "execute-statement", "--statement", f'SELEC * FROM "{name}"')
    assert rc != 0 and "ValidationException" in err


def test_transactions(films, aws):
    client, name = films
    insert = f"INSERT INTO \"{name}\" VALUE {{'title': ?, 'year': ?, 'copies': ?}}"
    client.execute_transaction(TransactStatements=[
        {"Statement": insert, "Parameters": ["Alpha", 2001, 3]},
        {"Statement": insert, "Parameters": ["Beta", 2002, 1]},
    ])
    rent = f'UPDATE "{name}" SET copies = copies - 1 WHERE title = ? AND year = ? AND copies > 0'
    response = expect_error("TransactionCanceledException", client.execute_transaction, TransactStatements=[
        {"Statement": rent, "Parameters": ["Alpha", 2001]},
        {"Statement": rent, "Parameters": ["Beta", 2002]},
        {"Statement": rent, "Parameters": ["Gamma", 2003]},
    ])
    assert [r["Code"] for r in response["CancellationReasons"]] == ["None", "None", "ConditionalCheckFailed"]
    rc, out, err = aws("dynamodb", "execute-transaction", "--transact-statements", (
        f'[{{"Statement": "SELECT copies FROM \\"{name}\\" WHERE title = \'Alpha\' AND year = 2001"}},'
        f' {{"Statement": "SELECT copies FROM \\"{name}\\" WHERE title = \'Beta\' AND year = 2002"}}]'
    ))
    assert rc == 0, err
    assert [r["Item"]["copies"]["N"] for r in out["Responses"]] == ["3", "1"], "nothing was rented"
