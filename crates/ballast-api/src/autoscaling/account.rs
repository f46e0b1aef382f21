//! What the account may have and name: DescribeAccountLimits (AWS's
//! default quotas, which Ballast enforces, and the usage against them),
//! DescribeTerminationPolicyTypes and DescribeAutoScalingNotificationTypes.

use ballast_core::autoscaling::configuration::MAX_CONFIGURATIONS;
use ballast_core::autoscaling::{MAX_GROUPS, NOTIFICATION_TYPES, TERMINATION_POLICIES};
use ballast_model::autoscaling::{
    DescribeAccountLimitsOutput, DescribeAutoScalingNotificationTypesOutput,
    DescribeTerminationPolicyTypesOutput,
};

use super::Error;
use crate::ApiState;

pub(super) fn limits(state: &ApiState) -> Result<DescribeAccountLimitsOutput, Error> {
    let (groups, configurations) = state.store.read(|tx| tx.asg_counts())?;
    let int = |n: usize| i32::try_from(n).ok();
    Ok(DescribeAccountLimitsOutput {
        max_number_of_auto_scaling_groups: int(MAX_GROUPS),
        max_number_of_launch_configurations: int(MAX_CONFIGURATIONS),
        number_of_auto_scaling_groups: int(groups),
        number_of_launch_configurations: int(configurations),
    })
}

/// The named termination policies, sorted as AWS lists them.
pub(super) fn termination_policy_types() -> DescribeTerminationPolicyTypesOutput {
    let mut types: Vec<String> = TERMINATION_POLICIES.iter().map(|&t| t.to_owned()).collect();
    types.sort();
    DescribeTerminationPolicyTypesOutput {
        termination_policy_types: Some(types),
    }
}

pub(super) fn notification_types() -> DescribeAutoScalingNotificationTypesOutput {
    DescribeAutoScalingNotificationTypesOutput {
        auto_scaling_notification_types: Some(
            NOTIFICATION_TYPES.iter().map(|&t| t.to_owned()).collect(),
        ),
    }
}
