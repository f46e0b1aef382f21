//! The end-to-end suite: a real `ballast up` per test, driven by aws-sdk-rust.
//!
//! One test binary with a module per area, not one binary per file: every
//! binary links the aws-sdk crates (EC2's alone is over a gigabyte of rlib),
//! so fourteen of them cost minutes of linking and gigabytes of disk for
//! nothing. Run one area with `cargo test -p ballast-sdk-tests --test e2e
//! dynamodb::`.

mod alb_traffic;
mod auth_and_protocol;
mod authorization;
mod automation;
mod autoscaling_api;
mod autoscaling_launch_configurations;
mod autoscaling_policies;
mod autoscaling_schedules;
mod autoscaling_traffic;
mod durability;
mod dynamodb;
mod ec2_addresses;
mod ec2_instances;
mod ec2_launch_templates;
mod ec2_network;
mod ec2_volumes;
mod elbv2_load_balancers;
mod elbv2_target_groups;
mod eventbridge;
mod eventbridge_delivery;
mod iam;
mod instance_roles;
mod lambda;
mod lambda_invoke;
mod lambda_versions;
mod maintenance_window_runs;
mod maintenance_windows;
mod run_command;
mod sandbox;
mod ssm;
mod ssm_documents;
mod ssm_ops_items;
mod sts;
