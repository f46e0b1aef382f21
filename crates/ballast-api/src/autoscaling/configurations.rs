//! Launch configurations: create (checked against the store: the image,
//! key pair, security groups and instance profile must exist), describe
//! (paged by name) and delete (refused while a group launches from one).

use ballast_core::autoscaling::configuration::{self, ConfigurationSpec, LaunchConfiguration};
use ballast_core::autoscaling::{Error as Rule, TemplateSpec};
use ballast_core::ec2::launch_template::{self, EbsBlockDevice};
use ballast_core::network::DEFAULT_VPC_ID;
use ballast_core::paging::page;
use ballast_model::autoscaling::*;
use ballast_store::{StoreError, Tx};
use ballast_wire::Timestamp;

use super::{Error, invalid, paging};
use crate::ApiState;

/// A store lookup that speaks EC2's rules (`resolve:ssm:` images,
/// instance profiles), told apart so the API can answer in Auto Scaling's
/// words.
#[derive(Debug)]
enum Lookup {
    Store(StoreError),
    /// EC2's rule said no; the API answers in Auto Scaling's words.
    Ec2,
}

impl From<StoreError> for Lookup {
    fn from(e: StoreError) -> Self {
        Lookup::Store(e)
    }
}

impl From<ballast_core::ec2::Error> for Lookup {
    fn from(_: ballast_core::ec2::Error) -> Self {
        Lookup::Ec2
    }
}

fn mapping_in(m: BlockDeviceMapping) -> launch_template::BlockDeviceMapping {
    launch_template::BlockDeviceMapping {
        device_name: Some(m.device_name),
        virtual_name: m.virtual_name,
        no_device: m.no_device.filter(|d| *d).map(|_| String::new()),
        ebs: m.ebs.map(|e| EbsBlockDevice {
            encrypted: e.encrypted,
            delete_on_termination: e.delete_on_termination,
            iops: e.iops.map(i64::from),
            kms_key_id: None,
            snapshot_id: e.snapshot_id,
            volume_size: e.volume_size.map(i64::from),
            volume_type: e.volume_type,
            throughput: e.throughput.map(i64::from),
        }),
    }
}

fn mapping_out(m: &launch_template::BlockDeviceMapping) -> BlockDeviceMapping {
    BlockDeviceMapping {
        virtual_name: m.virtual_name.clone(),
        device_name: m.device_name.clone().unwrap_or_default(),
        ebs: m.ebs.as_ref().map(|e| Ebs {
            snapshot_id: e.snapshot_id.clone(),
            volume_size: e.volume_size.and_then(|v| i32::try_from(v).ok()),
            volume_type: e.volume_type.clone(),
            delete_on_termination: e.delete_on_termination,
            iops: e.iops.and_then(|v| i32::try_from(v).ok()),
            encrypted: e.encrypted,
            throughput: e.throughput.and_then(|v| i32::try_from(v).ok()),
        }),
        no_device: m.no_device.as_ref().map(|_| true),
    }
}

/// The members an instance gives a configuration made from it
/// (`InstanceId`): what the request leaves out, except block devices, as
/// AWS documents.
fn from_instance(tx: &Tx<'_>, id: &str, spec: &mut ConfigurationSpec) -> Result<(), Error> {
    let instance = tx
        .instance(id)?
        .filter(|i| i.state != ballast_core::ec2::InstanceState::Terminated)
        .ok_or_else(|| invalid(format!("Invalid instance id: {id}")))?;
    spec.image_id.get_or_insert(instance.image_id);
    spec.instance_type.get_or_insert(instance.instance_type);
    if spec.key_name.is_none() {
        spec.key_name = instance.key_name;
    }
    if spec.security_groups.is_empty() {
        spec.security_groups = instance.security_groups.into_iter().map(|g| g.id).collect();
    }
    if spec.iam_instance_profile.is_none() {
        spec.iam_instance_profile = instance.profile.map(|p| p.profile_arn);
    }
    if spec.user_data.is_none() {
        spec.user_data = instance.user_data;
    }
    Ok(())
}

/// Checks what a configuration names against the store, in AWS's words.
fn check_names(tx: &Tx<'_>, config: &LaunchConfiguration, account: &str) -> Result<(), Error> {
    let image = match tx.resolve_image_id::<Lookup>(&config.image_id) {
        Ok(id) => Some(id),
        Err(Lookup::Store(e)) => return Err(e.into()),
        Err(Lookup::Ec2) => None,
    };
    if image
        .as_deref()
        .and_then(ballast_core::ec2::images::find)
        .is_none()
    {
        let id = &config.image_id;
        return Err(invalid(format!(
            "AMI {id} is invalid: The image id '[{id}]' does not exist"
        )));
    }
    if let Some(key) = &config.key_name
        && tx.key_pair_by_name(key)?.is_none()
    {
        return Err(invalid(format!("The key pair '{key}' does not exist")));
    }
    for group in &config.security_groups {
        let found = if configuration::is_group_id(group) {
            tx.security_group_or_default(group, account)?.is_some()
        } else {
            tx.security_group_by_name_or_default(DEFAULT_VPC_ID, group, account)?
                .is_some()
        };
        if !found {
            return Err(invalid(format!(
                "The security group '{group}' does not exist"
            )));
        }
    }
    if let Some(spec) = config.profile() {
        match tx.instance_profile_for_launch::<Lookup>(&spec) {
            Ok(_) => {}
            Err(Lookup::Store(e)) => return Err(e.into()),
            Err(Lookup::Ec2) => {
                return Err(invalid(format!(
                    "Invalid IamInstanceProfile: {}",
                    config.iam_instance_profile.as_deref().unwrap_or_default()
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn create(state: &ApiState, input: CreateLaunchConfigurationInput) -> Result<(), Error> {
    let name = input.launch_configuration_name;
    let mut spec = ConfigurationSpec {
        image_id: input.image_id,
        instance_type: input.instance_type,
        key_name: input.key_name,
        security_groups: input.security_groups.unwrap_or_default(),
        user_data: input.user_data,
        iam_instance_profile: input.iam_instance_profile,
        block_device_mappings: input
            .block_device_mappings
            .unwrap_or_default()
            .into_iter()
            .map(mapping_in)
            .collect(),
        monitoring: input.instance_monitoring.and_then(|m| m.enabled),
        ebs_optimized: input.ebs_optimized,
        associate_public_ip_address: input.associate_public_ip_address,
        placement_tenancy: input.placement_tenancy,
        spot_price: input.spot_price,
        kernel_id: input.kernel_id,
        ramdisk_id: input.ramdisk_id,
        metadata_options: input
            .metadata_options
            .map(|m| launch_template::MetadataOptions {
                http_tokens: m.http_tokens.map(|t| t.as_str().to_owned()),
                http_put_response_hop_limit: m.http_put_response_hop_limit.map(i64::from),
                http_endpoint: m.http_endpoint.map(|e| e.as_str().to_owned()),
                ..launch_template::MetadataOptions::default()
            }),
    };
    let arn = configuration::arn(
        &state.scope.region,
        &state.scope.account,
        &state.ids.request_id(),
        &name,
    );
    let now = state.now().millis();
    let account = state.scope.account.clone();
    state.store.write(|tx| -> Result<(), Error> {
        if tx.launch_configuration(&name)?.is_some() {
            return Err(configuration::already_exists(&name).into());
        }
        if tx.launch_configurations()?.len() >= configuration::MAX_CONFIGURATIONS {
            return Err(Rule::LimitExceeded(format!(
                "Launch configuration limit exceeded: at most {} launch configurations per region",
                configuration::MAX_CONFIGURATIONS
            ))
            .into());
        }
        if let Some(id) = &input.instance_id {
            from_instance(tx, id, &mut spec)?;
        }
        let config = LaunchConfiguration::create(name.clone(), arn, spec, now)?;
        check_names(tx, &config, &account)?;
        if !tx.insert_launch_configuration(&config)? {
            return Err(configuration::already_exists(&name).into());
        }
        Ok(())
    })
}

fn view(c: &LaunchConfiguration) -> ballast_model::autoscaling::LaunchConfiguration {
    ballast_model::autoscaling::LaunchConfiguration {
        launch_configuration_name: c.name.clone(),
        launch_configuration_arn: Some(c.arn.clone()),
        image_id: c.image_id.clone(),
        key_name: Some(c.key_name.clone().unwrap_or_default()),
        security_groups: Some(c.security_groups.clone()),
        classic_link_vpc_id: None,
        classic_link_vpc_security_groups: Some(Vec::new()),
        user_data: Some(c.user_data.clone().unwrap_or_default()),
        instance_type: c.instance_type.clone(),
        kernel_id: Some(c.kernel_id.clone().unwrap_or_default()),
        ramdisk_id: Some(c.ramdisk_id.clone().unwrap_or_default()),
        block_device_mappings: Some(c.block_device_mappings.iter().map(mapping_out).collect()),
        instance_monitoring: Some(InstanceMonitoring {
            enabled: Some(c.monitoring),
        }),
        spot_price: c.spot_price.clone(),
        iam_instance_profile: c.iam_instance_profile.clone(),
        created_time: Timestamp::from_millis(c.created_millis),
        ebs_optimized: Some(c.ebs_optimized),
        associate_public_ip_address: c.associate_public_ip_address,
        placement_tenancy: c.placement_tenancy.clone(),
        metadata_options: c
            .metadata_options
            .as_ref()
            .map(|m| InstanceMetadataOptions {
                http_tokens: m
                    .http_tokens
                    .as_deref()
                    .map(InstanceMetadataHttpTokensState::from),
                http_put_response_hop_limit: m
                    .http_put_response_hop_limit
                    .and_then(|l| i32::try_from(l).ok()),
                http_endpoint: m
                    .http_endpoint
                    .as_deref()
                    .map(InstanceMetadataEndpointState::from),
            }),
    }
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeLaunchConfigurationsInput,
) -> Result<DescribeLaunchConfigurationsOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 50, 100)?;
    let names = input.launch_configuration_names.unwrap_or_default();
    let configs: Vec<LaunchConfiguration> = state
        .store
        .read(|tx| tx.launch_configurations())?
        .into_iter()
        .filter(|c| names.is_empty() || names.contains(&c.name))
        .collect();
    let (configs, next_token) = page(configs, |c| c.name.as_str(), after.as_deref(), size);
    Ok(DescribeLaunchConfigurationsOutput {
        launch_configurations: configs.iter().map(view).collect(),
        next_token,
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteLaunchConfigurationInput) -> Result<(), Error> {
    let name = input.launch_configuration_name;
    state.store.write(|tx| -> Result<(), Error> {
        if tx.launch_configuration(&name)?.is_none() {
            return Err(configuration::not_found(&name).into());
        }
        if let Some(group) = tx
            .asg_groups()?
            .into_iter()
            .find(|g| g.launch_template.configuration_name() == Some(name.as_str()))
        {
            return Err(configuration::in_use(&name, &group.name).into());
        }
        tx.delete_launch_configuration(&name)?;
        Ok(())
    })
}

/// The launch source a group names by `LaunchConfigurationName`, which
/// must exist.
pub(super) fn configuration_spec(tx: &Tx<'_>, name: &str) -> Result<TemplateSpec, Error> {
    if tx.launch_configuration(name)?.is_none() {
        return Err(configuration::not_found(name).into());
    }
    Ok(TemplateSpec::configuration(name))
}
