//! Prometheus text exposition of the fake deployment's state.

use std::fmt::Write as _;

use crate::api_state::{ApiState, LATENCY_BUCKETS};
use crate::health::Health;

pub(crate) const POOL_SIZE: u64 = 2;

/// Connections free in the pool: one when healthy, none when degraded (seed 000).
pub(crate) fn pool_available(health: Health) -> u64 {
    match health {
        Health::Ok => 1,
        Health::Degraded => 0,
    }
}

pub(crate) fn render(state: &ApiState, uptime_seconds: u64, version: &str) -> String {
    let mut out = String::new();
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = render_into(&mut out, state, uptime_seconds, version);
    out
}

fn render_into(
    out: &mut String,
    state: &ApiState,
    uptime_seconds: u64,
    version: &str,
) -> std::fmt::Result {
    let degraded = state.health == Health::Degraded;

    writeln!(
        out,
        "# HELP http_requests_total Total HTTP requests by method and status code."
    )?;
    writeln!(out, "# TYPE http_requests_total counter")?;
    for ((method, status), stats) in &state.http_stats {
        writeln!(
            out,
            "http_requests_total{{method=\"{method}\",status=\"{status}\"}} {}",
            stats.count
        )?;
    }

    writeln!(
        out,
        "# HELP http_request_duration_seconds HTTP request latency in seconds."
    )?;
    writeln!(out, "# TYPE http_request_duration_seconds histogram")?;
    for ((method, status), stats) in &state.http_stats {
        let labels = format!("method=\"{method}\",status=\"{status}\"");
        let mut cumulative = 0;
        for (bound, count) in LATENCY_BUCKETS.iter().zip(stats.bucket_counts) {
            cumulative += count;
            writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
            )?;
        }
        writeln!(
            out,
            "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            stats.count
        )?;
        writeln!(
            out,
            "http_request_duration_seconds_sum{{{labels}}} {:.6}",
            stats.sum_seconds
        )?;
        writeln!(
            out,
            "http_request_duration_seconds_count{{{labels}}} {}",
            stats.count
        )?;
    }

    writeln!(
        out,
        "# HELP mcp_requests_total MCP JSON-RPC requests by method and outcome."
    )?;
    writeln!(out, "# TYPE mcp_requests_total counter")?;
    for ((method, status), count) in &state.mcp_requests {
        writeln!(
            out,
            "mcp_requests_total{{method=\"{method}\",status=\"{status}\"}} {count}"
        )?;
    }

    writeln!(
        out,
        "# HELP stripe_webhooks_total Stripe webhook events processed."
    )?;
    writeln!(out, "# TYPE stripe_webhooks_total counter")?;
    for (event, count) in &state.stripe_webhooks {
        writeln!(out, "stripe_webhooks_total{{event=\"{event}\"}} {count}")?;
    }

    writeln!(out, "# HELP db_pool_size Current pool connections.")?;
    writeln!(out, "# TYPE db_pool_size gauge")?;
    writeln!(out, "db_pool_size {POOL_SIZE}")?;
    writeln!(
        out,
        "# HELP db_pool_available Available pool connections (not in use)."
    )?;
    writeln!(out, "# TYPE db_pool_available gauge")?;
    writeln!(out, "db_pool_available {}", pool_available(state.health))?;

    writeln!(
        out,
        "# HELP mcp_active_sessions Active MCP protocol sessions."
    )?;
    writeln!(out, "# TYPE mcp_active_sessions gauge")?;
    writeln!(out, "mcp_active_sessions {}", state.mcp_sessions)?;

    writeln!(
        out,
        "# HELP circuit_breaker_state Circuit breaker state (0 closed, 1 half-open, 2 open)."
    )?;
    writeln!(out, "# TYPE circuit_breaker_state gauge")?;
    writeln!(
        out,
        "circuit_breaker_state{{breaker=\"managementDb\"}} {}",
        if degraded { 2 } else { 0 }
    )?;
    writeln!(
        out,
        "# HELP connection_failures_total Failed connection attempts to databases."
    )?;
    writeln!(out, "# TYPE connection_failures_total counter")?;
    writeln!(
        out,
        "connection_failures_total{{target=\"managementDb\"}} {}",
        state.connection_failures
    )?;

    writeln!(
        out,
        "# HELP health_checks Result of each health check (1 ok, 0 failing)."
    )?;
    writeln!(out, "# TYPE health_checks gauge")?;
    writeln!(
        out,
        "health_checks{{check=\"managementDb\"}} {}",
        if degraded { 0 } else { 1 }
    )?;

    writeln!(
        out,
        "# HELP requests_total Requests per tenant by status code."
    )?;
    writeln!(out, "# TYPE requests_total counter")?;
    for tenant in &state.tenants {
        for (status, count) in &tenant.requests_by_status {
            writeln!(
                out,
                "requests_total{{tenant=\"{}\",plan=\"{}\",status=\"{status}\"}} {count}",
                tenant.id,
                tenant.plan.as_str()
            )?;
        }
    }
    writeln!(
        out,
        "# HELP rate_limit_remaining Requests left in the current rate-limit window."
    )?;
    writeln!(out, "# TYPE rate_limit_remaining gauge")?;
    for tenant in &state.tenants {
        writeln!(
            out,
            "rate_limit_remaining{{tenant=\"{}\"}} {}",
            tenant.id,
            tenant
                .rate_limit()
                .saturating_sub(tenant.requests_in_window)
        )?;
    }

    writeln!(out, "# HELP muninn_build_info Build information; always 1.")?;
    writeln!(out, "# TYPE muninn_build_info gauge")?;
    writeln!(
        out,
        "muninn_build_info{{version=\"{version}\",runtime=\"bun\",framework=\"hono\"}} 1"
    )?;
    writeln!(
        out,
        "# HELP process_uptime_seconds Seconds since the server started."
    )?;
    writeln!(out, "# TYPE process_uptime_seconds gauge")?;
    writeln!(out, "process_uptime_seconds {uptime_seconds}")
}
