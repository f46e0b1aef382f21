#!/usr/bin/env bash
# Deploys the autoheal example with the AWS CLI, against whatever endpoint
# the environment names (Ballast's through AWS_ENDPOINT_URL, or AWS's own):
# a group of one instance whose replacements get the same EBS volume and
# Elastic IP from a Lambda function, started by an EventBridge rule on the
# group's launch lifecycle action. Prints the public address at the end.
#
#   examples/autoheal/deploy.sh [NAME]      (default name: autoheal)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${1:-autoheal}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '%s\n' "$*" >&2; }

zone=$(aws ec2 describe-availability-zones --query 'AvailabilityZones[0].ZoneName' --output text)
image=$(aws ssm get-parameter \
  --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 \
  --query Parameter.Value --output text)
account=$(aws sts get-caller-identity --query Account --output text)
region=$(aws configure get region || true)
region=${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}}

say "data volume and public address in $zone"
volume=$(aws ec2 create-volume --availability-zone "$zone" --size 1 --volume-type gp3 \
  --tag-specifications "ResourceType=volume,Tags=[{Key=Name,Value=$name-data}]" \
  --query VolumeId --output text)
allocation=$(aws ec2 allocate-address --domain vpc \
  --tag-specifications "ResourceType=elastic-ip,Tags=[{Key=Name,Value=$name}]" \
  --query AllocationId --output text)
address=$(aws ec2 describe-addresses --allocation-ids "$allocation" \
  --query 'Addresses[0].PublicIp' --output text)

say "the attaching function's role, limited to this volume and address"
cat > "$work/trust.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
JSON
cat > "$work/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:DescribeVolumes"], "Resource": "*"},
  {"Effect": "Allow", "Action": "ec2:AttachVolume", "Resource": [
    "arn:aws:ec2:$region:$account:volume/$volume", "arn:aws:ec2:$region:$account:instance/*"]},
  {"Effect": "Allow", "Action": "ec2:AssociateAddress", "Resource": [
    "arn:aws:ec2:$region:$account:elastic-ip/$allocation", "arn:aws:ec2:$region:$account:instance/*",
    "arn:aws:ec2:$region:$account:network-interface/*"]},
  {"Effect": "Allow", "Action": "autoscaling:CompleteLifecycleAction",
   "Resource": "arn:aws:autoscaling:$region:$account:autoScalingGroup:*:autoScalingGroupName/$name"}]}
JSON
role=$(aws iam create-role --role-name "$name-attach" \
  --assume-role-policy-document "file://$work/trust.json" --query Role.Arn --output text)
aws iam put-role-policy --role-name "$name-attach" --policy-name attach \
  --policy-document "file://$work/policy.json"

say "the function"
python3 - "$here/function/attach.py" "$work/attach.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as package:
    package.write(sys.argv[1], "attach.py")
PY
function_arn=$(aws lambda create-function --function-name "$name-attach" \
  --runtime python3.12 --handler attach.handler --role "$role" --timeout 300 \
  --zip-file "fileb://$work/attach.zip" \
  --environment "Variables={VOLUME_ID=$volume,ALLOCATION_ID=$allocation}" \
  --query FunctionArn --output text)
aws lambda wait function-active-v2 --function-name "$name-attach"

say "the group, empty until everything else is there"
aws autoscaling create-launch-configuration --launch-configuration-name "$name" \
  --image-id "$image" --instance-type t3.micro --user-data "file://$here/user-data.sh"
aws autoscaling create-auto-scaling-group --auto-scaling-group-name "$name" \
  --launch-configuration-name "$name" --availability-zones "$zone" \
  --min-size 0 --max-size 1 --desired-capacity 0
aws autoscaling put-lifecycle-hook --auto-scaling-group-name "$name" \
  --lifecycle-hook-name "$name-attach" \
  --lifecycle-transition autoscaling:EC2_INSTANCE_LAUNCHING \
  --heartbeat-timeout 300 --default-result ABANDON

say "the rule that starts the function on every launch"
rule=$(aws events put-rule --name "$name-launch" --event-pattern "{
  \"source\": [\"aws.autoscaling\"],
  \"detail-type\": [\"EC2 Instance-launch Lifecycle Action\"],
  \"detail\": {\"AutoScalingGroupName\": [\"$name\"]}}" --query RuleArn --output text)
aws lambda add-permission --function-name "$name-attach" --statement-id "$name-launch" \
  --action lambda:InvokeFunction --principal events.amazonaws.com --source-arn "$rule" \
  > /dev/null
aws events put-targets --rule "$name-launch" --targets "Id=attach,Arn=$function_arn" > /dev/null

say "one instance"
aws autoscaling update-auto-scaling-group --auto-scaling-group-name "$name" \
  --min-size 1 --desired-capacity 1

echo "$address"
