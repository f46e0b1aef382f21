"""OpsCenter's OpsItems through boto3 and the AWS CLI (awsJson1.1): the
issue an operator opens, updates, looks up and resolves, as AWS's Systems
Manager getting-started scenario does after its maintenance window,
document and command, then deletes; the errors AWS answers; paging.

Every item carries a unique title, so filters see only the test's own
items on the shared server."""

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code


def expect_error(code, call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    assert error_code(e.value) == code, e.value.response
    return e.value.response


def by_title(ssm, title):
    pages = ssm.get_paginator("describe_ops_items").paginate(
        OpsItemFilters=[{"Key": "Title", "Values": [title], "Operator": "Equal"}]
    )
    return [s for page in pages for s in page["OpsItemSummaries"]]


def test_an_issue_from_open_to_resolved_and_deleted(ssm, uid):
    title = f"Disk Space Alert {uid}"
    created = ssm.create_ops_item(
        Title=title,
        Source="EC2",
        Category="Performance",
        Severity="2",
        Description="Raised by the disk monitor",
        OperationalData={"host": {"Value": "web-1", "Type": "SearchableString"}},
        Tags=[{"Key": "team", "Value": "storage"}],
    )
    item_id = created["OpsItemId"]
    assert created["OpsItemArn"].endswith(f":opsitem/{item_id}")

    ssm.update_ops_item(OpsItemId=item_id, Title=title, Description=f"An update to {item_id}")
    (summary,) = ssm.describe_ops_items(
        OpsItemFilters=[{"Key": "OpsItemId", "Values": [item_id], "Operator": "Equal"}]
    )["OpsItemSummaries"]
    assert (summary["Title"], summary["Status"], summary["Severity"]) == (title, "Open", "2")
    assert summary["OperationalData"] == {"host": {"Value": "web-1", "Type": "SearchableString"}}

    ssm.update_ops_item(OpsItemId=item_id, Status="Resolved")
    item = ssm.get_ops_item(OpsItemId=item_id)["OpsItem"]
    assert (item["Status"], item["Description"], item["Version"]) == (
        "Resolved", f"An update to {item_id}", "3"
    )
    assert item["CreatedBy"] == "arn:aws:iam::000000000000:root"
    assert item["LastModifiedTime"] >= item["CreatedTime"]
    tags = ssm.list_tags_for_resource(ResourceType="OpsItem", ResourceId=item_id)["TagList"]
    assert tags == [{"Key": "team", "Value": "storage"}]

    ssm.delete_ops_item(OpsItemId=item_id)
    ssm.delete_ops_item(OpsItemId=item_id)
    expect_error("OpsItemNotFoundException", ssm.get_ops_item, OpsItemId=item_id)
    assert by_title(ssm, title) == []


def test_filters_and_pages(ssm, uid):
    title = f"paged {uid}"
    ids = {ssm.create_ops_item(Title=title, Source="app", Description="d", Priority=p)["OpsItemId"]
           for p in (1, 2, 3)}
    pages = list(ssm.get_paginator("describe_ops_items").paginate(
        OpsItemFilters=[{"Key": "Title", "Values": [title], "Operator": "Equal"}],
        PaginationConfig={"PageSize": 2},
    ))
    assert [len(p["OpsItemSummaries"]) for p in pages] == [2, 1]
    assert {s["OpsItemId"] for p in pages for s in p["OpsItemSummaries"]} == ids
    # Resolving what a page showed does not spoil the token for the next.
    by_title_open = [{"Key": "Title", "Values": [title], "Operator": "Equal"},
                     {"Key": "Status", "Values": ["Open"], "Operator": "Equal"}]
    first = ssm.describe_ops_items(OpsItemFilters=by_title_open, MaxResults=2)
    for summary in first["OpsItemSummaries"]:
        ssm.update_ops_item(OpsItemId=summary["OpsItemId"], Status="Resolved")
    rest = ssm.describe_ops_items(OpsItemFilters=by_title_open, MaxResults=2, NextToken=first["NextToken"])
    assert [s["Status"] for s in rest["OpsItemSummaries"]] == ["Open"] and "NextToken" not in rest
    urgent = ssm.describe_ops_items(OpsItemFilters=[
        {"Key": "Title", "Values": [title], "Operator": "Equal"},
        {"Key": "Priority", "Values": ["1", "2"], "Operator": "Equal"},
    ])["OpsItemSummaries"]
    assert sorted(s["Priority"] for s in urgent) == [1, 2]
    recent = ssm.describe_ops_items(OpsItemFilters=[
        {"Key": "Title", "Values": [title], "Operator": "Equal"},
        {"Key": "CreatedTime", "Values": ["2020-01-01T00:00:00Z"], "Operator": "GreaterThan"},
    ])["OpsItemSummaries"]
    assert len(recent) == 3
    response = expect_error(
        "OpsCenterInvalidArgumentException",
        ssm.describe_ops_items,
        OpsItemFilters=[{"Key": "CreatedTime", "Values": ["2020-01-01T00:00:00Z"], "Operator": "Equal"}],
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for item_id in ids:
        ssm.delete_ops_item(OpsItemId=item_id)


def test_bad_items_are_refused_and_nothing_is_made(ssm, ssm_unvalidated, uid):
    title = f"refused {uid}"
    response = expect_error(
        "OpsItemInvalidParameterException",
        ssm.create_ops_item, Title=title, Source="amazon-monitor", Description="d",
    )
    assert response["ParameterNames"] == ["Source"]
    expect_error(
        "OpsItemInvalidParameterException",
        ssm.create_ops_item, Title=title, Source="app", Description="d",
        OperationalData={"/ssm/x": {"Value": "v", "Type": "String"}},
    )
    expect_error("ValidationException", ssm_unvalidated.create_ops_item,
                 Title=title, Source="app", Description="d", Priority=0)
    expect_error("ValidationException", ssm_unvalidated.get_ops_item, OpsItemId="oi-XYZ")
    expect_error("OpsItemNotFoundException", ssm.update_ops_item,
                 OpsItemId="oi-0123456789ab", Status="Resolved")
    assert by_title(ssm, title) == []


def test_cli_ops_items(aws, uid):
    title = f"cli {uid}"
    rc, out, err = aws("ssm", "create-ops-item", "--title", title, "--source", "EC2",
                       "--description", "from the CLI", "--severity", "3",
                       "--operational-data", '{"host":{"Value":"web-2","Type":"SearchableString"}}')
    assert rc == 0, err
    item_id = out["OpsItemId"]
    rc, _, err = aws("ssm", "update-ops-item", "--ops-item-id", item_id, "--status", "InProgress")
    assert rc == 0, err
    rc, out, err = aws("ssm", "describe-ops-items", "--ops-item-filters",
                       f"Key=OpsItemId,Values={item_id},Operator=Equal",
                       "--query", "OpsItemSummaries[0].Status")
    assert (rc, out) == (0, "InProgress"), err
    rc, out, err = aws("ssm", "get-ops-item", "--ops-item-id", item_id, "--query", "OpsItem.Severity")
    assert (rc, out) == (0, "3"), err
    rc, _, err = aws("ssm", "delete-ops-item", "--ops-item-id", item_id)
    assert rc == 0, err
    rc, _, err = aws("ssm", "get-ops-item", "--ops-item-id", item_id)
    assert rc != 0 and "OpsItemNotFoundException" in err
