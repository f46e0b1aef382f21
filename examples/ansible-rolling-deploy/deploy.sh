#!/usr/bin/env bash
# Builds the rolling-deploy example with the AWS CLI, against whatever
# endpoint the environment names (Ballast's through AWS_ENDPOINT_URL, or
# AWS's own): two instances running version 1 of app/app.py on port 8080,
# behind an Application Load Balancer, each with a role that lets it take
# itself out of the target group and put itself back (seed 004's policy)
# and the key pair Ansible logs in with.
#
#   examples/ansible-rolling-deploy/deploy.sh
#
# Writes what the playbooks need to $ROLLING_STATE (default: state/ here):
# app-key.pem, vars.yml (target group, region), url (the load balancer),
# and the instances' user-data.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=rolling-app
state=${ROLLING_STATE:-$here/state}
mkdir -p "$state"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '%s\n' "$*" >&2; }

region=$(aws configure get region || true)
region=${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}}
image=$(aws ssm get-parameter \
  --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 \
  --query Parameter.Value --output text)
vpc=$(aws ec2 describe-vpcs --filters Name=is-default,Values=true \
  --query 'Vpcs[0].VpcId' --output text)
read -r -a subnets <<< "$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" \
  --query 'Subnets[].SubnetId' --output text)"

say "key pair $name-key"
aws ec2 create-key-pair --key-name "$name-key" --query KeyMaterial --output text \
  > "$state/app-key.pem"
chmod 600 "$state/app-key.pem"

say "target group $name: HTTP 8080, checked every 5 s, drained for 10 s"
tg=$(aws elbv2 create-target-group --name "$name" --protocol HTTP --port 8080 \
  --vpc-id "$vpc" --health-check-path / --health-check-interval-seconds 5 \
  --health-check-timeout-seconds 2 --healthy-threshold-count 2 \
  --unhealthy-threshold-count 2 \
  --query 'TargetGroups[0].TargetGroupArn' --output text)
aws elbv2 modify-target-group-attributes --target-group-arn "$tg" \
  --attributes Key=deregistration_delay.timeout_seconds,Value=10 > /dev/null

say "load balancer $name, listening on port 80"
lb=$(aws elbv2 create-load-balancer --name "$name" --subnets "${subnets[@]:0:2}" \
  --query 'LoadBalancers[0].LoadBalancerArn' --output text)
dns=$(aws elbv2 describe-load-balancers --load-balancer-arns "$lb" \
  --query 'LoadBalancers[0].DNSName' --output text)
aws elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port 80 \
  --default-actions "Type=forward,TargetGroupArn=$tg" > /dev/null

say "role $name-role: the instances may (de)register themselves, nothing more"
cat > "$work/trust.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
JSON
cat > "$work/policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Sid": "OwnTargetGroup", "Effect": "Allow",
   "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
   "Resource": "$tg"},
  {"Sid": "ReadHealth", "Effect": "Allow",
   "Action": ["elasticloadbalancing:DescribeTargetHealth"], "Resource": "*"}]}
JSON
aws iam create-role --role-name "$name-role" \
  --assume-role-policy-document "file://$work/trust.json" > /dev/null
aws iam put-role-policy --role-name "$name-role" --policy-name target-group \
  --policy-document "file://$work/policy.json"
aws iam create-instance-profile --instance-profile-name "$name-role" > /dev/null
aws iam add-role-to-instance-profile --instance-profile-name "$name-role" \
  --role-name "$name-role"
aws iam wait instance-profile-exists --instance-profile-name "$name-role"

say "two instances with version 1"
{
  echo '#!/bin/bash'
  echo 'set -euo pipefail'
  echo 'mkdir -p /opt/app'
  echo "base64 -d > /opt/app/app.py <<'APP'"
  base64 "$here/app/app.py"
  echo 'APP'
  echo 'echo 1 > /opt/app/VERSION'
  echo 'setsid nohup python3 /opt/app/app.py > /var/log/app.log 2>&1 < /dev/null &'
} > "$state/user-data.sh"
read -r -a instances <<< "$(aws ec2 run-instances --image-id "$image" --count 2 \
  --instance-type t3.micro --key-name "$name-key" \
  --iam-instance-profile "Name=$name-role" --user-data "file://$state/user-data.sh" \
  --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=$name},{Key=Role,Value=$name}]" \
  --query 'Instances[].InstanceId' --output text)"
aws ec2 wait instance-running --instance-ids "${instances[@]}"

say "registering ${instances[*]} and waiting for them to pass health checks"
targets=()
for id in "${instances[@]}"; do targets+=("Id=$id"); done
aws elbv2 register-targets --target-group-arn "$tg" --targets "${targets[@]}"
aws elbv2 wait target-in-service --target-group-arn "$tg" --targets "${targets[@]}"

cat > "$state/vars.yml" <<YAML
aws_region: $region
target_group_arn: $tg
YAML
echo "http://$dns/" > "$state/url"
say "ready: http://$dns/"
