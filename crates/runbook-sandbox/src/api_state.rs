use std::collections::BTreeMap;

use crate::clock::now_rfc3339;
use crate::fixtures::{
    AuditEntry, Table, Tenant, initial_audit_log, initial_tenants, management_tables,
};
use crate::health::Health;
use crate::recorded_request::RecordedRequest;

/// Upper bounds of the latency histogram buckets, as in seed 000 (5 ms to 10 s).
pub(crate) const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Sessions open when the sandbox starts, matching the seed's sample `/health` body.
const INITIAL_MCP_SESSIONS: u64 = 5;

/// Counts and latency histogram for one `{method, status}` pair.
#[derive(Debug, Clone, Default)]
pub(crate) struct LatencyStats {
    pub count: u64,
    pub sum_seconds: f64,
    /// Non-cumulative counts per bucket of `LATENCY_BUCKETS`; slower requests only reach `+Inf`.
    pub bucket_counts: [u64; LATENCY_BUCKETS.len()],
}

impl LatencyStats {
    fn observe(&mut self, seconds: f64) {
        self.count += 1;
        self.sum_seconds += seconds;
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.bucket_counts[bucket] += 1;
        }
    }
}

/// Everything the fake deployment remembers between requests.
#[derive(Debug)]
pub(crate) struct ApiState {
    pub health: Health,
    pub tenants: Vec<Tenant>,
    pub audit_log: Vec<AuditEntry>,
    pub mcp_sessions: u64,
    pub next_mcp_session: u64,
    pub issued_tokens: u64,
    pub connection_failures: u64,
    pub http_stats: BTreeMap<(String, u16), LatencyStats>,
    /// `mcp_requests_total` by JSON-RPC method and outcome (`ok` / `error`).
    pub mcp_requests: BTreeMap<(String, String), u64>,
    pub stripe_webhooks: BTreeMap<String, u64>,
    pub requests: Vec<RecordedRequest>,
}

impl ApiState {
    pub fn new(health: Health, tenant_db_url: &str) -> Self {
        Self {
            health,
            tenants: initial_tenants(tenant_db_url),
            audit_log: initial_audit_log(),
            mcp_sessions: INITIAL_MCP_SESSIONS,
            next_mcp_session: 1,
            issued_tokens: 0,
            connection_failures: 0,
            http_stats: BTreeMap::new(),
            mcp_requests: BTreeMap::new(),
            stripe_webhooks: BTreeMap::new(),
            requests: Vec::new(),
        }
    }

    pub fn tables(&self) -> Vec<Table> {
        management_tables(&self.tenants, &self.audit_log)
    }

    pub fn tenant_mut(&mut self, id: &str) -> Option<&mut Tenant> {
        self.tenants.iter_mut().find(|tenant| tenant.id == id)
    }

    pub fn append_audit(&mut self, tenant_id: &str, action: &str, detail: String) {
        let id = self.audit_log.last().map_or(1, |entry| entry.id + 1);
        self.audit_log.push(AuditEntry {
            id,
            tenant_id: tenant_id.to_owned(),
            action: action.to_owned(),
            detail,
            created_at: now_rfc3339(),
        });
    }

    /// Books a finished request into the metrics and the request history.
    pub fn record(&mut self, request: RecordedRequest, seconds: f64) {
        self.http_stats
            .entry((request.method.clone(), request.status))
            .or_default()
            .observe(seconds);
        if let Some(tenant_id) = request
            .path
            .strip_prefix("/api/tenants/")
            .and_then(|rest| rest.split('/').next())
            && let Some(tenant) = self.tenant_mut(tenant_id)
        {
            match tenant
                .requests_by_status
                .iter_mut()
                .find(|(status, _)| *status == request.status)
            {
                Some((_, count)) => *count += 1,
                None => tenant.requests_by_status.push((request.status, 1)),
            }
        }
        self.requests.push(request);
    }
}
