//! The fictional Muninn Cloud deployment the fake API serves: tenants, audit
//! log and management-database schema, shaped after the seed runbooks.

use serde_json::{Value, json};

/// Billing plan; limits follow `src/api/rate-limit.ts` and `TENANT_LIMITS` in seed 000/001.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    Free,
    Pro,
    Team,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Pro => "pro",
            Self::Team => "team",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "free" => Some(Self::Free),
            "pro" => Some(Self::Pro),
            "team" => Some(Self::Team),
            _ => None,
        }
    }

    pub fn requests_per_minute(self) -> u32 {
        match self {
            Self::Free => 60,
            Self::Pro => 300,
            Self::Team => 1000,
        }
    }

    pub fn max_connections(self) -> u32 {
        match self {
            Self::Free => 5,
            Self::Pro => 20,
            Self::Team => 50,
        }
    }

    pub fn max_api_keys(self) -> u32 {
        match self {
            Self::Free => 2,
            Self::Pro => 10,
            Self::Team => 50,
        }
    }
}

/// One tenant row of the management database.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub id: String,
    pub org_name: String,
    pub plan: Plan,
    pub status: String,
    pub db_url: String,
    pub api_keys_count: u32,
    pub rate_limit_override: Option<u32>,
    pub created_at: String,
    /// Requests counted in the current one-minute rate-limit window.
    pub requests_in_window: u32,
    /// Lifetime request counts by HTTP status, exported as `requests_total`.
    pub requests_by_status: Vec<(u16, u64)>,
}

impl Tenant {
    pub fn rate_limit(&self) -> u32 {
        self.rate_limit_override
            .unwrap_or_else(|| self.plan.requests_per_minute())
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "orgName": self.org_name,
            "plan": self.plan.as_str(),
            "status": self.status,
            "dbUrl": self.db_url,
            "apiKeysCount": self.api_keys_count,
            "rateLimitOverride": self.rate_limit_override,
            "quotas": {
                "requestsPerMinute": self.rate_limit(),
                "maxConnections": self.plan.max_connections(),
                "maxApiKeys": self.plan.max_api_keys(),
            },
            "createdAt": self.created_at,
        })
    }
}

/// The three tenants every sandbox starts with; `db_url` is where their database lives.
pub(crate) fn initial_tenants(db_url: &str) -> Vec<Tenant> {
    let tenant = |id: &str,
                  org_name: &str,
                  plan,
                  api_keys_count,
                  created_at: &str,
                  requests_in_window,
                  requests_by_status: &[(u16, u64)]| Tenant {
        id: id.to_owned(),
        org_name: org_name.to_owned(),
        plan,
        status: "active".to_owned(),
        db_url: db_url.to_owned(),
        api_keys_count,
        rate_limit_override: None,
        created_at: created_at.to_owned(),
        requests_in_window,
        requests_by_status: requests_by_status.to_vec(),
    };
    vec![
        tenant(
            "tenant-acme",
            "Acme Corp",
            Plan::Pro,
            4,
            "2025-03-14T09:12:00Z",
            118,
            &[(200, 15_234), (429, 0), (500, 2)],
        ),
        tenant(
            "tenant-globex",
            "Globex Inc",
            Plan::Team,
            12,
            "2025-05-02T16:40:31Z",
            402,
            &[(200, 48_211), (429, 0), (500, 3)],
        ),
        // The free tenant has used its whole window: the "quota exceeded" scenario of seed 001.
        tenant(
            "tenant-initech",
            "Initech",
            Plan::Free,
            1,
            "2025-09-21T11:05:09Z",
            60,
            &[(200, 2_207), (429, 341), (500, 0)],
        ),
    ]
}

/// One `audit_log` row.
#[derive(Debug, Clone)]
pub(crate) struct AuditEntry {
    pub id: u64,
    pub tenant_id: String,
    pub action: String,
    pub detail: String,
    pub created_at: String,
}

pub(crate) fn initial_audit_log() -> Vec<AuditEntry> {
    [
        (
            "tenant-acme",
            "api_key.created",
            "key mk_live_…a1f3 created by owner@acme.example",
            "2025-11-04T08:01:12Z",
        ),
        (
            "tenant-globex",
            "webhook",
            "customer.subscription.updated evt_1QbQm2Lk",
            "2025-11-04T09:15:40Z",
        ),
        (
            "tenant-initech",
            "rate_limit.exceeded",
            "60 requests/minute on plan free",
            "2025-11-04T10:02:03Z",
        ),
        (
            "tenant-acme",
            "webhook",
            "invoice.paid evt_1QbRa9Lk",
            "2025-11-04T11:30:00Z",
        ),
        (
            "tenant-globex",
            "plan.changed",
            "pro -> team",
            "2025-11-04T12:00:17Z",
        ),
        (
            "tenant-initech",
            "webhook",
            "charge.failed evt_1QbSx4Lk",
            "2025-11-04T13:45:51Z",
        ),
        (
            "tenant-acme",
            "login",
            "owner@acme.example via oauth",
            "2025-11-05T07:59:02Z",
        ),
    ]
    .into_iter()
    .enumerate()
    .map(
        |(index, (tenant_id, action, detail, created_at))| AuditEntry {
            id: index as u64 + 1,
            tenant_id: tenant_id.to_owned(),
            action: action.to_owned(),
            detail: detail.to_owned(),
            created_at: created_at.to_owned(),
        },
    )
    .collect()
}

/// A table of the fake management database, materialised for one query.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub name: &'static str,
    pub create_sql: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
}

const TENANTS_SQL: &str = "CREATE TABLE tenants (id TEXT PRIMARY KEY, org_name TEXT NOT NULL, plan TEXT NOT NULL DEFAULT 'free', status TEXT NOT NULL DEFAULT 'active', db_url TEXT NOT NULL, api_keys_count INTEGER NOT NULL DEFAULT 0, rate_limit_override INTEGER, created_at TEXT NOT NULL)";
const AUDIT_LOG_SQL: &str = "CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL REFERENCES tenants(id), action TEXT NOT NULL, detail TEXT, created_at TEXT NOT NULL)";
const API_KEYS_SQL: &str = "CREATE TABLE api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), key_hash TEXT NOT NULL, name TEXT, created_at TEXT NOT NULL, revoked_at TEXT)";
const USERS_SQL: &str = "CREATE TABLE users (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), email TEXT NOT NULL, role TEXT NOT NULL DEFAULT 'member', created_at TEXT NOT NULL)";
const RATE_LIMITS_SQL: &str = "CREATE TABLE rate_limits (tenant_id TEXT PRIMARY KEY REFERENCES tenants(id), window_start TEXT NOT NULL, request_count INTEGER NOT NULL DEFAULT 0)";
const SSO_CONFIGS_SQL: &str = "CREATE TABLE sso_configs (tenant_id TEXT PRIMARY KEY REFERENCES tenants(id), provider TEXT NOT NULL, issuer TEXT NOT NULL, client_id TEXT NOT NULL, client_secret_enc TEXT NOT NULL)";

/// Materialises every table from the live tenant and audit state.
pub(crate) fn management_tables(tenants: &[Tenant], audit_log: &[AuditEntry]) -> Vec<Table> {
    let tenant_rows = tenants
        .iter()
        .map(|tenant| {
            vec![
                json!(tenant.id),
                json!(tenant.org_name),
                json!(tenant.plan.as_str()),
                json!(tenant.status),
                json!(tenant.db_url),
                json!(tenant.api_keys_count),
                json!(tenant.rate_limit_override),
                json!(tenant.created_at),
            ]
        })
        .collect();
    let audit_rows = audit_log
        .iter()
        .map(|entry| {
            vec![
                json!(entry.id),
                json!(entry.tenant_id),
                json!(entry.action),
                json!(entry.detail),
                json!(entry.created_at),
            ]
        })
        .collect();
    let rate_limit_rows = tenants
        .iter()
        .map(|tenant| {
            vec![
                json!(tenant.id),
                json!("2025-11-05T10:00:00Z"),
                json!(tenant.requests_in_window),
            ]
        })
        .collect();
    let mut tables = vec![
        Table {
            name: "tenants",
            create_sql: TENANTS_SQL,
            columns: vec![
                "id",
                "org_name",
                "plan",
                "status",
                "db_url",
                "api_keys_count",
                "rate_limit_override",
                "created_at",
            ],
            rows: tenant_rows,
        },
        Table {
            name: "audit_log",
            create_sql: AUDIT_LOG_SQL,
            columns: vec!["id", "tenant_id", "action", "detail", "created_at"],
            rows: audit_rows,
        },
        Table {
            name: "api_keys",
            create_sql: API_KEYS_SQL,
            columns: vec![
                "id",
                "tenant_id",
                "key_hash",
                "name",
                "created_at",
                "revoked_at",
            ],
            rows: Vec::new(),
        },
        Table {
            name: "users",
            create_sql: USERS_SQL,
            columns: vec!["id", "tenant_id", "email", "role", "created_at"],
            rows: Vec::new(),
        },
        Table {
            name: "rate_limits",
            create_sql: RATE_LIMITS_SQL,
            columns: vec!["tenant_id", "window_start", "request_count"],
            rows: rate_limit_rows,
        },
        Table {
            name: "sso_configs",
            create_sql: SSO_CONFIGS_SQL,
            columns: vec![
                "tenant_id",
                "provider",
                "issuer",
                "client_id",
                "client_secret_enc",
            ],
            rows: Vec::new(),
        },
    ];
    let master_rows = tables
        .iter()
        .map(|table| {
            vec![
                json!("table"),
                json!(table.name),
                json!(table.name),
                json!(table.create_sql),
            ]
        })
        .collect();
    tables.push(Table {
        name: "sqlite_master",
        create_sql: "",
        columns: vec!["type", "name", "tbl_name", "sql"],
        rows: master_rows,
    });
    tables
}

/// `sqlite3 .dump`-style SQL text of the user tables.
pub(crate) fn dump_sql(tables: &[Table]) -> String {
    let mut dump = String::from("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
    for table in tables.iter().filter(|table| !table.create_sql.is_empty()) {
        dump.push_str(table.create_sql);
        dump.push_str(";\n");
        for row in &table.rows {
            let values: Vec<String> = row.iter().map(sql_literal).collect();
            dump.push_str(&format!(
                "INSERT INTO {} VALUES({});\n",
                table.name,
                values.join(",")
            ));
        }
    }
    dump.push_str("COMMIT;\n");
    dump
}

fn sql_literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::String(text) => format!("'{}'", text.replace('\'', "''")),
        other => other.to_string(),
    }
}
