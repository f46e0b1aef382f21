//! Instance types: the vCPUs and memory each size has, as EC2 lists them
//! (DescribeInstanceTypes), which sandboxes enforce with cgroups.

/// What an instance type gives an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub vcpus: u32,
    pub memory_mib: u64,
}

/// The capacity of `instance_type`, for the families Ballast knows;
/// `None` for others (they run without limits).
pub fn capacity(instance_type: &str) -> Option<Capacity> {
    let (family, size) = instance_type.split_once('.')?;
    let class = family_class(family)?;
    let (vcpus, memory_mib) = match (class, size) {
        // Burstable families: every size up to large has two vCPUs (t2's
        // smallest have one); memory doubles with each size.
        (Class::Burstable { small_single_vcpu }, _) => {
            let (vcpus, memory_mib) = match size {
                "nano" => (2, 512),
                "micro" => (2, 1024),
                "small" => (2, 2048),
                "medium" => (2, 4096),
                "large" => (2, 8192),
                "xlarge" => (4, 16384),
                "2xlarge" => (8, 32768),
                _ => return None,
            };
            let single = small_single_vcpu && matches!(size, "nano" | "micro" | "small");
            (if single { 1 } else { vcpus }, memory_mib)
        }
        (Class::Fixed { mib_per_vcpu }, _) => {
            let vcpus = match size {
                "large" => 2,
                "xlarge" => 4,
                _ => size.strip_suffix("xlarge")?.parse::<u32>().ok()? * 4,
            };
            (vcpus, u64::from(vcpus) * mib_per_vcpu)
        }
    };
    Some(Capacity { vcpus, memory_mib })
}

/// One instance type as DescribeInstanceTypes describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceType {
    pub name: String,
    pub capacity: Capacity,
    /// `x86_64`, or `arm64` for Graviton families (`…g`).
    pub architecture: &'static str,
    pub burstable: bool,
}

/// The families Ballast describes, burstable ones first.
const FAMILIES: [&str; 22] = [
    "t2", "t3", "t3a", "t4g", "c5", "c5a", "c6i", "c6g", "c7i", "c7g", "m5", "m5a", "m6i", "m6g",
    "m7i", "m7g", "r5", "r5a", "r6i", "r6g", "r7i", "r7g",
];
const BURSTABLE_SIZES: [&str; 7] = [
    "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge",
];
const FIXED_SIZES: [&str; 5] = ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge"];

/// The instance type named `name`, if Ballast knows it.
pub fn find(name: &str) -> Option<InstanceType> {
    let capacity = capacity(name)?;
    let (family, _) = name.split_once('.')?;
    Some(InstanceType {
        name: name.to_owned(),
        capacity,
        architecture: if family.ends_with('g') {
            "arm64"
        } else {
            "x86_64"
        },
        burstable: matches!(family_class(family), Some(Class::Burstable { .. })),
    })
}

/// Every instance type DescribeInstanceTypes lists without a filter on
/// names, by name.
pub fn all() -> Vec<InstanceType> {
    let mut all: Vec<InstanceType> = FAMILIES
        .iter()
        .flat_map(|family| {
            let sizes: &[&str] = if family.starts_with('t') {
                &BURSTABLE_SIZES
            } else {
                &FIXED_SIZES
            };
            sizes
                .iter()
                .filter_map(move |size| find(&format!("{family}.{size}")))
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

impl crate::ec2::filter::Filterable for InstanceType {
    const FILTERS: &'static [&'static str] = &[
        "instance-type",
        "current-generation",
        "burstable-performance-supported",
        "processor-info.supported-architecture",
        "vcpu-info.default-vcpus",
        "memory-info.size-in-mib",
    ];
    const TAGGED: bool = false;

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "instance-type" => vec![self.name.clone()],
            "current-generation" => vec![(!self.name.starts_with("t2.")).to_string()],
            "burstable-performance-supported" => vec![self.burstable.to_string()],
            "processor-info.supported-architecture" => vec![self.architecture.to_owned()],
            "vcpu-info.default-vcpus" => vec![self.capacity.vcpus.to_string()],
            "memory-info.size-in-mib" => vec![self.capacity.memory_mib.to_string()],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Class {
    Burstable { small_single_vcpu: bool },
    Fixed { mib_per_vcpu: u64 },
}

fn family_class(family: &str) -> Option<Class> {
    Some(match family {
        "t2" => Class::Burstable {
            small_single_vcpu: true,
        },
        "t3" | "t3a" | "t4g" => Class::Burstable {
            small_single_vcpu: false,
        },
        "c5" | "c5a" | "c6i" | "c6g" | "c7i" | "c7g" => Class::Fixed { mib_per_vcpu: 2048 },
        "m5" | "m5a" | "m6i" | "m6g" | "m7i" | "m7g" => Class::Fixed { mib_per_vcpu: 4096 },
        "r5" | "r5a" | "r6i" | "r6g" | "r7i" | "r7g" => Class::Fixed { mib_per_vcpu: 8192 },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_ec2s_table() {
        let cap = |t| capacity(t).map(|c| (c.vcpus, c.memory_mib));
        assert_eq!(cap("t3.micro"), Some((2, 1024)));
        assert_eq!(cap("t2.micro"), Some((1, 1024)));
        assert_eq!(cap("t2.medium"), Some((2, 4096)));
        assert_eq!(cap("m5.large"), Some((2, 8192)));
        assert_eq!(cap("c5.2xlarge"), Some((8, 16384)));
        assert_eq!(cap("r5.xlarge"), Some((4, 32768)));
        assert_eq!(cap("x1e.xlarge"), None);
        assert_eq!(cap("t3.huge"), None);
    }

    #[test]
    fn the_list_is_sorted_and_knows_graviton() {
        let all = all();
        assert!(all.windows(2).all(|w| w[0].name < w[1].name));
        assert!(all.iter().any(|t| t.name == "t3.micro"));
        assert_eq!(find("c7g.large").map(|t| t.architecture), Some("arm64"));
        assert_eq!(find("t3.micro").map(|t| t.burstable), Some(true));
    }
}
