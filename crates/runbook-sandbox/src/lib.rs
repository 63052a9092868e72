//! Test doubles for end-to-end runbook tests.
//!
//! * [`FakeApi`] plays the Muninn Cloud HTTP API (plus the Turso/libsql SQL
//!   endpoint, Prometheus, Grafana and Gitea health endpoints the seed runbooks
//!   call) on `127.0.0.1` with a random port.
//! * `stubs/` holds bash stand-ins for the external CLIs the seeds use (docker,
//!   kubectl, turso, systemctl, ...). Each appends its argv as a JSON array to
//!   `$SANDBOX_LOG` and prints realistic output. See `README.md` in this crate
//!   for the stub list and the `SANDBOX_*` environment variables.
//! * [`Sandbox`] ties both together for a test: temporary HOME, invocation log,
//!   running fake API, and the environment to run bash with.

mod api_service;
mod api_state;
mod clock;
mod error;
mod fake_api;
mod fixtures;
mod health;
mod http_request;
mod http_response;
mod mcp_endpoint;
mod metrics_text;
mod oauth;
mod recorded_request;
mod route;
mod sandbox;
mod sql_console;
mod stripe_webhook;

pub use error::SandboxError;
pub use fake_api::{FakeApi, FakeApiConfig, VERSION};
pub use health::{Health, UnknownHealth};
pub use recorded_request::RecordedRequest;
pub use sandbox::{Sandbox, stubs_dir};
