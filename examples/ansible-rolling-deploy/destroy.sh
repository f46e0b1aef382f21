#!/usr/bin/env bash
# Removes what deploy.sh made.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=rolling-app
state=${ROLLING_STATE:-$here/state}

read -r -a instances <<< "$(aws ec2 describe-instances \
  --filters "Name=tag:Role,Values=$name" \
  "Name=instance-state-name,Values=pending,running,stopping,stopped" \
  --query 'Reservations[].Instances[].InstanceId' --output text)"
if ((${#instances[@]})); then
  aws ec2 terminate-instances --instance-ids "${instances[@]}" > /dev/null
  aws ec2 wait instance-terminated --instance-ids "${instances[@]}"
fi
lb=$(aws elbv2 describe-load-balancers --names "$name" \
  --query 'LoadBalancers[0].LoadBalancerArn' --output text 2>/dev/null || true)
if [[ -n "$lb" && "$lb" != None ]]; then
  aws elbv2 delete-load-balancer --load-balancer-arn "$lb"
  aws elbv2 wait load-balancers-deleted --load-balancer-arns "$lb"
fi
tg=$(aws elbv2 describe-target-groups --names "$name" \
  --query 'TargetGroups[0].TargetGroupArn' --output text 2>/dev/null || true)
if [[ -n "$tg" && "$tg" != None ]]; then
  aws elbv2 delete-target-group --target-group-arn "$tg"
fi
aws iam remove-role-from-instance-profile --instance-profile-name "$name-role" \
  --role-name "$name-role" 2>/dev/null || true
aws iam delete-instance-profile --instance-profile-name "$name-role" 2>/dev/null || true
aws iam delete-role-policy --role-name "$name-role" --policy-name target-group 2>/dev/null || true
aws iam delete-role --role-name "$name-role" 2>/dev/null || true
aws ec2 delete-key-pair --key-name "$name-key"
rm -rf "$state"
