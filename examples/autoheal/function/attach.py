"""Gives a newly launched instance of the autoheal group its data volume and
its public address, then lets Auto Scaling put it in service.

EventBridge invokes this function with the group's launch lifecycle action.
The volume and the Elastic IP are named by the function's environment
(VOLUME_ID, ALLOCATION_ID), so its role can be limited to exactly those.
"""

import os

import boto3

ec2 = boto3.client("ec2")
autoscaling = boto3.client("autoscaling")


def handler(event, context):
    detail = event["detail"]
    instance = detail["EC2InstanceId"]
    volume = os.environ["VOLUME_ID"]
    print(f"launching {instance}: attaching {volume} and the address")

    ec2.get_waiter("instance_running").wait(
        InstanceIds=[instance], WaiterConfig={"Delay": 2, "MaxAttempts": 60}
    )
    # The instance this one replaces may still hold the volume while it
    # shuts down; the volume is ours once it is available again.
    ec2.get_waiter("volume_available").wait(
        VolumeIds=[volume], WaiterConfig={"Delay": 2, "MaxAttempts": 60}
    )
    ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/xvdb")
    ec2.associate_address(
        AllocationId=os.environ["ALLOCATION_ID"],
        InstanceId=instance,
        AllowReassociation=True,
    )
    autoscaling.complete_lifecycle_action(
        AutoScalingGroupName=detail["AutoScalingGroupName"],
        LifecycleHookName=detail["LifecycleHookName"],
        LifecycleActionToken=detail["LifecycleActionToken"],
        LifecycleActionResult="CONTINUE",
    )
    return {"instance": instance, "volume": volume}
