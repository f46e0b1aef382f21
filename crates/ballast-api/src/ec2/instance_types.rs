//! DescribeInstanceTypes over the instance types Ballast knows
//! (`ballast_core::ec2::instance_type`): the vCPUs and memory a sandbox's
//! cgroup holds an instance of that type to.

use ballast_core::ec2::instance_type::{self, InstanceType};
use ballast_core::ec2::{self, filter};
use ballast_core::paging::page;

use ballast_model::ec2::{
    ArchitectureType, DescribeInstanceTypesInput, DescribeInstanceTypesOutput,
    InstanceTypeHypervisor, InstanceTypeInfo, MemoryInfo, ProcessorInfo, RootDeviceType,
    UsageClassType, VCpuInfo, VirtualizationType,
};

use super::{Error, describe_page, dry_run, filters};
use crate::ApiState;

fn view(instance_type: &InstanceType) -> InstanceTypeInfo {
    let vcpus = i32::try_from(instance_type.capacity.vcpus).unwrap_or(i32::MAX);
    // Graviton and T2 cores run one thread each; the others two.
    let threads = if instance_type.architecture == "arm64" || instance_type.name.starts_with("t2.")
    {
        1
    } else {
        2
    };
    InstanceTypeInfo {
        instance_type: Some(instance_type.name.as_str().into()),
        current_generation: Some(!instance_type.name.starts_with("t2.")),
        free_tier_eligible: Some(matches!(
            instance_type.name.as_str(),
            "t2.micro" | "t3.micro"
        )),
        supported_usage_classes: Some(vec![UsageClassType::OnDemand, UsageClassType::Spot]),
        supported_root_device_types: Some(vec![RootDeviceType::Ebs]),
        supported_virtualization_types: Some(vec![VirtualizationType::Hvm]),
        bare_metal: Some(false),
        hypervisor: Some(if instance_type.name.starts_with("t2.") {
            InstanceTypeHypervisor::Xen
        } else {
            InstanceTypeHypervisor::Nitro
        }),
        processor_info: Some(ProcessorInfo {
            supported_architectures: Some(vec![ArchitectureType::from(instance_type.architecture)]),
            ..Default::default()
        }),
        v_cpu_info: Some(VCpuInfo {
            default_v_cpus: Some(vcpus),
            default_cores: Some((vcpus / threads).max(1)),
            default_threads_per_core: Some(threads),
            ..Default::default()
        }),
        memory_info: Some(MemoryInfo {
            size_in_mi_b: Some(
                i64::try_from(instance_type.capacity.memory_mib).unwrap_or(i64::MAX),
            ),
        }),
        instance_storage_supported: Some(false),
        burstable_performance_supported: Some(instance_type.burstable),
        hibernation_supported: Some(false),
        ..Default::default()
    }
}

pub(super) fn describe(
    _state: &ApiState,
    input: DescribeInstanceTypesInput,
) -> Result<DescribeInstanceTypesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<InstanceType>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let selected: Vec<InstanceType> = match input.instance_types {
        Some(names) => {
            let names: Vec<String> = names.into_iter().map(|n| n.as_str().to_owned()).collect();
            let unknown: Vec<String> = names
                .iter()
                .filter(|name| instance_type::find(name).is_none())
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(ec2::Error::InvalidInstanceType(unknown).into());
            }
            let mut found: Vec<InstanceType> = names
                .iter()
                .filter_map(|n| instance_type::find(n))
                .collect();
            found.sort_by(|a, b| a.name.cmp(&b.name));
            found.dedup_by(|a, b| a.name == b.name);
            found
        }
        None => instance_type::all(),
    };
    let matching: Vec<InstanceType> = selected
        .into_iter()
        .filter(|t| filter::matches(t, &[], &filters))
        .collect();
    let (matching, next_token) = page(matching, |t| t.name.as_str(), after.as_deref(), size);
    Ok(DescribeInstanceTypesOutput {
        instance_types: Some(matching.iter().map(view).collect()),
        next_token,
    })
}
