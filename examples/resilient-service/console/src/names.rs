//! The names of everything the scenario makes, as the seed gives them:
//! `destroy` finds what `deploy` made by these names alone, so it can run
//! after a partial deploy or from another machine.

pub const TABLE: &str = "doc-example-recommendation-service";
pub const KEY_PAIR: &str = "doc-example-resilience-key";
pub const POLICY: &str = "doc-example-resilience-pol";
pub const ROLE: &str = "doc-example-resilience-role";
pub const PROFILE: &str = "doc-example-resilience-prof";
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
