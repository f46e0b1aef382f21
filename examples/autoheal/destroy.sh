#!/usr/bin/env bash
# Removes what deploy.sh made, found by name; what is already gone is
# skipped, so it may run again after a partial deploy.
#
#   examples/autoheal/destroy.sh [NAME]     (default name: autoheal)
set -uo pipefail

name=${1:-autoheal}
quietly() { "$@" > /dev/null 2>&1 || true; }

quietly aws events remove-targets --rule "$name-launch" --ids attach
quietly aws events delete-rule --name "$name-launch"
quietly aws autoscaling delete-auto-scaling-group --auto-scaling-group-name "$name" --force-delete
# The group's instances must end before the volume comes free.
for _ in $(seq 1 120); do
  left=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$name" \
    --query 'length(AutoScalingGroups)' --output text 2>/dev/null || echo 0)
  [ "$left" = "0" ] && break
  sleep 1
done
quietly aws autoscaling delete-launch-configuration --launch-configuration-name "$name"
quietly aws lambda delete-function --function-name "$name-attach"
quietly aws iam delete-role-policy --role-name "$name-attach" --policy-name attach
quietly aws iam delete-role --role-name "$name-attach"

for allocation in $(aws ec2 describe-addresses --filters "Name=tag:Name,Values=$name" \
    --query 'Addresses[].AllocationId' --output text); do
  quietly aws ec2 release-address --allocation-id "$allocation"
done
for volume in $(aws ec2 describe-volumes --filters "Name=tag:Name,Values=$name-data" \
    --query 'Volumes[].VolumeId' --output text); do
  for _ in $(seq 1 120); do
    state=$(aws ec2 describe-volumes --volume-ids "$volume" --query 'Volumes[0].State' --output text)
    [ "$state" = "available" ] && break
    sleep 1
  done
  quietly aws ec2 delete-volume --volume-id "$volume"
done
echo "destroyed $name" >&2
