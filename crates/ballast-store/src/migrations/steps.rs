// The schema's migrations, kept apart from the code that applies them so
// that `build.rs` can `include!` the same list to make the new store's
// image (`migrations::image`). Append only: never edit one that has
// shipped; add the next.

/// The migrations, in order; `MIGRATIONS[i]` takes the schema to version i+1.
const MIGRATIONS: &[&str] = &[
    // 1: Parameter Store, target groups, tags.
    r#"
    CREATE TABLE ssm_parameters (
        key            TEXT PRIMARY KEY NOT NULL,
        latest_version INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE ssm_parameter_versions (
        key     TEXT NOT NULL REFERENCES ssm_parameters(key) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        record  TEXT NOT NULL,
        PRIMARY KEY (key, version)
    ) WITHOUT ROWID;

    CREATE TABLE elbv2_target_groups (
        arn    TEXT PRIMARY KEY NOT NULL,
        name   TEXT NOT NULL UNIQUE,
        seq    INTEGER NOT NULL,
        record TEXT NOT NULL
    );

    CREATE TABLE tags (
        resource TEXT NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (resource, key)
    ) WITHOUT ROWID;
    "#,
    // 2: load balancers, listeners, rules, target registrations.
    r#"
    CREATE TABLE elbv2_load_balancers (
        arn     TEXT PRIMARY KEY NOT NULL,
        name    TEXT NOT NULL UNIQUE,
        address TEXT NOT NULL UNIQUE,
        seq     INTEGER NOT NULL,
        record  TEXT NOT NULL
    );

    CREATE TABLE elbv2_listeners (
        arn               TEXT PRIMARY KEY NOT NULL,
        load_balancer_arn TEXT NOT NULL REFERENCES elbv2_load_balancers(arn) ON DELETE CASCADE,
        port              INTEGER NOT NULL,
        record            TEXT NOT NULL,
        UNIQUE (load_balancer_arn, port)
    );

    CREATE TABLE elbv2_rules (
        arn          TEXT PRIMARY KEY NOT NULL,
        listener_arn TEXT NOT NULL REFERENCES elbv2_listeners(arn) ON DELETE CASCADE,
        priority     INTEGER NOT NULL,
        record       TEXT NOT NULL,
        UNIQUE (listener_arn, priority)
    );

    CREATE TABLE elbv2_targets (
        target_group_arn TEXT NOT NULL REFERENCES elbv2_target_groups(arn) ON DELETE CASCADE,
        id               TEXT NOT NULL,
        port             INTEGER NOT NULL,
        record           TEXT NOT NULL,
        PRIMARY KEY (target_group_arn, id, port)
    ) WITHOUT ROWID;
    "#,
    // 3: EC2 security groups and key pairs (tags go in `tags`, keyed by id).
    r#"
    CREATE TABLE ec2_security_groups (
        id     TEXT PRIMARY KEY NOT NULL,
        vpc_id TEXT NOT NULL,
        name   TEXT NOT NULL,
        record TEXT NOT NULL,
        UNIQUE (vpc_id, name)
    );

    CREATE TABLE ec2_key_pairs (
        id     TEXT PRIMARY KEY NOT NULL,
        name   TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
    );
    "#,
    // 4: EC2 instances, and the temporary credentials issued to them.
    r#"
    CREATE TABLE ec2_instances (
        id      TEXT PRIMARY KEY NOT NULL,
        seq     INTEGER NOT NULL,
        state   TEXT NOT NULL,
        address TEXT NOT NULL,
        record  TEXT NOT NULL
    );
    -- A terminated instance gives its address back.
    CREATE UNIQUE INDEX ec2_instances_live_address
        ON ec2_instances (address) WHERE state != 'terminated';

    CREATE TABLE sts_sessions (
        access_key_id  TEXT PRIMARY KEY NOT NULL,
        session_name   TEXT NOT NULL,
        expires_millis INTEGER NOT NULL,
        record         TEXT NOT NULL
    );
    CREATE INDEX sts_sessions_by_name ON sts_sessions (session_name, expires_millis);
    "#,
    // 5: IAM roles, customer managed policies and their versions, managed
    // policies attached to roles, inline role policies, instance profiles.
    // IAM names are unique regardless of case (COLLATE NOCASE); child rows
    // hold the role's stored name. AWS managed policies are a catalogue in
    // the core, so attachments do not reference iam_policies. Tags go in
    // `tags`, keyed by ARN.
    r#"
    CREATE TABLE iam_roles (
        name   TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
        arn    TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE iam_policies (
        arn    TEXT PRIMARY KEY NOT NULL,
        name   TEXT NOT NULL UNIQUE COLLATE NOCASE,
        record TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE iam_policy_versions (
        policy_arn TEXT NOT NULL REFERENCES iam_policies(arn) ON DELETE CASCADE,
        version    INTEGER NOT NULL,
        record     TEXT NOT NULL,
        PRIMARY KEY (policy_arn, version)
    ) WITHOUT ROWID;

    CREATE TABLE iam_role_attachments (
        role_name  TEXT NOT NULL COLLATE NOCASE REFERENCES iam_roles(name) ON DELETE CASCADE,
        policy_arn TEXT NOT NULL,
        PRIMARY KEY (role_name, policy_arn)
    ) WITHOUT ROWID;
    CREATE INDEX iam_role_attachments_by_policy ON iam_role_attachments (policy_arn);

    CREATE TABLE iam_role_inline_policies (
        role_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_roles(name) ON DELETE CASCADE,
        name      TEXT NOT NULL COLLATE NOCASE,
        document  TEXT NOT NULL,
        PRIMARY KEY (role_name, name)
    ) WITHOUT ROWID;

    CREATE TABLE iam_instance_profiles (
        name      TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
        arn       TEXT NOT NULL UNIQUE,
        role_name TEXT COLLATE NOCASE REFERENCES iam_roles(name),
        record    TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX iam_instance_profiles_by_role ON iam_instance_profiles (role_name);
    "#,
    // 6: EC2 launch templates and their versions (tags go in `tags`).
    r#"
    CREATE TABLE ec2_launch_templates (
        id           TEXT PRIMARY KEY NOT NULL,
        name         TEXT NOT NULL UNIQUE,
        client_token TEXT UNIQUE,
        record       TEXT NOT NULL
    );

    CREATE TABLE ec2_launch_template_versions (
        template_id TEXT NOT NULL REFERENCES ec2_launch_templates(id) ON DELETE CASCADE,
        version     INTEGER NOT NULL,
        record      TEXT NOT NULL,
        PRIMARY KEY (template_id, version)
    ) WITHOUT ROWID;
    "#,
    // 7: DynamoDB tables, items and secondary index entries. Keys are
    // stored in DynamoDB's order (ballast_core::dynamodb::key): a Query is
    // a range scan of one (bucket, hk) partition by rk, a Scan walks
    // (bucket, hk, rk). Index entries point at their item's table key.
    r#"
    CREATE TABLE ddb_tables (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        name   TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
    );

    CREATE TABLE ddb_items (
        table_id INTEGER NOT NULL,
        bucket   INTEGER NOT NULL,
        hk       BLOB NOT NULL,
        rk       BLOB NOT NULL,
        size     INTEGER NOT NULL,
        item     TEXT NOT NULL,
        PRIMARY KEY (table_id, bucket, hk, rk)
    ) WITHOUT ROWID;

    CREATE TABLE ddb_index_items (
        table_id   INTEGER NOT NULL,
        index_name TEXT NOT NULL,
        bucket     INTEGER NOT NULL,
        hk         BLOB NOT NULL,
        rk         BLOB NOT NULL,
        t_bucket   INTEGER NOT NULL,
        t_hk       BLOB NOT NULL,
        t_rk       BLOB NOT NULL,
        PRIMARY KEY (table_id, index_name, bucket, hk, rk, t_bucket, t_hk, t_rk)
    ) WITHOUT ROWID;
    "#,
    // 8: Auto Scaling groups (settings, instances, hooks, refreshes in one
    // record) and their scaling activities.
    r#"
    CREATE TABLE asg_groups (
        name   TEXT PRIMARY KEY NOT NULL,
        seq    INTEGER NOT NULL,
        record TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE asg_activities (
        id           TEXT PRIMARY KEY NOT NULL,
        group_name   TEXT NOT NULL,
        start_millis INTEGER NOT NULL,
        seq          INTEGER NOT NULL,
        record       TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX asg_activities_by_group ON asg_activities (group_name, start_millis, seq);
    "#,
    // 9: DynamoDB Time to Live. Each item's expiry second (its TTL
    // attribute rounded up, while its table has TTL enabled; NULL
    // otherwise), indexed so the sweeper finds what is due without reading
    // tables. The TTL attribute itself is in the table's record; table tags
    // go in `tags`, keyed by the table's ARN.
    r#"
    ALTER TABLE ddb_items ADD COLUMN ttl_expiry INTEGER;
    CREATE INDEX ddb_items_by_ttl_expiry ON ddb_items (ttl_expiry)
        WHERE ttl_expiry IS NOT NULL;
    "#,
    // 10: EBS volumes, each with the instance it is attached to (NULL when
    // available) so an instance's volumes are found without reading them
    // all.
    r#"
    CREATE TABLE ec2_volumes (
        id          TEXT PRIMARY KEY NOT NULL,
        seq         INTEGER NOT NULL,
        instance_id TEXT,
        record      TEXT NOT NULL
    );
    CREATE INDEX ec2_volumes_by_instance ON ec2_volumes (instance_id)
        WHERE instance_id IS NOT NULL;
    "#,
    // 11: Run Command: commands, their invocations (one per instance, with
    // whether it is still open so an agent's pending work is found by
    // index), and the instances agents registered.
    r#"
    CREATE TABLE ssm_commands (
        id     TEXT PRIMARY KEY NOT NULL,
        seq    INTEGER NOT NULL,
        open   INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE TABLE ssm_invocations (
        command_id  TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        open        INTEGER NOT NULL,
        record      TEXT NOT NULL,
        PRIMARY KEY (command_id, instance_id)
    ) WITHOUT ROWID;
    CREATE INDEX ssm_invocations_open_by_instance ON ssm_invocations (instance_id)
        WHERE open = 1;
    CREATE TABLE ssm_managed_instances (
        instance_id TEXT PRIMARY KEY NOT NULL,
        record      TEXT NOT NULL
    );
    "#,
    // 12: SSM documents (what the versions share: owner, default and
    // latest version, sharing) and their versions. Amazon-owned documents
    // are a catalogue in the core, not rows; tags go in `tags`, keyed by
    // the document's ARN.
    r#"
    CREATE TABLE ssm_documents (
        name   TEXT PRIMARY KEY NOT NULL,
        record TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE ssm_document_versions (
        name    TEXT NOT NULL REFERENCES ssm_documents(name) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        record  TEXT NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;
    "#,
    // 13: SSM Automation executions, each one record holding its steps'
    // executions; `open` marks the ones the engine still drives.
    r#"
    CREATE TABLE ssm_automation_executions (
        id      TEXT PRIMARY KEY NOT NULL,
        open    INTEGER NOT NULL,
        started INTEGER NOT NULL,
        record  TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX ssm_automation_executions_open ON ssm_automation_executions (open)
        WHERE open = 1;
    "#,
    // 14: maintenance windows, their targets and tasks (deleted with the
    // window), their executions with each execution's task executions and
    // invocations (written by the runner, deleted with the window), and
    // the idempotency tokens of the calls that create them. An execution
    // still open is found by index. Window tags go in `tags`, keyed by the
    // window's ARN.
    r#"
    CREATE TABLE ssm_windows (
        id     TEXT PRIMARY KEY NOT NULL,
        seq    INTEGER NOT NULL,
        record TEXT NOT NULL
    );

    CREATE TABLE ssm_window_targets (
        window_id TEXT NOT NULL REFERENCES ssm_windows(id) ON DELETE CASCADE,
        id        TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        record    TEXT NOT NULL,
        PRIMARY KEY (window_id, id)
    ) WITHOUT ROWID;

    CREATE TABLE ssm_window_tasks (
        window_id TEXT NOT NULL REFERENCES ssm_windows(id) ON DELETE CASCADE,
        id        TEXT NOT NULL,
        seq       INTEGER NOT NULL,
        record    TEXT NOT NULL,
        PRIMARY KEY (window_id, id)
    ) WITHOUT ROWID;

    CREATE TABLE ssm_window_executions (
        id           TEXT PRIMARY KEY NOT NULL,
        window_id    TEXT NOT NULL REFERENCES ssm_windows(id) ON DELETE CASCADE,
        start_millis INTEGER NOT NULL,
        open         INTEGER NOT NULL,
        record       TEXT NOT NULL
    );
    CREATE INDEX ssm_window_executions_by_window
        ON ssm_window_executions (window_id, start_millis);
    CREATE INDEX ssm_window_executions_open
        ON ssm_window_executions (window_id) WHERE open = 1;

    CREATE TABLE ssm_window_task_executions (
        execution_id TEXT NOT NULL REFERENCES ssm_window_executions(id) ON DELETE CASCADE,
        id           TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        record       TEXT NOT NULL,
        PRIMARY KEY (execution_id, id)
    ) WITHOUT ROWID;

    CREATE TABLE ssm_window_task_invocations (
        execution_id      TEXT NOT NULL,
        task_execution_id TEXT NOT NULL,
        id                TEXT NOT NULL,
        seq               INTEGER NOT NULL,
        record            TEXT NOT NULL,
        PRIMARY KEY (execution_id, task_execution_id, id),
        FOREIGN KEY (execution_id, task_execution_id)
            REFERENCES ssm_window_task_executions(execution_id, id) ON DELETE CASCADE
    ) WITHOUT ROWID;

    CREATE TABLE ssm_window_client_tokens (
        operation   TEXT NOT NULL,
        token       TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        PRIMARY KEY (operation, token)
    ) WITHOUT ROWID;
    "#,
    // 15: Auto Scaling launch configurations, one record each, by name
    // (unique in the region). Which groups use one is read from the
    // groups' records.
    r#"
    CREATE TABLE asg_launch_configurations (
        name   TEXT PRIMARY KEY NOT NULL,
        record TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 16: public IPv4 addresses: Elastic IPs (with their allocation id) and
    // instances' automatic public addresses (without), each with the
    // instance it leads to (NULL when not associated) so an instance's
    // addresses are found by index.
    r#"
    CREATE TABLE ec2_addresses (
        public_ip     TEXT PRIMARY KEY NOT NULL,
        seq           INTEGER NOT NULL,
        allocation_id TEXT UNIQUE,
        instance_id   TEXT,
        record        TEXT NOT NULL
    );
    CREATE INDEX ec2_addresses_by_instance ON ec2_addresses (instance_id)
        WHERE instance_id IS NOT NULL;
    "#,
    // 17: EventBridge: custom event buses (the default bus has no row) and
    // rules, each rule's targets inside its record; a rule is named within
    // its bus.
    r#"
    CREATE TABLE events_buses (
        name   TEXT PRIMARY KEY NOT NULL,
        record TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE events_rules (
        bus    TEXT NOT NULL,
        name   TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (bus, name)
    ) WITHOUT ROWID;
    "#,
    // 18: Lambda functions, one record each by name, and their deployment
    // packages by the zip's hash (kept while a function uses them).
    r#"
    CREATE TABLE lambda_functions (
        name   TEXT PRIMARY KEY NOT NULL,
        record TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE lambda_code (
        sha256 TEXT PRIMARY KEY NOT NULL,
        zip    BLOB NOT NULL
    );
    "#,
    // 19: Lambda's asynchronous invocation queue: Event invokes and
    // EventBridge deliveries, each kept until a run of it ends.
    r#"
    CREATE TABLE lambda_queue (
        id         TEXT PRIMARY KEY NOT NULL,
        not_before INTEGER NOT NULL,
        record     TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX lambda_queue_due ON lambda_queue (not_before);
    "#,
    // 20: IAM users, their access keys, and their policies (attached
    // managed policies and inline ones, as roles have). Names are unique
    // regardless of case, as roles' are; tags go in `tags`, keyed by ARN.
    r#"
    CREATE TABLE iam_users (
        name   TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
        arn    TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE iam_user_attachments (
        user_name  TEXT NOT NULL COLLATE NOCASE REFERENCES iam_users(name) ON DELETE CASCADE,
        policy_arn TEXT NOT NULL,
        PRIMARY KEY (user_name, policy_arn)
    ) WITHOUT ROWID;
    CREATE INDEX iam_user_attachments_by_policy ON iam_user_attachments (policy_arn);

    CREATE TABLE iam_user_inline_policies (
        user_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_users(name) ON DELETE CASCADE,
        name      TEXT NOT NULL COLLATE NOCASE,
        document  TEXT NOT NULL,
        PRIMARY KEY (user_name, name)
    ) WITHOUT ROWID;

    CREATE TABLE iam_access_keys (
        access_key_id TEXT PRIMARY KEY NOT NULL,
        user_name     TEXT NOT NULL COLLATE NOCASE REFERENCES iam_users(name) ON DELETE CASCADE,
        record        TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX iam_access_keys_by_user ON iam_access_keys (user_name);
    "#,
    // 21: IAM groups, their members, and their policies (attached managed
    // policies and inline ones, as users have). A membership goes with
    // either its group or its user.
    r#"
    CREATE TABLE iam_groups (
        name   TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
        arn    TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE iam_group_members (
        group_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_groups(name) ON DELETE CASCADE,
        user_name  TEXT NOT NULL COLLATE NOCASE REFERENCES iam_users(name) ON DELETE CASCADE,
        PRIMARY KEY (group_name, user_name)
    ) WITHOUT ROWID;
    CREATE INDEX iam_group_members_by_user ON iam_group_members (user_name);

    CREATE TABLE iam_group_attachments (
        group_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_groups(name) ON DELETE CASCADE,
        policy_arn TEXT NOT NULL,
        PRIMARY KEY (group_name, policy_arn)
    ) WITHOUT ROWID;
    CREATE INDEX iam_group_attachments_by_policy ON iam_group_attachments (policy_arn);

    CREATE TABLE iam_group_inline_policies (
        group_name TEXT NOT NULL COLLATE NOCASE REFERENCES iam_groups(name) ON DELETE CASCADE,
        name       TEXT NOT NULL COLLATE NOCASE,
        document   TEXT NOT NULL,
        PRIMARY KEY (group_name, name)
    ) WITHOUT ROWID;
    "#,
    // 22: OpsCenter's OpsItems, one record each by id; their tags go in
    // `tags`, keyed by ARN.
    r#"
    CREATE TABLE ssm_ops_items (
        id     TEXT PRIMARY KEY NOT NULL,
        record TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 23: GetSessionToken's credentials, which act as the root user or an
    // IAM user rather than a role, by access key id.
    r#"
    CREATE TABLE sts_token_sessions (
        access_key_id  TEXT PRIMARY KEY NOT NULL,
        expires_millis INTEGER NOT NULL,
        record         TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 24: Lambda's published versions, by function and number, and its
    // aliases, by function and name.
    r#"
    CREATE TABLE lambda_versions (
        name    TEXT NOT NULL,
        version INTEGER NOT NULL,
        record  TEXT NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;
    CREATE TABLE lambda_aliases (
        function TEXT NOT NULL,
        name     TEXT NOT NULL,
        record   TEXT NOT NULL,
        PRIMARY KEY (function, name)
    ) WITHOUT ROWID;
    "#,
];
