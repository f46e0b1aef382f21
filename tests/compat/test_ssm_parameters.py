"""SSM Parameter Store through boto3 and the AWS CLI (awsJson1.1).

Every test uses names with a unique suffix, so tests are independent of each
other and of their order. Error cases check the exact code AWS returns and
that a rejected call stored nothing.
"""

from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from ballast_compat import REGION, error_code, http_status


# --------------------------------------------------------------------------- helpers


def assert_not_found(ssm, name):
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=name)
    assert error_code(e.value) == "ParameterNotFound", e.value.response
    assert http_status(e.value) == 400


def all_parameter_names(ssm, **kwargs):
    names = []
    for page in ssm.get_paginator("describe_parameters").paginate(**kwargs):
        names.extend(p["Name"] for p in page["Parameters"])
    return names


def described(ssm, **kwargs):
    out = []
    for page in ssm.get_paginator("describe_parameters").paginate(**kwargs):
        out.extend(page["Parameters"])
    return out


# --------------------------------------------------------------------------- PutParameter / GetParameter


def test_put_get_string(ssm, uid, account_id):
    name = f"/compat/{uid}/plain"
    put = ssm.put_parameter(Name=name, Value="hello world", Type="String")
    assert put["Version"] == 1
    assert put["Tier"] == "Standard"

    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Name"] == name
    assert p["Type"] == "String"
    assert p["Value"] == "hello world"
    assert p["Version"] == 1
    assert p["DataType"] == "text"
    assert p["ARN"] == f"arn:aws:ssm:{REGION}:{account_id}:parameter{name}"
    age = abs((datetime.now(timezone.utc) - p["LastModifiedDate"]).total_seconds())
    assert age < 300, p["LastModifiedDate"]


def test_put_get_string_list(ssm, uid):
    name = f"/compat/{uid}/list"
    ssm.put_parameter(Name=name, Value="a,b,c", Type="StringList")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Type"] == "StringList"
    assert p["Value"] == "a,b,c"


def test_secure_string_decryption(ssm, uid):
    name = f"/compat/{uid}/secret"
    secret = "s3cr3t-p@ss"
    put = ssm.put_parameter(Name=name, Value=secret, Type="SecureString")
    assert put["Version"] == 1

    hidden = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]
    assert hidden["Type"] == "SecureString"
    assert hidden["Value"] != secret
    assert secret not in hidden["Value"]

    default = ssm.get_parameter(Name=name)["Parameter"]
    assert default["Value"] != secret, "WithDecryption defaults to false"

    shown = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert shown["Value"] == secret

    many = ssm.get_parameters(Names=[name], WithDecryption=True)
    assert [p["Value"] for p in many["Parameters"]] == [secret]
    many = ssm.get_parameters(Names=[name], WithDecryption=False)
    assert many["Parameters"][0]["Value"] != secret

    # WithDecryption is ignored for non-secure types.
    plain = f"/compat/{uid}/plain"
    ssm.put_parameter(Name=plain, Value="visible", Type="String")
    assert ssm.get_parameter(Name=plain, WithDecryption=True)["Parameter"]["Value"] == "visible"


def test_overwrite_false_is_parameter_already_exists(ssm, uid):
    name = f"/compat/{uid}/dup"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v2", Type="String")
    assert error_code(e.value) == "ParameterAlreadyExists"
    assert http_status(e.value) == 400
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=False)
    assert error_code(e.value) == "ParameterAlreadyExists"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("v1", 1)


def test_overwrite_true_bumps_version(ssm, uid):
    name = f"/compat/{uid}/ow"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    put = ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)
    assert put["Version"] == 2
    assert put["Tier"] == "Standard"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("v2", 2)
    put = ssm.put_parameter(Name=name, Value="v3", Type="String", Overwrite=True)
    assert put["Version"] == 3


def test_description_tier_datatype(ssm, uid):
    std = f"/compat/{uid}/std"
    adv = f"/compat/{uid}/adv"
    put = ssm.put_parameter(
        Name=std, Value="x", Type="String", Description="a standard one", Tier="Standard", DataType="text"
    )
    assert put["Tier"] == "Standard"
    big = "y" * 6000
    put = ssm.put_parameter(Name=adv, Value=big, Type="String", Description="an advanced one", Tier="Advanced")
    assert put["Tier"] == "Advanced"
    assert ssm.get_parameter(Name=adv)["Parameter"]["Value"] == big

    meta = {p["Name"]: p for p in described(ssm, ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"/compat/{uid}/"]}])}
    assert set(meta) == {std, adv}
    assert meta[std]["Description"] == "a standard one"
    assert meta[std]["Tier"] == "Standard"
    assert meta[std]["DataType"] == "text"
    assert meta[std]["Type"] == "String"
    assert meta[std]["Version"] == 1
    assert meta[adv]["Description"] == "an advanced one"
    assert meta[adv]["Tier"] == "Advanced"


def test_same_name_with_and_without_leading_slash(ssm, uid):
    bare = f"compat-{uid}-same"
    slashed = "/" + bare
    ssm.put_parameter(Name=bare, Value="one", Type="String")
    assert ssm.get_parameter(Name=slashed)["Parameter"]["Value"] == "one"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=slashed, Value="two", Type="String")
    assert error_code(e.value) == "ParameterAlreadyExists"
    put = ssm.put_parameter(Name=slashed, Value="two", Type="String", Overwrite=True)
    assert put["Version"] == 2
    assert ssm.get_parameter(Name=bare)["Parameter"]["Value"] == "two"


# --------------------------------------------------------------------------- selectors


def test_version_and_label_selectors(ssm, uid):
    name = f"/compat/{uid}/sel"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)

    p = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (p["Name"], p["Value"], p["Version"]) == (name, "v1", 1)
    assert p.get("Selector") == ":1"
    p = ssm.get_parameter(Name=f"{name}:2")["Parameter"]
    assert (p["Value"], p["Version"]) == ("v2", 2)

    labeled = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    assert labeled["ParameterVersion"] == 1
    assert labeled.get("InvalidLabels", []) == []

    p = ssm.get_parameter(Name=f"{name}:stable")["Parameter"]
    assert (p["Name"], p["Value"], p["Version"]) == (name, "v1", 1)
    assert p.get("Selector") == ":stable"

    # GetParameters accepts selectors too.
    got = ssm.get_parameters(Names=[f"{name}:1", f"{name}:stable"])
    assert sorted(p["Value"] for p in got["Parameters"]) == ["v1", "v1"]


def test_bad_version_or_label_is_parameter_version_not_found(ssm, uid):
    name = f"/compat/{uid}/badsel"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    for selector in (f"{name}:99", f"{name}:nolabel"):
        with pytest.raises(ClientError) as e:
            ssm.get_parameter(Name=selector)
        assert error_code(e.value) == "ParameterVersionNotFound", selector
        assert http_status(e.value) == 400


def test_get_missing_is_parameter_not_found(ssm, uid):
    assert_not_found(ssm, f"/compat/{uid}/missing")
    assert_not_found(ssm, f"/compat/{uid}/missing:1")


def test_label_parameter_version(ssm, uid):
    name = f"/compat/{uid}/labels"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)

    # No version: the label goes on the latest version.
    out = ssm.label_parameter_version(Name=name, Labels=["latest-ok"])
    assert out["ParameterVersion"] == 2

    # Invalid labels are reported, valid ones still applied.
    out = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "1starts-with-digit", "awsreserved"])
    assert sorted(out.get("InvalidLabels", [])) == ["1starts-with-digit", "awsreserved"]
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Version"] == 1

    # A label is unique within the parameter: labelling v2 moves it off v1.
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v2"
    history = {h["Version"]: h for h in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert history[1].get("Labels", []) == []
    assert sorted(history[2]["Labels"]) == ["latest-ok", "prod"]

    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=name, ParameterVersion=7, Labels=["x"])
    assert error_code(e.value) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=f"/compat/{uid}/nope", ParameterVersion=1, Labels=["x"])
    assert error_code(e.value) == "ParameterNotFound"


# --------------------------------------------------------------------------- GetParameters


def test_get_parameters_lists_invalid(ssm, uid):
    a, b = f"/compat/{uid}/a", f"/compat/{uid}/b"
    missing1, missing2 = f"/compat/{uid}/missing1", f"/compat/{uid}/missing2"
    ssm.put_parameter(Name=a, Value="A", Type="String")
    ssm.put_parameter(Name=b, Value="B", Type="StringList")
    out = ssm.get_parameters(Names=[a, missing1, b, missing2])
    assert {p["Name"]: p["Value"] for p in out["Parameters"]} == {a: "A", b: "B"}
    assert sorted(out["InvalidParameters"]) == sorted([missing1, missing2])

    out = ssm.get_parameters(Names=[a])
    assert out.get("InvalidParameters", []) == []


# --------------------------------------------------------------------------- GetParametersByPath


@pytest.fixture
def tree(ssm, uid):
    root = f"/compat-tree-{uid}"
    names = {
        f"{root}/a": "1",
        f"{root}/b": "2",
        f"{root}/sub/c": "3",
        f"{root}/sub/deeper/d": "4",
    }
    for n, v in names.items():
        ssm.put_parameter(Name=n, Value=v, Type="String")
    # A sibling that shares the prefix but is not under the path.
    ssm.put_parameter(Name=f"{root}x/other", Value="no", Type="String")
    return root, names


def test_get_parameters_by_path_recursive_and_not(ssm, tree):
    root, names = tree
    flat = ssm.get_paginator("get_parameters_by_path").paginate(Path=root, Recursive=False)
    flat_names = sorted(p["Name"] for page in flat for p in page["Parameters"])
    assert flat_names == [f"{root}/a", f"{root}/b"]

    deep = ssm.get_paginator("get_parameters_by_path").paginate(Path=root, Recursive=True)
    got = {p["Name"]: p["Value"] for page in deep for p in page["Parameters"]}
    assert got == names

    sub = ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{root}/sub", Recursive=True)
    assert sorted(p["Name"] for page in sub for p in page["Parameters"]) == [f"{root}/sub/c", f"{root}/sub/deeper/d"]


def test_get_parameters_by_path_pages_of_one(ssm, tree):
    root, names = tree
    pages = list(
        ssm.get_paginator("get_parameters_by_path").paginate(
            Path=root, Recursive=True, PaginationConfig={"PageSize": 1}
        )
    )
    collected = [p["Name"] for page in pages for p in page["Parameters"]]
    assert all(len(page["Parameters"]) <= 1 for page in pages)
    assert len(collected) == len(set(collected)), "a parameter was returned twice across pages"
    assert sorted(collected) == sorted(names)
    assert len(pages) >= len(names)
    assert "NextToken" not in pages[-1] or not pages[-1]["NextToken"]


def test_get_parameters_by_path_first_page_has_token(ssm, tree):
    root, _ = tree
    first = ssm.get_parameters_by_path(Path=root, Recursive=True, MaxResults=1)
    assert len(first["Parameters"]) <= 1
    assert first.get("NextToken")
    second = ssm.get_parameters_by_path(Path=root, Recursive=True, MaxResults=1, NextToken=first["NextToken"])
    assert second.get("NextToken") != first["NextToken"]


def test_cli_get_parameters_by_path_auto_paginates(aws, tree):
    root, names = tree
    rc, out, err = aws("ssm", "get-parameters-by-path", "--path", root, "--recursive", "--page-size", "1")
    assert rc == 0, err
    assert sorted(p["Name"] for p in out["Parameters"]) == sorted(names)


def test_cli_put_and_get_parameter(aws, uid):
    name = f"/compat/{uid}/cli"
    rc, out, err = aws("ssm", "put-parameter", "--name", name, "--value", "from-cli", "--type", "String")
    assert rc == 0, err
    assert out == {"Version": 1, "Tier": "Standard"}
    rc, out, err = aws("ssm", "get-parameter", "--name", name)
    assert rc == 0, err
    assert out["Parameter"]["Value"] == "from-cli"
    rc, out, err = aws("ssm", "put-parameter", "--name", name, "--value", "again", "--type", "String")
    assert rc != 0
    assert "ParameterAlreadyExists" in err
    rc, out, err = aws("ssm", "get-parameter", "--name", f"/compat/{uid}/nothing")
    assert rc != 0
    assert "ParameterNotFound" in err


# --------------------------------------------------------------------------- DescribeParameters


def test_describe_parameters_filters(ssm, uid):
    base = f"/compat-desc-{uid}"
    one, two, other = f"{base}/one", f"{base}/two", f"{base}-other/three"
    ssm.put_parameter(Name=one, Value="1", Type="String", Description="first")
    ssm.put_parameter(Name=two, Value="2", Type="SecureString")
    ssm.put_parameter(Name=other, Value="3", Type="StringList")

    begins = all_parameter_names(ssm, ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{base}/"]}])
    assert sorted(begins) == [one, two]

    equals = all_parameter_names(ssm, ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [one]}])
    assert equals == [one]

    legacy = all_parameter_names(ssm, Filters=[{"Key": "Name", "Values": [two]}])
    assert two in legacy
    assert one not in legacy

    none = all_parameter_names(ssm, ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [f"{base}/nope"]}])
    assert none == []

    meta = {p["Name"]: p for p in described(ssm, ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{base}/"]}])}
    assert meta[one]["Type"] == "String"
    assert meta[one]["Description"] == "first"
    assert meta[one]["Version"] == 1
    assert meta[two]["Type"] == "SecureString"
    assert meta[two]["KeyId"] == "alias/aws/ssm"


def test_describe_parameters_pages(ssm, uid):
    base = f"/compat-dpage-{uid}"
    names = [f"{base}/p{i}" for i in range(4)]
    for n in names:
        ssm.put_parameter(Name=n, Value="v", Type="String")
    pages = list(
        ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [base + "/"]}],
            PaginationConfig={"PageSize": 1},
        )
    )
    collected = [p["Name"] for page in pages for p in page["Parameters"]]
    assert all(len(page["Parameters"]) <= 1 for page in pages)
    assert sorted(collected) == sorted(names)


# --------------------------------------------------------------------------- history


def test_get_parameter_history(ssm, uid):
    name = f"/compat/{uid}/hist"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="first")
    ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)
    ssm.put_parameter(Name=name, Value="v3", Type="String", Overwrite=True)
    hist = []
    for page in ssm.get_paginator("get_parameter_history").paginate(Name=name):
        hist.extend(page["Parameters"])
    assert [(h["Version"], h["Value"]) for h in hist] == [(1, "v1"), (2, "v2"), (3, "v3")]
    assert all(h["Name"] == name and h["Type"] == "String" for h in hist)
    assert hist[0]["Description"] == "first"
    assert all(h["Tier"] == "Standard" for h in hist)

    paged = list(ssm.get_paginator("get_parameter_history").paginate(Name=name, PaginationConfig={"PageSize": 1}))
    assert [h["Version"] for page in paged for h in page["Parameters"]] == [1, 2, 3]

    with pytest.raises(ClientError) as e:
        ssm.get_parameter_history(Name=f"/compat/{uid}/nohist")
    assert error_code(e.value) == "ParameterNotFound"


# --------------------------------------------------------------------------- deletion


def test_delete_parameter(ssm, uid):
    name = f"/compat/{uid}/del"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)
    out = ssm.delete_parameter(Name=name)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert_not_found(ssm, name)

    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name=name)
    assert error_code(e.value) == "ParameterNotFound"
    assert http_status(e.value) == 400

    # Re-creating after a delete starts a new history.
    put = ssm.put_parameter(Name=name, Value="fresh", Type="String")
    assert put["Version"] == 1


def test_delete_parameters(ssm, uid):
    a, b, missing = f"/compat/{uid}/da", f"/compat/{uid}/db", f"/compat/{uid}/dmissing"
    ssm.put_parameter(Name=a, Value="A", Type="String")
    ssm.put_parameter(Name=b, Value="B", Type="SecureString")
    out = ssm.delete_parameters(Names=[a, missing, b])
    assert sorted(out["DeletedParameters"]) == sorted([a, b])
    assert out["InvalidParameters"] == [missing]
    after = ssm.get_parameters(Names=[a, b])
    assert after["Parameters"] == []
    assert sorted(after["InvalidParameters"]) == sorted([a, b])


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("name_tpl", ["ssm-{uid}", "/ssm/{uid}", "SSM{uid}", "/Ssm-{uid}/x"])
def test_ssm_prefix_is_validation_exception(ssm, uid, name_tpl):
    name = name_tpl.format(uid=uid)
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    assert error_code(e.value) == "ValidationException", e.value.response
    assert http_status(e.value) == 400
    assert not [n for n in all_parameter_names(ssm) if uid in n], "a rejected parameter was stored"


@pytest.mark.parametrize("name_tpl", ["aws-{uid}", "/aws/{uid}", "AWS{uid}", "/Aws-{uid}/x"])
def test_aws_prefix_is_rejected(ssm, uid, name_tpl):
    # AWS documents the "aws" prefix as reserved (any case). Real AWS answers
    # `/aws/...` with AccessDeniedException "No access to reserved parameter
    # name" (seen in the console and in public bug reports); other names are
    # reported both as that and as ValidationException "can't be prefixed with
    # aws or ssm". Either is a 400 client error.
    name = name_tpl.format(uid=uid)
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    assert error_code(e.value) in ("ValidationException", "AccessDeniedException"), e.value.response
    assert http_status(e.value) == 400
    assert not [n for n in all_parameter_names(ssm) if uid in n], "a rejected parameter was stored"


@pytest.mark.parametrize("name_tpl", ["/compat/{uid}/has space", "/compat/{uid}/star*", "/compat/{uid}/quote'"])
def test_invalid_characters_are_validation_exception(ssm, uid, name_tpl):
    name = name_tpl.format(uid=uid)
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    assert error_code(e.value) == "ValidationException", e.value.response
    assert not [n for n in all_parameter_names(ssm, ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"/compat/{uid}"]}])]


def test_standard_value_limit(ssm, uid):
    name = f"/compat/{uid}/toolong"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="x" * 4097, Type="String")
    assert error_code(e.value) == "ValidationException"
    assert http_status(e.value) == 400
    assert_not_found(ssm, name)

    # Exactly 4 KB is fine.
    put = ssm.put_parameter(Name=name, Value="x" * 4096, Type="String")
    assert put["Version"] == 1

    # An overwrite that is too long leaves the stored value alone.
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="z" * 5000, Type="String", Overwrite=True)
    assert error_code(e.value) == "ValidationException"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Version"], p["Value"]) == (1, "x" * 4096)


def test_advanced_value_limit(ssm, uid):
    name = f"/compat/{uid}/adv-toolong"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="x" * 8193, Type="String", Tier="Advanced")
    assert error_code(e.value) == "ValidationException"
    assert_not_found(ssm, name)
    put = ssm.put_parameter(Name=name, Value="x" * 8192, Type="String", Tier="Advanced")
    assert put["Tier"] == "Advanced"


def test_invalid_type_is_validation_exception(ssm, uid):
    name = f"/compat/{uid}/badtype"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v", Type="Number")
    assert error_code(e.value) == "ValidationException"
    assert http_status(e.value) == 400
    assert_not_found(ssm, name)


def test_type_required_on_create(ssm, uid):
    name = f"/compat/{uid}/notype"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v")
    assert error_code(e.value) == "ValidationException"
    assert_not_found(ssm, name)


def test_invalid_tier_is_validation_exception(ssm, uid):
    name = f"/compat/{uid}/badtier"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Premium")
    assert error_code(e.value) == "ValidationException"
    assert_not_found(ssm, name)


def test_empty_value_is_validation_exception(ssm, uid):
    name = f"/compat/{uid}/empty"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="", Type="String")
    assert error_code(e.value) == "ValidationException"
    assert_not_found(ssm, name)


def test_empty_name_is_validation_exception(ssm_unvalidated):
    with pytest.raises(ClientError) as e:
        ssm_unvalidated.put_parameter(Name="", Value="v", Type="String")
    assert error_code(e.value) == "ValidationException"


def test_hierarchy_depth_limit(ssm, uid):
    deep16 = f"/compat-{uid}/" + "/".join(f"l{i}" for i in range(15))  # 16 levels
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=deep16, Value="v", Type="String")
    assert error_code(e.value) == "HierarchyLevelLimitExceededException"
    assert http_status(e.value) == 400
    assert_not_found(ssm, deep16)
    deep15 = f"/compat-{uid}/" + "/".join(f"l{i}" for i in range(14))
    assert ssm.put_parameter(Name=deep15, Value="v", Type="String")["Version"] == 1


def test_name_length_limit(ssm, uid):
    # At most 1011 characters including the ARN prefix.
    name = f"/compat/{uid}/" + "n" * 1100
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    assert error_code(e.value) == "ValidationException"


def test_value_cannot_nest_parameters(ssm, uid):
    name = f"/compat/{uid}/nest"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="before {{ssm:/other}} after", Type="String")
    assert error_code(e.value) == "ValidationException"
    assert_not_found(ssm, name)


def test_invalid_data_type(ssm, uid):
    name = f"/compat/{uid}/dt"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v", Type="String", DataType="Text")
    assert error_code(e.value) == "ValidationException"
    assert_not_found(ssm, name)


def test_overwrite_keeps_type_and_refuses_type_change(ssm, uid):
    name = f"/compat/{uid}/typed"
    ssm.put_parameter(Name=name, Value="a,b", Type="StringList")
    # Type may be omitted on overwrite: the parameter keeps its type.
    assert ssm.put_parameter(Name=name, Value="c,d", Overwrite=True)["Version"] == 2
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Type"], p["Value"]) == ("StringList", "c,d")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="secret", Type="SecureString", Overwrite=True)
    assert error_code(e.value) == "HierarchyTypeMismatchException"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Type"], p["Value"], p["Version"]) == ("StringList", "c,d", 2)


def test_tags_and_overwrite_together_is_validation_exception(ssm, uid):
    name = f"/compat/{uid}/tagged"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Tags=[{"Key": "team", "Value": "ops"}])
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
    assert error_code(e.value) == "ValidationException"
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 1


def test_get_by_arn(ssm, uid, account_id):
    name = f"/compat/{uid}/byarn"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    p = ssm.get_parameter(Name=f"arn:aws:ssm:{REGION}:{account_id}:parameter{name}")["Parameter"]
    assert (p["Name"], p["Value"]) == (name, "v")


def test_list_limits(ssm_unvalidated, uid):
    names = [f"/compat/{uid}/n{i}" for i in range(11)]
    for call in (
        lambda: ssm_unvalidated.get_parameters(Names=names),
        lambda: ssm_unvalidated.delete_parameters(Names=names),
        lambda: ssm_unvalidated.get_parameters_by_path(Path=f"/compat/{uid}", MaxResults=11),
        lambda: ssm_unvalidated.describe_parameters(MaxResults=51),
        lambda: ssm_unvalidated.get_parameter_history(Name=names[0], MaxResults=51),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e.value) == "ValidationException", e.value.response["Error"]


def test_label_limits(ssm, uid):
    name = f"/compat/{uid}/many-labels"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(11)])
    assert error_code(e.value) == "ValidationException"
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["one-more"])
    assert error_code(e.value) == "ParameterVersionLabelLimitExceeded"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:one-more")
    assert error_code(e.value) == "ParameterVersionNotFound"


def test_describe_parameters_filter_errors(ssm, uid):
    # A key outside the model's pattern fails validation before the service
    # looks at it; a key the pattern allows but DescribeParameters does not
    # take (Label belongs to GetParametersByPath) is InvalidFilterKey.
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Bogus", "Values": ["x"]}])
    assert error_code(e.value) == "ValidationException"
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'Bogus' at 'parameterFilters.1.member.key' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"
    )
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
    assert error_code(e.value) == "InvalidFilterKey"
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Bogus", "Values": ["x"]}])
    assert error_code(e.value) == "InvalidFilterOption"


def test_invalid_next_token(ssm, uid):
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(NextToken="not-a-token")
    assert error_code(e.value) == "InvalidNextToken"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=f"/compat/{uid}", NextToken="not-a-token")
    assert error_code(e.value) == "InvalidNextToken"


def test_concurrent_overwrites_get_distinct_versions(endpoint, ssm, uid):
    from concurrent.futures import ThreadPoolExecutor

    from ballast_compat import make_client

    name = f"/compat/{uid}/race"
    ssm.put_parameter(Name=name, Value="start", Type="String")

    def writer(i):
        client = make_client("ssm", endpoint)
        return [
            client.put_parameter(Name=name, Value=f"{i}-{j}", Type="String", Overwrite=True)["Version"]
            for j in range(10)
        ]

    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = sorted(v for batch in pool.map(writer, range(6)) for v in batch)
    assert versions == list(range(2, 62))
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 61


# --------------------------------------------------------------------------- public AMI parameters

AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
AL2023 = "ami-0ba11a5700a023086"


def test_public_ami_parameters(ssm):
    p = ssm.get_parameter(Name=AL2023_PARAMETER)["Parameter"]
    assert p["Value"] == AL2023 and p["Type"] == "String" and p["Version"] == 1
    assert p["DataType"] == "text"
    assert p["ARN"] == f"arn:aws:ssm:{REGION}::parameter{AL2023_PARAMETER}"
    assert isinstance(p["LastModifiedDate"], datetime)
    by_arn = ssm.get_parameter(Name=p["ARN"])["Parameter"]
    assert by_arn["Value"] == AL2023

    out = ssm.get_parameters(Names=[AL2023_PARAMETER, "/aws/service/ami-amazon-linux-latest/nope"])
    assert [x["Value"] for x in out["Parameters"]] == [AL2023]
    assert out["InvalidParameters"] == ["/aws/service/ami-amazon-linux-latest/nope"]
    assert_not_found(ssm, "/aws/service/ami-amazon-linux-latest/nope")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{AL2023_PARAMETER}:2")
    assert error_code(e.value) == "ParameterVersionNotFound"

    pages = list(
        ssm.get_paginator("get_parameters_by_path").paginate(
            Path="/aws/service/ami-amazon-linux-latest", PaginationConfig={"PageSize": 4}
        )
    )
    names = [x["Name"] for page in pages for x in page["Parameters"]]
    assert len(pages) == 2 and len(names) == 6 and AL2023_PARAMETER in names
    assert ssm.get_parameters_by_path(Path="/aws/service")["Parameters"] == []
    deep = ssm.get_parameters_by_path(Path="/aws/service", Recursive=True)["Parameters"]
    assert any(x["Name"].startswith("/aws/service/canonical/ubuntu/") for x in deep)


def test_public_parameters_are_read_only(ssm):
    for call, kwargs in [
        (ssm.put_parameter, {"Name": AL2023_PARAMETER, "Value": "ami-0123456789abcdef0", "Type": "String", "Overwrite": True}),
        (ssm.delete_parameter, {"Name": AL2023_PARAMETER}),
    ]:
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        assert error_code(e.value) == "ValidationException"
        assert "reserved parameter name" in e.value.response["Error"]["Message"]
    assert ssm.delete_parameters(Names=[AL2023_PARAMETER])["InvalidParameters"] == [AL2023_PARAMETER]
    assert ssm.get_parameter(Name=AL2023_PARAMETER)["Parameter"]["Value"] == AL2023


def test_cli_public_parameters_by_path(aws):
    rc, out, err = aws("ssm", "get-parameters-by-path", "--path", "/aws/service/ami-amazon-linux-latest")
    assert rc == 0, err
    values = {x["Name"]: x["Value"] for x in out["Parameters"]}
    assert values[AL2023_PARAMETER] == AL2023
    assert len(values) == 6
    rc, out, err = aws("ssm", "get-parameters", "--names", AL2023_PARAMETER, "--query", "Parameters[0].Value")
    assert rc == 0, err
    assert out == AL2023
    rc, out, err = aws("ssm", "delete-parameter", "--name", AL2023_PARAMETER)
    assert rc != 0 and "ValidationException" in err
