//! The names of everything the scenario makes, as the seed gives them:
//! `destroy` finds what `deploy` made by these names alone, so it can run
//! after a partial deploy or from another machine.

pub const TABLE: &str = "doc-example-recommendation-service";
pub const KEY_PAIR: &str = "doc-example-resilience-key";

/// A policy, the role it is attached to, and the role's instance profile.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub policy: &'static str,
    pub role: &'static str,
    pub profile: &'static str,
}

/// What the instances run as: the table and the parameters.
pub const INSTANCE: Identity = Identity {
    policy: "doc-example-resilience-pol",
    role: "doc-example-resilience-role",
    profile: "doc-example-resilience-prof",
};

/// What the demo gives one instance: the parameters but not the table.
pub const BAD_CREDENTIALS: Identity = Identity {
    policy: "doc-example-resilience-bc-pol",
    role: "doc-example-resilience-bc-role",
    profile: "doc-example-resilience-bc-prof",
};
pub const LAUNCH_TEMPLATE: &str = "doc-example-resilience-template";
pub const GROUP: &str = "doc-example-resilience-group";
pub const TARGET_GROUP: &str = "doc-example-resilience-tg";
pub const LOAD_BALANCER: &str = "doc-example-resilience-lb";

/// The public parameter naming the current Amazon Linux 2023 image.
pub const AMI_PARAMETER: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
/// The managed policy that lets Run Command reach the instances.
pub const MANAGED_INSTANCE_CORE: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// How many instances the group keeps.
pub const GROUP_SIZE: i32 = 3;
/// The port the load balancer and the service use.
pub const PORT: i32 = 80;
