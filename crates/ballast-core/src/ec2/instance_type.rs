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
}
