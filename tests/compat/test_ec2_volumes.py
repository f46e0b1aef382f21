"""EBS volumes through boto3 and the AWS CLI: the root volume every
instance is launched with, attached as its image's root device and deleted
with it."""

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code

AL2023 = "ami-0ba11a5700a023086"
UBUNTU = "ami-0ba11a5700c024086"


def launch(ec2, image, **extra):
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, **extra)["Instances"][0]["InstanceId"]


def test_root_volumes_boto3(ec2):
    amazon = launch(
        ec2,
        AL2023,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "root-of-amazon"}]}],
    )
    ubuntu = launch(ec2, UBUNTU)
    by_instance = {}
    for page in ec2.get_paginator("describe_volumes").paginate(
        Filters=[{"Name": "attachment.instance-id", "Values": [amazon, ubuntu]}],
        PaginationConfig={"PageSize": 5},
    ):
        for volume in page["Volumes"]:
            (attachment,) = volume["Attachments"]
            by_instance[attachment["InstanceId"]] = (volume, attachment)
    assert set(by_instance) == {amazon, ubuntu}
    volume, attachment = by_instance[amazon]
    assert (volume["State"], volume["Size"], volume["VolumeType"]) == ("in-use", 8, "gp3")
    assert (attachment["Device"], attachment["State"], attachment["DeleteOnTermination"]) == (
        "/dev/xvda",
        "attached",
        True,
    )
    assert volume["Tags"] == [{"Key": "Name", "Value": "root-of-amazon"}]
    # Ubuntu's root device has its own name.
    assert by_instance[ubuntu][1]["Device"] == "/dev/sda1"

    described = ec2.describe_instances(InstanceIds=[amazon])["Reservations"][0]["Instances"][0]
    assert described["RootDeviceName"] == "/dev/xvda"
    assert described["BlockDeviceMappings"][0]["Ebs"]["VolumeId"] == volume["VolumeId"]

    # Volume tags are EC2 tags like any other.
    ec2.create_tags(Resources=[volume["VolumeId"]], Tags=[{"Key": "backup", "Value": "daily"}])
    tagged = ec2.describe_volumes(Filters=[{"Name": "tag:backup", "Values": ["daily"]}])["Volumes"]
    assert [v["VolumeId"] for v in tagged] == [volume["VolumeId"]]

    ec2.terminate_instances(InstanceIds=[amazon])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[amazon], WaiterConfig={"Delay": 1})
    with pytest.raises(ClientError) as err:
        ec2.describe_volumes(VolumeIds=[volume["VolumeId"]])
    assert error_code(err.value) == "InvalidVolume.NotFound"
    assert volume["VolumeId"] in err.value.response["Error"]["Message"]


def test_volume_errors_boto3(ec2):
    for kwargs, code in [
        ({"VolumeIds": ["vol-0123456789abcdef0"]}, "InvalidVolume.NotFound"),
        ({"VolumeIds": ["disk-1"]}, "InvalidVolumeID.Malformed"),
        ({"VolumeIds": ["vol-0123456789abcdef0"], "MaxResults": 5}, "InvalidParameterCombination"),
        ({"MaxResults": 4}, "InvalidParameterValue"),
        ({"Filters": [{"Name": "colour", "Values": ["blue"]}]}, "InvalidParameterValue"),
        ({"NextToken": "not-a-token"}, "InvalidParameterValue"),
    ]:
        with pytest.raises(ClientError) as err:
            ec2.describe_volumes(**kwargs)
        assert error_code(err.value) == code, kwargs


def test_root_volumes_cli(ec2, aws):
    instance = launch(ec2, AL2023)
    rc, out, err = aws(
        "ec2", "describe-volumes", "--filters", f"Name=attachment.instance-id,Values={instance}"
    )
    assert rc == 0, err
    (volume,) = out["Volumes"]
    assert volume["Attachments"][0]["Device"] == "/dev/xvda"
    rc, out, err = aws("ec2", "wait", "volume-in-use", "--volume-ids", volume["VolumeId"])
    assert rc == 0, err
    rc, _, err = aws("ec2", "describe-volumes", "--volume-ids", "vol-0123456789abcdef0")
    assert rc != 0 and "InvalidVolume.NotFound" in err
