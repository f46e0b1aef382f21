//! Instance attributes: what ModifyInstanceAttribute may change, one
//! attribute a call, and when; and detailed monitoring, which Monitor- and
//! UnmonitorInstances change under the same rule (not once terminated).

use super::Error;
use super::instance::{GroupRef, Instance, InstanceState, validate_instance_type};

/// One attribute change, as a ModifyInstanceAttribute call asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    DisableApiTermination(bool),
    DisableApiStop(bool),
    /// `stop` or `terminate`.
    ShutdownBehavior(String),
    /// Only while the instance is stopped.
    InstanceType(String),
    /// Base64, as RunInstances takes it; only while stopped.
    UserData(String),
    /// The security groups, replacing the instance's (resolved in its VPC
    /// by the caller).
    Groups(Vec<GroupRef>),
    SourceDestCheck(bool),
    EbsOptimized(bool),
    EnaSupport(bool),
    /// Detailed monitoring (Monitor- and UnmonitorInstances).
    Monitoring(bool),
}

/// Exactly one change from what a call names; naming none or several is
/// refused as EC2 refuses it.
pub fn one_change(mut changes: Vec<(&str, Change)>) -> Result<Change, Error> {
    match changes.len() {
        0 => Err(Error::MissingParameterDetail(
            "No attributes specified.".to_owned(),
        )),
        1 => Ok(changes.remove(0).1),
        _ => Err(Error::InvalidParameterCombination(format!(
            "Fields for multiple attribute types specified: {}",
            changes
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

impl Instance {
    /// ModifyInstanceAttribute, MonitorInstances, UnmonitorInstances.
    pub fn modify(&mut self, change: Change) -> Result<(), Error> {
        if self.state == InstanceState::Terminated {
            return Err(Error::IncorrectInstanceState(format!(
                "The instance '{}' is not in a state from which its attributes can be modified.",
                self.id
            )));
        }
        match change {
            Change::DisableApiTermination(on) => self.disable_api_termination = on,
            Change::DisableApiStop(on) => self.disable_api_stop = on,
            Change::ShutdownBehavior(behavior) => {
                if !matches!(behavior.as_str(), "stop" | "terminate") {
                    return Err(Error::InvalidParameterValue(format!(
                        "Value ({behavior}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values are 'stop' and 'terminate'."
                    )));
                }
                self.shutdown_behavior = behavior;
            }
            Change::InstanceType(instance_type) => {
                self.require_stopped()?;
                validate_instance_type(&instance_type)?;
                self.instance_type = instance_type;
            }
            Change::UserData(user_data) => {
                self.require_stopped()?;
                self.user_data = Some(user_data).filter(|u| !u.is_empty());
            }
            Change::Groups(groups) => {
                if groups.is_empty() {
                    return Err(Error::MissingParameter("groupId".to_owned()));
                }
                self.security_groups = groups;
            }
            Change::SourceDestCheck(on) => self.source_dest_check = on,
            Change::Monitoring(on) => self.monitoring = on,
            Change::EbsOptimized(on) => self.ebs_optimized = on,
            Change::EnaSupport(on) => self.ena_support = on,
        }
        Ok(())
    }

    fn require_stopped(&self) -> Result<(), Error> {
        if self.state == InstanceState::Stopped {
            Ok(())
        } else {
            Err(Error::IncorrectInstanceState(format!(
                "The instance '{}' is not in the 'stopped' state.",
                self.id
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::instance::tests::instance;

    #[test]
    fn one_attribute_a_call() {
        assert!(matches!(
            one_change(vec![]),
            Err(Error::MissingParameterDetail(_))
        ));
        assert_eq!(
            one_change(vec![(
                "disableApiTermination",
                Change::DisableApiTermination(true)
            )]),
            Ok(Change::DisableApiTermination(true))
        );
        assert!(matches!(
            one_change(vec![
                ("disableApiTermination", Change::DisableApiTermination(true)),
                ("ebsOptimized", Change::EbsOptimized(true)),
            ]),
            Err(Error::InvalidParameterCombination(m)) if m.contains("disableApiTermination, ebsOptimized")
        ));
    }

    #[test]
    fn type_and_user_data_change_only_while_stopped() {
        let mut running = instance(InstanceState::Running);
        assert!(matches!(
            running.modify(Change::InstanceType("t3.large".into())),
            Err(Error::IncorrectInstanceState(_))
        ));
        let mut stopped = instance(InstanceState::Stopped);
        stopped
            .modify(Change::InstanceType("t3.large".into()))
            .unwrap();
        assert_eq!(stopped.instance_type, "t3.large");
        assert!(
            stopped
                .modify(Change::InstanceType("nonsense".into()))
                .is_err()
        );
        stopped
            .modify(Change::UserData("ZWNobyBoaQ==".into()))
            .unwrap();
        assert_eq!(stopped.user_data.as_deref(), Some("ZWNobyBoaQ=="));
    }

    #[test]
    fn protections_refuse_the_calls_they_guard() {
        let mut i = instance(InstanceState::Running);
        i.modify(Change::DisableApiStop(true)).unwrap();
        assert!(matches!(
            i.stop(0, "now"),
            Err(Error::OperationNotPermitted(_))
        ));
        i.modify(Change::DisableApiStop(false)).unwrap();
        i.modify(Change::DisableApiTermination(true)).unwrap();
        assert!(matches!(
            i.terminate(0, "now"),
            Err(Error::OperationNotPermitted(_))
        ));
        assert!(
            i.modify(Change::ShutdownBehavior("hibernate".into()))
                .is_err()
        );
        i.modify(Change::ShutdownBehavior("terminate".into()))
            .unwrap();
        assert_eq!(i.shutdown_behavior, "terminate");
        assert!(matches!(
            i.modify(Change::Groups(vec![])),
            Err(Error::MissingParameter(_))
        ));
    }
}
