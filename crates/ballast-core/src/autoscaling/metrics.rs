//! Group metrics collection: which of a group's CloudWatch metrics are
//! enabled, as EnableMetricsCollection, DisableMetricsCollection and
//! DescribeAutoScalingGroups' `EnabledMetrics` see them.
//!
//! Ballast has no CloudWatch, so nothing is published: the setting is
//! kept and reported, so that programs which turn collection on or off
//! (Ansible's `autoscaling_group` does on every update) work as on AWS.

use super::{Error, Group, invalid};

/// The only granularity AWS accepts.
pub const GRANULARITY: &str = "1Minute";

/// Every group metric, in the order AWS documents them (and Ballast
/// lists them).
pub const METRICS: [&str; 20] = [
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTotalCapacity",
    "WarmPoolDesiredCapacity",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity",
    "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
];

/// Checks EnableMetricsCollection's `Granularity`.
pub fn check_granularity(granularity: &str) -> Result<(), Error> {
    if granularity == GRANULARITY {
        Ok(())
    } else {
        Err(invalid(format!(
            "Granularity {granularity} is not valid: the only valid granularity is {GRANULARITY}"
        )))
    }
}

/// The metrics a request names, checked; every metric when it names none,
/// as both calls mean it.
pub fn named_metrics(metrics: Option<&[String]>) -> Result<Vec<&'static str>, Error> {
    let Some(metrics) = metrics.filter(|m| !m.is_empty()) else {
        return Ok(METRICS.to_vec());
    };
    let unknown: Vec<&str> = metrics
        .iter()
        .map(String::as_str)
        .filter(|m| !METRICS.contains(m))
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "Invalid metrics: {}. Valid metrics are: {}",
            unknown.join(", "),
            METRICS.join(", ")
        )));
    }
    Ok(METRICS
        .iter()
        .copied()
        .filter(|m| metrics.iter().any(|n| n == m))
        .collect())
}

impl Group {
    /// EnableMetricsCollection: adds `metrics` to the enabled ones.
    pub fn enable_metrics(&mut self, metrics: &[&str]) {
        let enabled: Vec<String> = METRICS
            .iter()
            .filter(|m| metrics.contains(m) || self.enabled_metrics.iter().any(|e| e == *m))
            .map(|m| (*m).to_owned())
            .collect();
        self.enabled_metrics = enabled;
    }

    /// DisableMetricsCollection: removes `metrics` from the enabled ones.
    pub fn disable_metrics(&mut self, metrics: &[&str]) {
        self.enabled_metrics
            .retain(|m| !metrics.contains(&m.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaling::group::tests::group;

    #[test]
    fn only_one_minute_granularity() {
        assert!(check_granularity("1Minute").is_ok());
        assert!(matches!(
            check_granularity("5Minute"),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn naming_none_means_every_metric_and_unknown_ones_are_refused() {
        assert_eq!(named_metrics(None).unwrap().len(), 20);
        assert_eq!(named_metrics(Some(&[])).unwrap().len(), 20);
        let named = named_metrics(Some(&["GroupMaxSize".into(), "GroupMinSize".into()])).unwrap();
        assert_eq!(named, ["GroupMinSize", "GroupMaxSize"], "in AWS's order");
        let refused = named_metrics(Some(&["GroupMinSize".into(), "CPU".into()]));
        assert!(matches!(refused, Err(Error::Validation(m)) if m.contains("Invalid metrics: CPU")));
    }

    #[test]
    fn enabling_adds_and_disabling_removes() {
        let mut g = group(0, 1, None);
        assert!(g.enabled_metrics.is_empty());
        g.enable_metrics(&["GroupTotalInstances", "GroupMinSize"]);
        g.enable_metrics(&["GroupMaxSize", "GroupMinSize"]);
        assert_eq!(
            g.enabled_metrics,
            ["GroupMinSize", "GroupMaxSize", "GroupTotalInstances"]
        );
        g.disable_metrics(&["GroupMinSize"]);
        assert_eq!(g.enabled_metrics, ["GroupMaxSize", "GroupTotalInstances"]);
        g.disable_metrics(&METRICS);
        assert!(g.enabled_metrics.is_empty());
    }
}
