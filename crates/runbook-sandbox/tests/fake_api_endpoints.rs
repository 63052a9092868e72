//! Every endpoint of the fake Muninn Cloud API, exercised with real curl and jq.

mod common;

use common::{curl, jq, succeeded, tools_available};
use runbook_sandbox::{FakeApi, FakeApiConfig, Health, Sandbox};

const AUTH: &str = "Authorization: Bearer test-admin-token";

fn api() -> FakeApi {
    FakeApi::start(FakeApiConfig::default())
}

#[test]
fn health_ready_and_metrics_answer_like_seed_000() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = api();
    let base = api.base_url();

    let health = curl(&[&format!("{base}/health")]);
    assert_eq!(health.status, 200);
    assert_eq!(jq(&["-r", ".status"], &health.body), "ok");
    assert_eq!(jq(&["-r", ".version"], &health.body), "0.1.0");
    assert_eq!(
        jq(&["-c", ".checks.pool"], &health.body),
        r#"{"size":2,"available":1}"#
    );
    assert_eq!(jq(&["-r", ".checks.managementDb"], &health.body), "ok");
    assert_eq!(jq(&[".checks.mcpSessions"], &health.body), "5");
    assert!(
        health.body.trim_start().starts_with("{\n  \"status\""),
        "keys keep the seed's order: {}",
        health.body
    );

    let ready = curl(&[&format!("{base}/ready")]);
    assert_eq!(ready.status, 200);
    assert_eq!(jq(&["-c", "."], &ready.body), r#"{"ready":true}"#);

    let metrics = curl(&[&format!("{base}/metrics")]);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.headers.contains("text/plain; version=0.0.4"),
        "{}",
        metrics.headers
    );
    for expected in [
        "http_requests_total{method=\"GET\",status=\"200\"} 2",
        "db_pool_size 2",
        "db_pool_available 1",
        "mcp_active_sessions 5",
        "circuit_breaker_state{breaker=\"managementDb\"} 0",
        "connection_failures_total{target=\"managementDb\"} 0",
        "health_checks{check=\"managementDb\"} 1",
        "requests_total{tenant=\"tenant-initech\",plan=\"free\",status=\"429\"} 341",
        "muninn_build_info{version=\"0.1.0\",runtime=\"bun\",framework=\"hono\"} 1",
        "http_request_duration_seconds_count{method=\"GET\",status=\"200\"} 2",
    ] {
        assert!(
            metrics.body.lines().any(|line| line == expected),
            "missing {expected:?} in\n{}",
            metrics.body
        );
    }
}

#[test]
fn seed_metric_greps_find_their_lines() {
    if !tools_available(&["curl", "jq", "bash"]) {
        return;
    }
    let sandbox = Sandbox::new().expect("sandbox starts");
    let script = r#"
        curl -s "$SANDBOX_API_URL/health" >/dev/null
        TENANT_ID=tenant-initech
        curl -s "$SANDBOX_API_URL/metrics" | grep http_requests_total | grep -c 'status="200"'
        curl -s "$SANDBOX_API_URL/metrics" | grep "requests_total{.*${TENANT_ID}.*}" | wc -l
        curl -s "$SANDBOX_API_URL/metrics" | grep -E "circuit_breaker|connection_failures" | grep -vc '^#'
        curl -s "$SANDBOX_API_URL/metrics" | grep -E "^(mcp_|http_|db_)" | grep -c '^db_'
        curl -s "$SANDBOX_API_URL/metrics" | grep "version"
    "#;
    let output = succeeded(&sandbox.bash(script).output().expect("bash runs"));
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[0], "1", "GET 200 counted once: {output}");
    assert_eq!(
        lines[1], "3",
        "one requests_total line per status: {output}"
    );
    assert_eq!(lines[2], "2");
    assert_eq!(lines[3], "2");
    assert!(
        lines[4].starts_with("muninn_build_info{version=\"0.1.0\""),
        "{output}"
    );
}

#[test]
fn mcp_json_rpc_lists_tools_and_rejects_unknown_methods() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = api();
    let url = format!("{}/mcp", api.base_url());

    let listed = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        AUTH,
        "-d",
        r#"{"jsonrpc":"2.0","method":"tools/list","id":1}"#,
    ]);
    assert_eq!(listed.status, 200);
    assert_eq!(jq(&[".id"], &listed.body), "1");
    assert_eq!(
        jq(
            &["-r", "[.result.tools[].name] | join(\",\")"],
            &listed.body
        ),
        "remember,recall,forget,list_memories"
    );
    assert_eq!(
        jq(&["-r", ".result.tools[0].inputSchema.type"], &listed.body),
        "object"
    );

    let unknown = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        AUTH,
        "-d",
        r#"{"jsonrpc":"2.0","method":"tools/destroy","id":"x"}"#,
    ]);
    assert_eq!(unknown.status, 200);
    assert_eq!(jq(&[".error.code"], &unknown.body), "-32601");
    assert_eq!(jq(&["-r", ".id"], &unknown.body), "x");

    let garbage = curl(&["-X", "POST", &url, "-H", AUTH, "-d", "{not json"]);
    assert_eq!(garbage.status, 400);
    assert_eq!(jq(&[".error.code"], &garbage.body), "-32700");

    let missing_version = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        AUTH,
        "-d",
        r#"{"method":"ping","id":2}"#,
    ]);
    assert_eq!(jq(&[".error.code"], &missing_version.body), "-32600");

    let called = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        AUTH,
        "-d",
        r#"{"jsonrpc":"2.0","method":"tools/call","id":3,"params":{"name":"recall","arguments":{"query":"deploy"}}}"#,
    ]);
    assert_eq!(
        jq(&["-r", ".result.content[0].text"], &called.body),
        "No memories matched \"deploy\"."
    );

    let initialized = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        AUTH,
        "-d",
        r#"{"jsonrpc":"2.0","method":"initialize","id":4,"params":{}}"#,
    ]);
    assert!(
        initialized.headers.contains("Mcp-Session-Id: mcp-session-"),
        "{}",
        initialized.headers
    );
    let health = curl(&[&format!("{}/health", api.base_url())]);
    assert_eq!(jq(&[".checks.mcpSessions"], &health.body), "6");

    let deleted = curl(&["-X", "DELETE", &url, "-H", AUTH]);
    assert_eq!(deleted.status, 200);
    assert_eq!(jq(&[".activeSessions"], &deleted.body), "5");

    let metrics = curl(&[&format!("{}/metrics", api.base_url())]);
    assert!(
        metrics
            .body
            .contains("mcp_requests_total{method=\"tools/list\",status=\"ok\"} 1"),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains("mcp_requests_total{method=\"tools/destroy\",status=\"error\"} 1")
    );
}

#[test]
fn authenticated_endpoints_need_an_authorization_header() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = FakeApi::start(FakeApiConfig {
        bearer_token: Some("right-token".into()),
        ..FakeApiConfig::default()
    });
    let base = api.base_url();
    for (method, path) in [
        ("POST", "/mcp"),
        ("DELETE", "/mcp"),
        ("GET", "/api/tenants"),
        ("GET", "/api/tenants/tenant-acme"),
        ("PATCH", "/api/tenants/tenant-acme"),
        ("GET", "/api/tenants/tenant-acme/rate-limit"),
        ("POST", "/"),
        ("POST", "/dump"),
        ("POST", "/restore"),
    ] {
        let url = format!("{base}{path}");
        let anonymous = curl(&["-X", method, &url]);
        assert_eq!(anonymous.status, 401, "{method} {path} without auth");
        assert_eq!(
            jq(&["-r", ".message"], &anonymous.body),
            "Missing Authorization header"
        );
        assert!(anonymous.headers.contains("WWW-Authenticate: Bearer"));
        let wrong = curl(&["-X", method, &url, "-H", "Authorization: Bearer wrong"]);
        assert_eq!(wrong.status, 401, "{method} {path} with a wrong token");
        let empty = curl(&["-X", method, &url, "-H", "Authorization: Bearer "]);
        assert_eq!(empty.status, 401, "{method} {path} with an empty token");
    }
    let allowed = curl(&[
        &format!("{base}/api/tenants"),
        "-H",
        "Authorization: Bearer right-token",
    ]);
    assert_eq!(allowed.status, 200);

    let recorded = api.requests();
    assert!(recorded.iter().any(|request| request.path == "/api/tenants"
        && request.has_auth
        && request.status == 200));
    assert!(
        recorded
            .iter()
            .any(|request| request.path == "/mcp" && !request.has_auth && request.status == 401)
    );
}

#[test]
fn tenants_can_be_read_patched_and_rate_limited() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = api();
    let base = api.base_url();

    let listed = curl(&[&format!("{base}/api/tenants"), "-H", AUTH]);
    assert_eq!(
        jq(&["-r", "[.tenants[].id] | join(\" \")"], &listed.body),
        "tenant-acme tenant-globex tenant-initech"
    );

    let tenant = curl(&[&format!("{base}/api/tenants/tenant-initech"), "-H", AUTH]);
    assert_eq!(
        jq(&["-c", ".plan, .quotas"], &tenant.body),
        "\"free\"\n{\"maxApiKeys\":2,\"maxConnections\":5,\"requestsPerMinute\":60}"
    );

    let limit = curl(&[
        &format!("{base}/api/tenants/tenant-initech/rate-limit"),
        "-H",
        AUTH,
    ]);
    assert_eq!(
        jq(
            &["-c", "[.limit, .used, .remaining, .throttled]"],
            &limit.body
        ),
        "[60,60,0,true]"
    );

    let patched = curl(&[
        "-s",
        "-X",
        "PATCH",
        &format!("{base}/api/tenants/tenant-initech"),
        "-H",
        AUTH,
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"plan":"pro"}"#,
    ]);
    assert_eq!(patched.status, 200);
    assert_eq!(jq(&["-r", ".plan"], &patched.body), "pro");
    let limit = curl(&[
        &format!("{base}/api/tenants/tenant-initech/rate-limit"),
        "-H",
        AUTH,
    ]);
    assert_eq!(
        jq(&["-c", "[.limit, .remaining, .throttled]"], &limit.body),
        "[300,240,false]"
    );

    let invalid = curl(&[
        "-X",
        "PATCH",
        &format!("{base}/api/tenants/tenant-initech"),
        "-H",
        AUTH,
        "-d",
        r#"{"plan":"platinum"}"#,
    ]);
    assert_eq!(invalid.status, 400);
    let unknown_field = curl(&[
        "-X",
        "PATCH",
        &format!("{base}/api/tenants/tenant-initech"),
        "-H",
        AUTH,
        "-d",
        r#"{"plan":"team","color":"red"}"#,
    ]);
    assert_eq!(unknown_field.status, 400);
    let unchanged = curl(&[&format!("{base}/api/tenants/tenant-initech"), "-H", AUTH]);
    assert_eq!(
        jq(&["-r", ".plan"], &unchanged.body),
        "pro",
        "a rejected PATCH changes nothing"
    );

    let missing = curl(&[&format!("{base}/api/tenants/tenant-nobody"), "-H", AUTH]);
    assert_eq!(missing.status, 404);

    let audit = curl(&[
        "-X",
        "POST",
        &base,
        "-H",
        AUTH,
        "-d",
        "SELECT detail FROM audit_log WHERE action = 'plan.changed' AND tenant_id = 'tenant-initech'",
    ]);
    assert_eq!(jq(&["-r", ".rows[0][0]"], &audit.body), "free -> pro");
}

#[test]
fn sql_endpoint_dump_and_restore_chain_like_the_backup_scripts() {
    if !tools_available(&["curl", "jq", "bash"]) {
        return;
    }
    let sandbox = Sandbox::new().expect("sandbox starts");
    // Seed 000's tenant backup and restore, end to end.
    let script = r#"
        set -euo pipefail
        MGMT_DB_URL="$SANDBOX_API_URL"
        MGMT_DB_TOKEN=mgmt-token
        DB_URL=$(curl -s "${MGMT_DB_URL}" \
          -H "Authorization: Bearer ${MGMT_DB_TOKEN}" \
          -X POST \
          -d "SELECT db_url FROM tenants WHERE id = ?" \
          | jq -r '.rows[0][0]')
        echo "url=$DB_URL"
        BACKUP_FILE="$HOME/.claude/backups/tenants/tenant-acme.db"
        mkdir -p "$(dirname "$BACKUP_FILE")"
        curl -s -X POST "${DB_URL}/dump" -H "Authorization: Bearer t" > "$BACKUP_FILE"
        head -n 2 "$BACKUP_FILE"
        curl -s -X POST "${DB_URL}/restore" \
          -H "Authorization: Bearer t" \
          -H "Content-Type: application/octet-stream" \
          --data-binary @"$BACKUP_FILE" | jq -c '[.restored, .format, (.statements > 5)]'
        curl -s "${MGMT_DB_URL}" -H "Authorization: Bearer t" -X POST \
          -d "SELECT name FROM sqlite_master WHERE type='table'" | jq -r '.rows | length'
        curl -s "${MGMT_DB_URL}" -H "Authorization: Bearer t" -X POST \
          -d "SELECT COUNT(*) as tenant_count FROM tenants" | jq -c '{columns, rows}'
        curl -s -X POST "${MGMT_DB_URL}" -H "Authorization: Bearer t" \
          -d "SELECT * FROM sqlite_stat WHERE name = 'db'" | jq -r .error
    "#;
    let output = succeeded(&sandbox.bash(script).output().expect("bash runs"));
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[0], format!("url={}", sandbox.api().base_url()));
    assert_eq!(lines[1], "PRAGMA foreign_keys=OFF;");
    assert_eq!(lines[2], "BEGIN TRANSACTION;");
    assert_eq!(lines[3], r#"[true,"sql",true]"#);
    assert_eq!(lines[4], "6");
    assert_eq!(lines[5], r#"{"columns":["tenant_count"],"rows":[[3]]}"#);
    assert_eq!(lines[6], "SQLITE_ERROR: no such table: sqlite_stat");
    assert!(
        sandbox
            .home()
            .join(".claude/backups/tenants/tenant-acme.db")
            .is_file()
    );

    let restore = sandbox
        .api()
        .requests()
        .into_iter()
        .find(|request| request.path == "/restore")
        .expect("restore recorded");
    assert!(restore.body_text().starts_with("PRAGMA foreign_keys=OFF;"));
    assert_eq!(
        restore.header("content-type"),
        Some("application/octet-stream")
    );
}

#[test]
fn tenant_db_url_is_configurable() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = FakeApi::start(FakeApiConfig {
        tenant_db_url: Some("libsql://tenant-db.local".into()),
        ..FakeApiConfig::default()
    });
    let answer = curl(&[
        "-X",
        "POST",
        &api.base_url(),
        "-H",
        AUTH,
        "-d",
        "SELECT db_url FROM tenants WHERE id = ?",
    ]);
    assert_eq!(
        jq(&["-r", ".rows[0][0]"], &answer.body),
        "libsql://tenant-db.local"
    );
}

#[test]
fn oauth_discovery_and_client_credentials() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = api();
    let base = api.base_url();
    let metadata = curl(&[&format!("{base}/.well-known/oauth-authorization-server")]);
    assert_eq!(metadata.status, 200);
    assert_eq!(jq(&["-r", ".issuer"], &metadata.body), base);
    assert_eq!(
        jq(&["-r", ".token_endpoint"], &metadata.body),
        format!("{base}/auth/token")
    );
    let via_localhost = curl(&[&format!(
        "http://localhost:{}/.well-known/oauth-authorization-server",
        api.port()
    )]);
    assert_eq!(
        jq(&["-r", ".issuer"], &via_localhost.body),
        format!("http://localhost:{}", api.port())
    );

    let token_url = format!("{base}/auth/token");
    let form = "Content-Type: application/x-www-form-urlencoded";
    let issued = curl(&[
        "-X",
        "POST",
        &token_url,
        "-H",
        form,
        "-d",
        "grant_type=client_credentials&client_id=cli&client_secret=s%26cret",
    ]);
    assert_eq!(issued.status, 200);
    assert_eq!(jq(&["-r", ".token_type"], &issued.body), "Bearer");
    assert!(jq(&["-r", ".access_token"], &issued.body).starts_with("mct_"));

    let no_secret = curl(&[
        "-X",
        "POST",
        &token_url,
        "-H",
        form,
        "-d",
        "grant_type=client_credentials&client_id=cli&client_secret=",
    ]);
    assert_eq!(no_secret.status, 401);
    assert_eq!(jq(&["-r", ".error"], &no_secret.body), "invalid_client");
    let bad_grant = curl(&[
        "-X",
        "POST",
        &token_url,
        "-H",
        form,
        "-d",
        "grant_type=password",
    ]);
    assert_eq!(
        jq(&["-r", ".error"], &bad_grant.body),
        "unsupported_grant_type"
    );
    let json_body = curl(&[
        "-X",
        "POST",
        &token_url,
        "-H",
        "Content-Type: application/json",
        "-d",
        "{}",
    ]);
    assert_eq!(json_body.status, 400);
}

#[test]
fn stripe_webhook_checks_the_signature_header() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = api();
    let url = format!("{}/webhooks/stripe", api.base_url());
    let event = r#"{"id":"evt_test","type":"charge.succeeded","data":{"object":{"id":"ch_test","metadata":{"tenantId":"tenant-acme"}}}}"#;

    let unsigned = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        "Content-Type: application/json",
        "-d",
        event,
    ]);
    assert_eq!(unsigned.status, 400);
    // Seed 001 with ${TIMESTAMP} and ${SIGNATURE} unset.
    let empty = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        "Stripe-Signature: t=,v1=",
        "-d",
        event,
    ]);
    assert_eq!(empty.status, 400);
    assert_eq!(
        jq(&["-r", ".error"], &empty.body),
        "Webhook signature verification failed"
    );

    let signed = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        "Stripe-Signature: t=1730800000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
        "-d",
        event,
    ]);
    assert_eq!(signed.status, 200);
    assert_eq!(
        jq(&["-c", "[.received, .type]"], &signed.body),
        r#"[true,"charge.succeeded"]"#
    );

    let audit = curl(&[
        "-X",
        "POST",
        &api.base_url(),
        "-H",
        AUTH,
        "-d",
        "SELECT detail FROM audit_log WHERE action LIKE '%webhook%' ORDER BY id DESC LIMIT 1",
    ]);
    assert_eq!(
        jq(&["-r", ".rows[0][0]"], &audit.body),
        "charge.succeeded evt_test"
    );
    let metrics = curl(&[&format!("{}/metrics", api.base_url())]);
    assert!(
        metrics
            .body
            .contains("stripe_webhooks_total{event=\"charge.succeeded\"} 1")
    );
}

#[test]
fn prometheus_grafana_and_gitea_endpoints() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = api();
    let base = api.base_url();
    let targets = curl(&[&format!("{base}/api/v1/targets")]);
    assert_eq!(
        jq(
            &[
                "-r",
                r#".data.activeTargets[] | select(.labels.job=="cadvisor") | .health"#
            ],
            &targets.body
        ),
        "up"
    );
    let grafana = curl(&[&format!("{base}/api/health")]);
    assert_eq!(jq(&["-r", ".database"], &grafana.body), "ok");
    let gitea = curl(&[&format!("{base}/api/healthz")]);
    assert_eq!(jq(&["-r", ".status"], &gitea.body), "pass");
    assert!(gitea.headers.contains("application/health+json"));

    api.set_health(Health::Degraded);
    let targets = curl(&[&format!("{base}/api/v1/targets")]);
    assert_eq!(
        jq(
            &[
                "-r",
                r#".data.activeTargets[] | select(.labels.job=="muninn-cloud") | .health"#
            ],
            &targets.body
        ),
        "down"
    );
    assert_eq!(curl(&[&format!("{base}/api/health")]).status, 503);
    assert_eq!(curl(&[&format!("{base}/api/healthz")]).status, 500);
}

#[test]
fn unknown_paths_wrong_methods_and_head_requests() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = api();
    let base = api.base_url();
    let missing = curl(&[&format!("{base}/no/such/thing?x=1")]);
    assert_eq!(missing.status, 404);
    assert_eq!(jq(&["-r", ".path"], &missing.body), "/no/such/thing");

    let wrong_method = curl(&["-X", "DELETE", &format!("{base}/health")]);
    assert_eq!(wrong_method.status, 405);
    assert!(
        wrong_method.headers.contains("Allow: GET, HEAD"),
        "{}",
        wrong_method.headers
    );

    let head = curl(&["-I", &format!("{base}/health")]);
    assert_eq!(head.status, 200);
    assert!(
        head.body.contains("Content-Type: application/json"),
        "{}",
        head.body
    );
    assert!(
        !head.body.contains("\"status\""),
        "HEAD has no body: {}",
        head.body
    );

    let recorded = api.requests();
    assert_eq!(recorded[0].query.as_deref(), Some("x=1"));
    assert_eq!(recorded[0].status, 404);
    assert_eq!(recorded[2].method, "HEAD");
}
