"""Creates what bench/api-latency.sh's operations read, with boto3, on any
endpoint (Ballast or a peer): the SSM parameter, the DynamoDB table and its
item, three instances, and a target group holding them. Prints the target
group's ARN, the one thing the load generator needs to be told.

    python setup.py http://127.0.0.1:PORT
"""

import sys
import time

import boto3

PARAMETER = "/bench/param"
TABLE = "bench"
# About 200 bytes, as the load generator's PutItem writes it.
ITEM = {
    "pk": {"S": "bench-item"},
    "title": {"S": "404 Not Found: A Coloring Book for the whole family, second edition"},
    "count": {"N": "12345.678"},
    "tags": {"SS": ["book", "coloring", "humour", "bench"]},
}
INSTANCES = 3
# Any image will do for a mock; Ballast's are listed by DescribeImages.
FALLBACK_IMAGE = "ami-0123456789abcdef0"


def client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def wait_until(what, check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            sys.exit(f"setup: {what} within {timeout:.0f} s")
        time.sleep(0.1)


def table(endpoint):
    ddb = client("dynamodb", endpoint)
    ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    wait_until(
        "the table never became ACTIVE",
        lambda: ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE",
    )
    ddb.put_item(TableName=TABLE, Item=ITEM)


def instances(endpoint):
    ec2 = client("ec2", endpoint)
    images = ec2.describe_images(Owners=["amazon"]).get("Images", [])
    image = images[0]["ImageId"] if images else FALLBACK_IMAGE
    reservation = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=INSTANCES, MaxCount=INSTANCES
    )
    ids = [i["InstanceId"] for i in reservation["Instances"]]
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    vpc = vpcs[0]["VpcId"] if vpcs else ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    return ids, vpc


def target_group(endpoint, ids, vpc):
    elbv2 = client("elbv2", endpoint)
    arn = elbv2.create_target_group(
        Name="bench", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i} for i in ids])
    wait_until(
        "the targets never showed in DescribeTargetHealth",
        lambda: len(elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"])
        == len(ids),
    )
    return arn


def main():
    endpoint = sys.argv[1]
    client("ssm", endpoint).put_parameter(
        Name=PARAMETER, Value="ballast-bench-value", Type="String", Overwrite=True
    )
    table(endpoint)
    ids, vpc = instances(endpoint)
    print(target_group(endpoint, ids, vpc))


if __name__ == "__main__":
    main()
