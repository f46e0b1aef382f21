"""EBS volumes through boto3 and the AWS CLI: the root volume every
instance is launched with, attached as its image's root device and deleted
with it; volumes of their own, created, attached, detached, grown and
deleted, with EC2's errors."""

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code, eventually

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


def running_instance(ec2):
    instance = launch(ec2, AL2023)
    eventually(
        f"{instance} to run",
        lambda: ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]
        == "running",
    )
    described = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]
    return instance, described["Placement"]["AvailabilityZone"]


def volume_state(ec2, volume_id):
    """The attachment's state while there is one, else the volume's."""
    (volume,) = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    return volume["Attachments"][0]["State"] if volume["Attachments"] else volume["State"]


def wait_volume(ec2, volume_id, state):
    eventually(f"{volume_id} to be {state}", lambda: volume_state(ec2, volume_id) == state)


def test_volume_lifecycle_boto3(ec2):
    instance, zone = running_instance(ec2)
    created = ec2.create_volume(
        AvailabilityZone=zone,
        Size=2,
        VolumeType="gp3",
        Iops=4000,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "app-data"}]}],
    )
    volume = created["VolumeId"]
    assert (created["State"], created["Iops"], created["Throughput"]) == ("creating", 4000, 125)
    wait_volume(ec2, volume, "available")

    attached = ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdf")
    assert (attached["State"], attached["Device"]) == ("attaching", "/dev/sdf")
    wait_volume(ec2, volume, "attached")
    (shown,) = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["app-data"]}])["Volumes"]
    assert (shown["State"], shown["Attachments"][0]["InstanceId"]) == ("in-use", instance)
    mappings = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"
    ]
    assert [m["DeviceName"] for m in mappings] == ["/dev/xvda", "/dev/sdf"]

    modified = ec2.modify_volume(VolumeId=volume, Size=6)["VolumeModification"]
    assert (modified["OriginalSize"], modified["TargetSize"], modified["ModificationState"]) == (
        2,
        6,
        "modifying",
    )
    eventually(
        "the modification to complete",
        lambda: ec2.describe_volumes_modifications(VolumeIds=[volume])["VolumesModifications"][0][
            "ModificationState"
        ]
        == "completed",
    )
    assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Size"] == 6
    completed = ec2.describe_volumes_modifications(
        Filters=[{"Name": "modification-state", "Values": ["completed"]}]
    )["VolumesModifications"]
    assert volume in [m["VolumeId"] for m in completed]

    (status,) = ec2.describe_volume_status(VolumeIds=[volume])["VolumeStatuses"]
    assert status["VolumeStatus"]["Status"] == "ok"
    assert {d["Name"] for d in status["VolumeStatus"]["Details"]} == {"io-enabled", "io-performance"}

    detached = ec2.detach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdf")
    assert detached["State"] == "detaching"
    wait_volume(ec2, volume, "available")
    ec2.delete_volume(VolumeId=volume)
    with pytest.raises(ClientError) as err:
        ec2.describe_volumes(VolumeIds=[volume])
    assert error_code(err.value) == "InvalidVolume.NotFound"


def test_volume_operation_errors_boto3(ec2):
    instance, zone = running_instance(ec2)
    other_zone = "us-east-1b" if zone != "us-east-1b" else "us-east-1c"
    volume = ec2.create_volume(AvailabilityZone=zone, Size=1)["VolumeId"]
    elsewhere = ec2.create_volume(AvailabilityZone=other_zone, Size=1)["VolumeId"]
    wait_volume(ec2, volume, "available")
    wait_volume(ec2, elsewhere, "available")
    missing = "vol-0123456789abcdef0"
    cases = [
        (ec2.create_volume, {"AvailabilityZone": zone}, "MissingParameter"),
        (ec2.create_volume, {"AvailabilityZone": "us-east-1z", "Size": 1}, "InvalidZone.NotFound"),
        (ec2.create_volume, {"AvailabilityZone": zone, "SnapshotId": "snap-0123456789abcdef0"}, "InvalidSnapshot.NotFound"),
        (ec2.create_volume, {"AvailabilityZone": zone, "Size": 20000}, "InvalidParameterValue"),
        (ec2.create_volume, {"AvailabilityZone": zone, "Size": 10, "VolumeType": "io2"}, "MissingParameter"),
        (ec2.create_volume, {"AvailabilityZone": zone, "Size": 10, "Iops": 500}, "InvalidParameterCombination"),
        (ec2.create_volume, {"AvailabilityZone": zone, "Size": 10, "DryRun": True}, "DryRunOperation"),
        (ec2.attach_volume, {"VolumeId": missing, "InstanceId": instance, "Device": "/dev/sdf"}, "InvalidVolume.NotFound"),
        (ec2.attach_volume, {"VolumeId": "disk-1", "InstanceId": instance, "Device": "/dev/sdf"}, "InvalidVolumeID.Malformed"),
        (ec2.attach_volume, {"VolumeId": volume, "InstanceId": "i-0123456789abcdef0", "Device": "/dev/sdf"}, "InvalidInstanceID.NotFound"),
        (ec2.attach_volume, {"VolumeId": elsewhere, "InstanceId": instance, "Device": "/dev/sdf"}, "InvalidVolume.ZoneMismatch"),
        (ec2.attach_volume, {"VolumeId": volume, "InstanceId": instance, "Device": "/dev/xvda"}, "InvalidParameterValue"),
        (ec2.attach_volume, {"VolumeId": volume, "InstanceId": instance, "Device": "xvdf"}, "InvalidParameterValue"),
        (ec2.detach_volume, {"VolumeId": volume}, "IncorrectState"),
        (ec2.detach_volume, {"VolumeId": missing}, "InvalidVolume.NotFound"),
        (ec2.delete_volume, {"VolumeId": missing}, "InvalidVolume.NotFound"),
        (ec2.modify_volume, {"VolumeId": volume}, "InvalidParameterValue"),
        (ec2.modify_volume, {"VolumeId": volume, "VolumeType": "st1"}, "InvalidParameterValue"),
        (ec2.describe_volume_status, {"VolumeIds": [missing]}, "InvalidVolume.NotFound"),
        (ec2.describe_volume_status, {"Filters": [{"Name": "colour", "Values": ["x"]}]}, "InvalidParameterValue"),
        (ec2.describe_volumes_modifications, {"VolumeIds": [volume]}, "InvalidParameterValue"),
    ]
    for call, kwargs, code in cases:
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert error_code(err.value) == code, (call.__name__, kwargs, err.value.response["Error"])
    # Nothing changed: the volume is still available, unattached.
    assert volume_state(ec2, volume) == "available"

    ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdg")
    for call, kwargs, code in [
        (ec2.attach_volume, {"VolumeId": volume, "InstanceId": instance, "Device": "/dev/sdh"}, "VolumeInUse"),
        (ec2.delete_volume, {"VolumeId": volume}, "VolumeInUse"),
        (ec2.detach_volume, {"VolumeId": volume, "InstanceId": "i-0123456789abcdef0"}, "InvalidAttachment.NotFound"),
    ]:
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert error_code(err.value) == code, (call.__name__, kwargs)

    # A retried CreateVolume with its ClientToken gets the same volume.
    first = ec2.create_volume(AvailabilityZone=zone, Size=1, ClientToken="retry-me")["VolumeId"]
    assert ec2.create_volume(AvailabilityZone=zone, Size=1, ClientToken="retry-me")["VolumeId"] == first
    with pytest.raises(ClientError) as err:
        ec2.create_volume(AvailabilityZone=zone, Size=3, ClientToken="retry-me")
    assert error_code(err.value) == "IdempotentParameterMismatch"


def test_volume_lifecycle_cli(ec2, aws):
    instance, zone = running_instance(ec2)
    rc, created, err = aws("ec2", "create-volume", "--availability-zone", zone, "--size", "1", "--volume-type", "gp2")
    assert rc == 0, err
    volume = created["VolumeId"]
    wait_volume(ec2, volume, "available")
    rc, out, err = aws("ec2", "attach-volume", "--volume-id", volume, "--instance-id", instance, "--device", "/dev/xvdb")
    assert rc == 0, err
    assert out["State"] == "attaching"
    wait_volume(ec2, volume, "attached")
    rc, out, err = aws("ec2", "describe-volumes", "--filters", "Name=attachment.device,Values=/dev/xvdb")
    assert rc == 0, err
    assert volume in [v["VolumeId"] for v in out["Volumes"]]
    rc, out, err = aws("ec2", "modify-volume", "--volume-id", volume, "--size", "3")
    assert rc == 0, err
    assert out["VolumeModification"]["TargetSize"] == 3
    rc, out, err = aws("ec2", "describe-volume-status", "--volume-ids", volume)
    assert rc == 0, err
    assert out["VolumeStatuses"][0]["VolumeStatus"]["Status"] == "ok"
    rc, out, err = aws("ec2", "describe-volumes-modifications", "--volume-ids", volume)
    assert rc == 0, err
    assert out["VolumesModifications"][0]["TargetSize"] == 3
    rc, _, err = aws("ec2", "delete-volume", "--volume-id", volume)
    assert rc != 0 and "VolumeInUse" in err
    rc, out, err = aws("ec2", "detach-volume", "--volume-id", volume, "--force")
    assert rc == 0, err
    wait_volume(ec2, volume, "available")
    rc, out, err = aws("ec2", "delete-volume", "--volume-id", volume)
    assert rc == 0, err
    rc, _, err = aws("ec2", "detach-volume", "--volume-id", volume)
    assert rc != 0 and "InvalidVolume.NotFound" in err


def test_block_device_mappings_boto3_and_cli(ec2, aws):
    instance = launch(
        ec2,
        AL2023,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 12, "VolumeType": "gp2"}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 3, "DeleteOnTermination": False}},
        ],
    )
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance]}])["Volumes"]
    by_device = {v["Attachments"][0]["Device"]: v for v in volumes}
    assert set(by_device) == {"/dev/xvda", "/dev/sdf"}
    assert (by_device["/dev/xvda"]["Size"], by_device["/dev/xvda"]["VolumeType"]) == (12, "gp2")
    assert by_device["/dev/sdf"]["Attachments"][0]["DeleteOnTermination"] is False
    with pytest.raises(ClientError) as err:
        launch(ec2, AL2023, BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {}}])
    assert error_code(err.value) == "InvalidBlockDeviceMapping"

    rc, out, err = aws(
        "ec2",
        "run-instances",
        "--image-id",
        AL2023,
        "--block-device-mappings",
        '[{"DeviceName":"/dev/sdg","Ebs":{"VolumeSize":2}}]',
    )
    assert rc == 0, err
    cli_instance = out["Instances"][0]["InstanceId"]
    rc, out, err = aws("ec2", "describe-volumes", "--filters", f"Name=attachment.instance-id,Values={cli_instance}")
    assert rc == 0, err
    assert sorted(v["Attachments"][0]["Device"] for v in out["Volumes"]) == ["/dev/sdg", "/dev/xvda"]
    rc, _, err = aws(
        "ec2",
        "run-instances",
        "--image-id",
        AL2023,
        "--block-device-mappings",
        '[{"DeviceName":"/dev/xvda","Ebs":{"VolumeSize":2}}]',
    )
    assert rc != 0 and "InvalidBlockDeviceMapping" in err
