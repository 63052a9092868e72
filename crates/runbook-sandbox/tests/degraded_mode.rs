//! Switching the fake deployment between healthy and degraded.

mod common;

use common::{curl, jq, succeeded, tools_available};
use runbook_sandbox::{FakeApi, FakeApiConfig, Health, Sandbox};

const AUTH: &str = "Authorization: Bearer t";

#[test]
fn degraded_health_matches_seed_000_and_recovers() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = FakeApi::start(FakeApiConfig::default());
    let base = api.base_url();
    api.set_health(Health::Degraded);
    assert_eq!(api.health(), Health::Degraded);

    let health = curl(&[&format!("{base}/health")]);
    assert_eq!(health.status, 503);
    assert_eq!(jq(&["-r", ".status"], &health.body), "degraded");
    assert_eq!(jq(&["-r", ".checks.managementDb"], &health.body), "error");
    assert_eq!(
        jq(&["-c", ".checks.pool"], &health.body),
        r#"{"size":2,"available":0}"#
    );

    let ready = curl(&[&format!("{base}/ready")]);
    assert_eq!(ready.status, 503);
    assert_eq!(jq(&["-c", "."], &ready.body), r#"{"ready":false}"#);

    let mcp = curl(&[
        "-X",
        "POST",
        &format!("{base}/mcp"),
        "-H",
        AUTH,
        "-d",
        r#"{"jsonrpc":"2.0","method":"tools/list","id":1}"#,
    ]);
    assert_eq!(mcp.status, 503);
    assert!(jq(&["-r", ".error.message"], &mcp.body).contains("database unavailable"));
    let sql = curl(&[
        "-X",
        "POST",
        &base,
        "-H",
        AUTH,
        "-d",
        "SELECT COUNT(*) FROM tenants",
    ]);
    assert_eq!(sql.status, 503);
    assert_eq!(
        curl(&[&format!("{base}/api/tenants"), "-H", AUTH]).status,
        503
    );

    let metrics = curl(&[&format!("{base}/metrics")]);
    for expected in [
        "db_pool_available 0",
        "circuit_breaker_state{breaker=\"managementDb\"} 2",
        "connection_failures_total{target=\"managementDb\"} 3",
        "health_checks{check=\"managementDb\"} 0",
        "http_requests_total{method=\"GET\",status=\"503\"} 3",
    ] {
        assert!(
            metrics.body.lines().any(|line| line == expected),
            "missing {expected:?} in\n{}",
            metrics.body
        );
    }

    api.set_health(Health::Ok);
    let health = curl(&[&format!("{base}/health")]);
    assert_eq!(health.status, 200);
    assert_eq!(jq(&["-r", ".status"], &health.body), "ok");
    assert_eq!(
        curl(&["-X", "POST", &base, "-H", AUTH, "-d", "SELECT 1"]).status,
        200
    );
}

#[test]
fn control_endpoint_switches_health_and_is_not_recorded() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = FakeApi::start(FakeApiConfig {
        health: Health::Degraded,
        ..FakeApiConfig::default()
    });
    let control = format!("{}/__control/health", api.base_url());
    assert_eq!(jq(&["-r", ".health"], &curl(&[&control]).body), "degraded");
    let switched = curl(&["-X", "POST", &control, "-d", "ok"]);
    assert_eq!(switched.status, 200);
    assert_eq!(api.health(), Health::Ok);
    let rejected = curl(&["-X", "POST", &control, "-d", "sideways"]);
    assert_eq!(rejected.status, 400);
    assert!(jq(&["-r", ".error"], &rejected.body).contains("sideways"));
    assert_eq!(api.health(), Health::Ok);
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}

#[test]
fn compose_logs_show_database_errors_while_degraded() {
    if !tools_available(&["curl", "bash"]) {
        return;
    }
    let sandbox = Sandbox::new().expect("sandbox starts");
    let grep = r#"docker-compose logs api | grep -i "management\|database\|turso" | grep -c ECONNREFUSED || true"#;
    let healthy = succeeded(&sandbox.bash(grep).output().expect("bash runs"));
    assert_eq!(healthy.trim(), "0");
    sandbox.api().set_health(Health::Degraded);
    let degraded = succeeded(&sandbox.bash(grep).output().expect("bash runs"));
    assert_eq!(degraded.trim(), "1");
}
