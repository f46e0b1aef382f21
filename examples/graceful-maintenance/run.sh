#!/usr/bin/env bash
# Seed 000's graceful maintenance, with the AWS CLI against a running Ballast.
#
# Three instances serve "Hello, World!" on 0.0.0.0:8080 behind an ALB. A
# maintenance window runs the graceful runbook on each in turn: out of the
# target group, drained, rebooted (exit 194) and health-checked by a child
# runbook, back in, healthy again. A request loop against the load balancer
# counts what fails meanwhile: nothing, with the graceful runbook.
#
# Start Ballast first, as root (sandboxed instances), e.g.:
#   ballast up --instance-runtime sandbox --time-scale 0.05 --hosts-file /etc/hosts
# then paste the lines it prints and run:
#   examples/graceful-maintenance/run.sh            # the graceful runbook
#   examples/graceful-maintenance/run.sh reboot     # reboot only, no deregistration
#
# The runbooks are the seed's (graceful_reboot_instance.yml,
# reboot_with_healthcheck.yml); their health check sleeps 60 s inside each
# instance, real time, so a run takes about four minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mode=${1:-graceful}
: "${AWS_ENDPOINT_URL:?point the AWS CLI at Ballast first (see ballast up)}"
export AWS_PAGER=""

say() { printf '\n== %s\n' "$*"; }
text() { aws "$@" --output text; }

say "an instance role the SSM agent can use"
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ssm.amazonaws.com"]},"Action":"sts:AssumeRole"}]}'
aws iam create-role --role-name hello --assume-role-policy-document "$trust" >/dev/null
aws iam attach-role-policy --role-name hello \
  --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
aws iam create-instance-profile --instance-profile-name hello >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name hello --role-name hello

say "three instances serving on port 8080"
instances=$(text ec2 run-instances --image-id ami-0ba11a5700a023086 --count 3 \
  --iam-instance-profile Name=hello --user-data "file://$here/hello.sh" \
  --tag-specifications 'ResourceType=instance,Tags=[{Key=App,Value=HelloWorld}]' \
  --query 'Instances[].InstanceId')
echo "$instances"

say "an ALB on port 80 in front of them"
tg=$(text elbv2 create-target-group --name hello-world --protocol HTTP --port 8080 \
  --vpc-id vpc-0ba11a5700000001 --health-check-path / \
  --health-check-interval-seconds 6 --healthy-threshold-count 2 --unhealthy-threshold-count 2 \
  --query 'TargetGroups[0].TargetGroupArn')
lb=$(text elbv2 create-load-balancer --name HelloWorldALB \
  --subnets subnet-0ba11a57000000a1 subnet-0ba11a57000000b1 \
  --query 'LoadBalancers[0].[LoadBalancerArn,DNSName]')
lb_arn=$(cut -f1 <<<"$lb")
dns=$(cut -f2 <<<"$lb")
aws elbv2 create-listener --load-balancer-arn "$lb_arn" --protocol HTTP --port 80 \
  --default-actions "Type=forward,TargetGroupArn=$tg" >/dev/null
targets=()
for id in $instances; do targets+=("Id=$id,Port=8080"); done
aws elbv2 register-targets --target-group-arn "$tg" --targets "${targets[@]}"
aws elbv2 wait target-in-service --target-group-arn "$tg"
echo "healthy: $dns"

say "waiting for the instances' SSM agents"
for _ in $(seq 300); do
  online=$(text ssm describe-instance-information \
    --filters Key=PingStatus,Values=Online --query 'length(InstanceInformationList)')
  [ "$online" = 3 ] && break
  sleep 0.2
done
echo "managed: $online"

say "the seed's runbooks"
aws ssm create-document --name RebootWithHealthcheck --document-type Automation \
  --document-format YAML --content "file://$here/reboot_with_healthcheck.yml" >/dev/null
aws ssm create-document --name RebootInstanceGraceful --document-type Automation \
  --document-format YAML --content "file://$here/graceful_reboot_instance.yml" >/dev/null

say "the window's service role: AWS's window policy, ELB writes on this group only"
role_arn=$(text iam create-role --role-name PatchingMaintWindow \
  --assume-role-policy-document "$trust" --query Role.Arn)
aws iam attach-role-policy --role-name PatchingMaintWindow \
  --policy-arn arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole
policy=$(cat <<JSON
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["ssm:DescribeInstanceInformation","ssm:ListCommandInvocations"],"Resource":"*"},
 {"Effect":"Allow","Action":"elasticloadbalancing:DescribeTargetHealth","Resource":"*"},
 {"Effect":"Allow","Action":["elasticloadbalancing:DeregisterTargets","elasticloadbalancing:RegisterTargets"],"Resource":"$tg"}]}
JSON
)
aws iam put-role-policy --role-name PatchingMaintWindow --policy-name window --policy-document "$policy"

say "a maintenance window due in five seconds"
account=$(text sts get-caller-identity --query Account)
region=${AWS_REGION:-us-east-1}
if [ "$mode" = reboot ]; then
  document=RebootWithHealthcheck
  parameters='{"InstanceIds":["{{ TARGET_ID }}"]}'
else
  document=RebootInstanceGraceful
  parameters="{\"InstanceId\":[\"{{ TARGET_ID }}\"],\"TargetGroupArn\":[\"$tg\"]}"
fi
window=$(text ssm create-maintenance-window --name PatchWithHealthcheck \
  --schedule "at($(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%S))" \
  --duration 3 --cutoff 1 --no-allow-unassociated-targets --query WindowId)
target=$(text ssm register-target-with-maintenance-window --window-id "$window" \
  --resource-type INSTANCE --targets Key=tag:App,Values=HelloWorld --query WindowTargetId)
aws ssm register-task-with-maintenance-window --window-id "$window" \
  --task-type AUTOMATION --task-arn "arn:aws:ssm:$region:$account:document/$document" \
  --priority 10 --service-role-arn "$role_arn" --max-concurrency 1 --max-errors 0 \
  --targets "Key=WindowTargetIds,Values=$target" \
  --task-invocation-parameters "{\"Automation\":{\"DocumentVersion\":\"\$LATEST\",\"Parameters\":$parameters}}" \
  >/dev/null
echo "$window runs $document"

say "requests against http://$dns/ while the window runs"
ok=0 failed=0
while :; do
  if curl -sf -m 5 "http://$dns/" >/dev/null; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
  status=$(text ssm describe-maintenance-window-executions --window-id "$window" \
    --query 'WindowExecutions[0].Status')
  case "$status" in
    SUCCESS | FAILED | TIMED_OUT | CANCELLED) break ;;
  esac
done

say "window $status: $ok requests answered, $failed failed"
