//! Request dispatch: turns one parsed request into the fake deployment's answer.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use crate::api_state::ApiState;
use crate::clock::{now_rfc3339, rfc3339_in, unix_seconds};
use crate::fixtures::{Plan, dump_sql};
use crate::health::Health;
use crate::http_request::HttpRequest;
use crate::http_response::HttpResponse;
use crate::metrics_text::{self, POOL_SIZE, pool_available};
use crate::route::Route;
use crate::{mcp_endpoint, oauth, sql_console, stripe_webhook};

pub(crate) struct ApiService {
    pub base_url: String,
    bearer_token: Option<String>,
    started: Instant,
    state: Mutex<ApiState>,
}

impl ApiService {
    pub fn new(
        base_url: String,
        bearer_token: Option<String>,
        tenant_db_url: &str,
        health: Health,
    ) -> Self {
        Self {
            base_url,
            bearer_token,
            started: Instant::now(),
            state: Mutex::new(ApiState::new(health, tenant_db_url)),
        }
    }

    /// The state survives a panicking connection thread: the data is still consistent
    /// because every handler finishes its mutation before it can fail.
    pub fn lock(&self) -> MutexGuard<'_, ApiState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers a request; the route is returned so callers can skip recording control traffic.
    pub fn respond(&self, request: &HttpRequest) -> (Option<Route>, HttpResponse) {
        let Some(route) = Route::resolve(&request.path) else {
            let response = HttpResponse::json(
                404,
                &json!({
                    "error": "Not Found",
                    "message": format!("No route for {} {}", request.method, request.path),
                    "path": request.path,
                }),
            );
            return (None, response);
        };
        let response = self.respond_to_route(&route, request);
        (Some(route), response)
    }

    fn respond_to_route(&self, route: &Route, request: &HttpRequest) -> HttpResponse {
        let method = request.method.as_str();
        if !route.methods().contains(&method) {
            let allowed = route.methods();
            return HttpResponse::json(
                405,
                &json!({
                    "error": "Method Not Allowed",
                    "message": format!("{method} is not allowed on {}", request.path),
                    "allowed": allowed,
                }),
            )
            .with_header("Allow", allowed.join(", "));
        }
        if route.requires_auth()
            && let Err(rejection) = self.authorize(request)
        {
            return rejection;
        }
        let mut state = self.lock();
        match route {
            Route::Health => self.health(&state),
            Route::Ready => match state.health {
                Health::Ok => HttpResponse::json(200, &json!({"ready": true})),
                Health::Degraded => HttpResponse::json(503, &json!({"ready": false})),
            },
            Route::Metrics => HttpResponse::text(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                metrics_text::render(
                    &state,
                    self.started.elapsed().as_secs(),
                    crate::fake_api::VERSION,
                ),
            ),
            Route::Mcp if method == "DELETE" => {
                mcp_endpoint::handle_delete(request.header("mcp-session-id"), &mut state)
            }
            Route::Mcp => mcp_endpoint::handle_post(&request.body, &mut state),
            Route::Tenants => with_database(&mut state, |state| {
                let tenants: Vec<Value> = state
                    .tenants
                    .iter()
                    .map(|tenant| tenant.to_json())
                    .collect();
                HttpResponse::json(200, &json!({"tenants": tenants, "total": tenants.len()}))
            }),
            Route::Tenant(id) if method == "PATCH" => {
                with_database(&mut state, |state| patch_tenant(state, id, &request.body))
            }
            Route::Tenant(id) => with_database(&mut state, |state| {
                match state.tenants.iter().find(|tenant| &tenant.id == id) {
                    Some(tenant) => HttpResponse::json(200, &tenant.to_json()),
                    None => tenant_not_found(id),
                }
            }),
            Route::TenantRateLimit(id) => with_database(&mut state, |state| rate_limit(state, id)),
            Route::SqlExecute => with_database(&mut state, |state| {
                let sql = String::from_utf8_lossy(&request.body);
                match sql_console::execute(&sql, &state.tables()) {
                    Ok(result) => HttpResponse::json(200, &result.to_json()),
                    Err(error) => HttpResponse::json(400, &json!({"error": error.0})),
                }
            }),
            Route::Dump => with_database(&mut state, |state| {
                HttpResponse::text(
                    200,
                    "application/sql; charset=utf-8",
                    dump_sql(&state.tables()),
                )
            }),
            Route::Restore => with_database(&mut state, |_| restore(&request.body)),
            Route::OAuthMetadata => HttpResponse::json(
                200,
                &oauth::authorization_server_metadata(&self.issuer(request)),
            ),
            Route::AuthToken => oauth::issue_token(request, &mut state),
            Route::StripeWebhook => stripe_webhook::handle(request, &mut state),
            Route::PrometheusTargets => HttpResponse::json(200, &prometheus_targets(state.health)),
            Route::GrafanaHealth => grafana_health(state.health),
            Route::GiteaHealthz => gitea_healthz(state.health),
            Route::ControlHealth if method == "POST" => {
                let text = String::from_utf8_lossy(&request.body);
                match text.parse::<Health>() {
                    Ok(health) => {
                        state.health = health;
                        HttpResponse::json(200, &json!({"health": health.as_str()}))
                    }
                    Err(error) => HttpResponse::json(400, &json!({"error": error.to_string()})),
                }
            }
            Route::ControlHealth => {
                HttpResponse::json(200, &json!({"health": state.health.as_str()}))
            }
        }
    }

    fn authorize(&self, request: &HttpRequest) -> Result<(), HttpResponse> {
        let reject = |message: &str| {
            HttpResponse::json(401, &json!({"error": "Unauthorized", "message": message}))
                .with_header("WWW-Authenticate", "Bearer realm=\"muninn\"")
        };
        let Some(value) = request.header("authorization") else {
            return Err(reject("Missing Authorization header"));
        };
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(reject("Unsupported authorization scheme; use Bearer"));
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(reject("Empty bearer token"));
        }
        match &self.bearer_token {
            Some(expected) if expected != token => Err(reject("Invalid bearer token")),
            _ => Ok(()),
        }
    }

    /// Base URL as the client addressed us, so discovery links work through `localhost` too.
    fn issuer(&self, request: &HttpRequest) -> String {
        match request.header("host") {
            Some(host)
                if !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)) =>
            {
                format!("http://{host}")
            }
            _ => self.base_url.clone(),
        }
    }

    fn health(&self, state: &ApiState) -> HttpResponse {
        let (status, database) = match state.health {
            Health::Ok => (200, "ok"),
            Health::Degraded => (503, "error"),
        };
        // A struct, not `json!`, so the keys keep the order of the seed's sample body.
        let body = HealthBody {
            status: state.health.as_str(),
            version: crate::fake_api::VERSION,
            uptime: self.started.elapsed().as_secs(),
            checks: HealthChecks {
                management_db: database,
                pool: PoolCheck {
                    size: POOL_SIZE,
                    available: pool_available(state.health),
                },
                mcp_sessions: state.mcp_sessions,
            },
        };
        HttpResponse::json(status, &body)
    }
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    version: &'static str,
    uptime: u64,
    checks: HealthChecks,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HealthChecks {
    management_db: &'static str,
    pool: PoolCheck,
    mcp_sessions: u64,
}

#[derive(Serialize)]
struct PoolCheck {
    size: u64,
    available: u64,
}

/// Runs a handler that needs the management database, failing like the real
/// service does while that database is unreachable.
fn with_database(
    state: &mut ApiState,
    handler: impl FnOnce(&mut ApiState) -> HttpResponse,
) -> HttpResponse {
    if state.health == Health::Degraded {
        state.connection_failures += 1;
        return HttpResponse::json(
            503,
            &json!({
                "error": "database unavailable",
                "message": "Cannot connect to management database",
            }),
        );
    }
    handler(state)
}

fn tenant_not_found(id: &str) -> HttpResponse {
    HttpResponse::json(
        404,
        &json!({"error": "Not Found", "message": format!("Tenant {id} not found")}),
    )
}

fn patch_tenant(state: &mut ApiState, id: &str, body: &[u8]) -> HttpResponse {
    let bad_request = |message: String| {
        HttpResponse::json(400, &json!({"error": "Bad Request", "message": message}))
    };
    let changes = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(changes)) => changes,
        Ok(_) => return bad_request("body must be a JSON object".into()),
        Err(error) => return bad_request(format!("body is not valid JSON: {error}")),
    };
    let Some(tenant) = state.tenant_mut(id) else {
        return tenant_not_found(id);
    };
    // Validate everything before changing anything, so a bad field leaves the tenant untouched.
    let mut updated = tenant.clone();
    for (field, value) in &changes {
        match (field.as_str(), value) {
            ("plan", Value::String(plan)) => match Plan::parse(plan) {
                Some(plan) => updated.plan = plan,
                None => {
                    return bad_request(format!("plan must be free, pro or team, not {plan:?}"));
                }
            },
            ("status", Value::String(status))
                if matches!(status.as_str(), "active" | "suspended") =>
            {
                updated.status = status.clone();
            }
            ("rateLimitOverride" | "rate_limit_override", Value::Null) => {
                updated.rate_limit_override = None;
            }
            ("rateLimitOverride" | "rate_limit_override", Value::Number(limit)) => {
                match limit.as_u64().and_then(|limit| u32::try_from(limit).ok()) {
                    Some(limit) => updated.rate_limit_override = Some(limit),
                    None => return bad_request(format!("{field} must be a non-negative integer")),
                }
            }
            ("orgName" | "org_name", Value::String(name)) if !name.trim().is_empty() => {
                updated.org_name = name.clone();
            }
            (
                "plan"
                | "status"
                | "rateLimitOverride"
                | "rate_limit_override"
                | "orgName"
                | "org_name",
                _,
            ) => {
                return bad_request(format!("invalid value for {field}: {value}"));
            }
            _ => return bad_request(format!("unknown field {field:?}")),
        }
    }
    let previous_plan = tenant.plan;
    *tenant = updated.clone();
    if previous_plan != updated.plan {
        state.append_audit(
            id,
            "plan.changed",
            format!("{} -> {}", previous_plan.as_str(), updated.plan.as_str()),
        );
    }
    HttpResponse::json(200, &updated.to_json())
}

fn rate_limit(state: &ApiState, id: &str) -> HttpResponse {
    let Some(tenant) = state.tenants.iter().find(|tenant| tenant.id == id) else {
        return tenant_not_found(id);
    };
    let limit = tenant.rate_limit();
    let remaining = limit.saturating_sub(tenant.requests_in_window);
    HttpResponse::json(
        200,
        &json!({
            "tenantId": tenant.id,
            "plan": tenant.plan.as_str(),
            "limit": limit,
            "windowSeconds": 60,
            "used": tenant.requests_in_window,
            "remaining": remaining,
            "throttled": remaining == 0,
            "resetAt": rfc3339_in(60 - unix_seconds().rem_euclid(60)),
        }),
    )
}

fn restore(body: &[u8]) -> HttpResponse {
    if body.is_empty() {
        return HttpResponse::json(
            400,
            &json!({"error": "Bad Request", "message": "restore payload is empty"}),
        );
    }
    let format = if body.starts_with(b"SQLite format 3\0") {
        "sqlite"
    } else {
        "sql"
    };
    let statements = String::from_utf8_lossy(body)
        .lines()
        .filter(|line| line.trim_end().ends_with(';'))
        .count();
    HttpResponse::json(
        200,
        &json!({"restored": true, "format": format, "bytes": body.len(), "statements": statements}),
    )
}

fn prometheus_targets(health: Health) -> Value {
    let now = now_rfc3339();
    let target = |job: &str, instance: &str, up: bool, error: &str| {
        json!({
            "discoveredLabels": {
                "__address__": instance,
                "__metrics_path__": "/metrics",
                "__scheme__": "http",
                "job": job,
            },
            "labels": {"instance": instance, "job": job},
            "scrapePool": job,
            "scrapeUrl": format!("http://{instance}/metrics"),
            "globalUrl": format!("http://{instance}/metrics"),
            "lastError": error,
            "lastScrape": now,
            "lastScrapeDuration": 0.012_873,
            "health": if up { "up" } else { "down" },
            "scrapeInterval": "15s",
            "scrapeTimeout": "10s",
        })
    };
    let api_up = health == Health::Ok;
    json!({
        "status": "success",
        "data": {
            "activeTargets": [
                target("prometheus", "localhost:9090", true, ""),
                target("cadvisor", "cadvisor:8080", true, ""),
                target("node-exporter", "node-exporter:9100", true, ""),
                target(
                    "muninn-cloud",
                    "api:3000",
                    api_up,
                    if api_up { "" } else { "server returned HTTP status 503 Service Unavailable" },
                ),
            ],
            "droppedTargets": [],
        },
    })
}

fn grafana_health(health: Health) -> HttpResponse {
    let (status, database) = match health {
        Health::Ok => (200, "ok"),
        Health::Degraded => (503, "failing"),
    };
    HttpResponse::json(
        status,
        &json!({"commit": "0a7c4a9e1f", "database": database, "version": "11.2.0"}),
    )
}

fn gitea_healthz(health: Health) -> HttpResponse {
    let now = now_rfc3339();
    let (status, word) = match health {
        Health::Ok => (200, "pass"),
        Health::Degraded => (500, "fail"),
    };
    let mut response = HttpResponse::json(
        status,
        &json!({
            "status": word,
            "description": "Gitea: Git with a cup of tea",
            "checks": {
                "cache:ping": [{"status": "pass", "time": now}],
                "database:ping": [{"status": word, "time": now}],
            },
        }),
    );
    response.headers = vec![("Content-Type".into(), "application/health+json".into())];
    response
}
