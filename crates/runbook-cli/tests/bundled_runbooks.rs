//! Every bundled runbook under `runbooks/` runs end to end, unattended, with the real binary,
//! real bash/curl/jq, the stub CLIs of `runbook-sandbox` first on PATH and its fake API as every
//! HTTP service. The table [`CASES`] says what each file needs (variables, fixtures, env); a
//! runbook missing from it fails `every_bundled_runbook_is_in_the_table`.
//!
//! Runs go in parallel (`BUNDLED_RUNBOOK_THREADS`, default 4): most of their time is spent in
//! retry delays and timeouts, not on the CPU.

#[path = "bundled_support/mod.rs"]
mod support;

use runbook_sandbox::{FakeApiConfig, Health, RecordedRequest, Sandbox};
use runbook_timeline::{EventKind, RunStatus, StepStatus, escape_markdown};
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{
    Finished, Planned, RunbookModel, assert_invoked_in_order, files_containing, run_binary,
    run_runbook, runbook_files, runbooks_dir,
};

/// Creates a case's fixtures in its sandbox; returns variables only known afterwards.
type Prepare = fn(&Context) -> Vec<(String, String)>;

/// One bundled runbook and everything it needs to run unattended.
struct Case {
    /// Path under `runbooks/`.
    file: &'static str,
    /// `--var` values; `{api}` is the fake API's base URL, `{fx}` the fixture directory,
    /// `{home}` the sandbox HOME.
    vars: &'static [(&'static str, &'static str)],
    /// Extra environment (wins over the defaults of `support::base_env`).
    env: &'static [(&'static str, &'static str)],
    /// Creates fixtures before the run; may return more variables.
    prepare: Option<Prepare>,
    /// Checks beyond the generic ones, for the main procedures.
    verify: Option<fn(&Outcome)>,
}

const fn case(file: &'static str, vars: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        file,
        vars,
        env: &[],
        prepare: None,
        verify: None,
    }
}

impl Case {
    const fn prepare(mut self, prepare: Prepare) -> Case {
        self.prepare = Some(prepare);
        self
    }
    const fn verify(mut self, verify: fn(&Outcome)) -> Case {
        self.verify = Some(verify);
        self
    }
    const fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Case {
        self.env = env;
        self
    }
}

// Secret values are distinctive so that finding one in the state dir cannot be a coincidence.
const MGMT_DB_TOKEN: (&str, &str) = ("MGMT_DB_TOKEN", "mgmt-db-token-5c2e91f0");
const TURSO_API_TOKEN: (&str, &str) = ("TURSO_API_TOKEN", "turso-api-token-4b9e02aa");
const ADMIN_TOKEN: (&str, &str) = ("ADMIN_TOKEN", "admin-token-0f3d4e7c");
const TENANT_API_KEY: (&str, &str) = ("TENANT_API_KEY", "tenant-api-key-a81c3612");
const METRICS_TOKEN: (&str, &str) = ("METRICS_TOKEN", "metrics-token-77ab10d2");
const DATABASE_URL: (&str, &str) = (
    "DATABASE_URL",
    "postgresql://sofia:pg-pass-61c0b7e3@db:5432/magicsaas",
);
const MARIADB_ROOT_PASSWORD: (&str, &str) = ("MARIADB_ROOT_PASSWORD", "mariadb-root-pw-93d1c2e8");
const MUNINN_URL: (&str, &str) = ("MUNINN_URL", "{api}");
const MGMT_DB_URL: (&str, &str) = ("MGMT_DB_URL", "{api}");
const TENANT_ID: (&str, &str) = ("TENANT_ID", "tenant-acme");
const MOSAIC_HOME: (&str, &str) = ("MOSAIC_HOME", "{fx}/mosaic");

#[rustfmt::skip]
const CASES: &[Case] = &[
    case("demo/disk-full.md", &[("PAGER_TOKEN", "drill-pager-token-93e1f4")]).verify(verify_demo_drill),

    case("muninn/incident-triage.md", &[MUNINN_URL, METRICS_TOKEN, MGMT_DB_URL, MGMT_DB_TOKEN, ("TEST_API_KEY", "test-api-key-d3f7a5b9")]),
    case("muninn/db-unreachable.md", &[MUNINN_URL, ("TURSO_STATUS_URL", "{api}"), MGMT_DB_URL, MGMT_DB_TOKEN]),
    case("muninn/circuit-breaker.md", &[MUNINN_URL, ("WATCH_SECONDS", "2")]),
    case("muninn/rate-limit.md", &[MUNINN_URL, ADMIN_TOKEN, TENANT_ID]).verify(verify_muninn_rate_limit),
    case("muninn/session-leak.md", &[MUNINN_URL, ("SAMPLES", "2"), ("SAMPLE_INTERVAL", "1"), ("TENANT_TOKEN", "tenant-token-2a7e9c41")]),
    case("muninn/stripe-webhooks.md", &[MUNINN_URL, ("PUBLIC_URL", "{api}"), ("STRIPE_API_URL", "{api}"), MGMT_DB_URL, MGMT_DB_TOKEN,
        ("STRIPE_WEBHOOK_SECRET", "whsec_test_8f2d61ab"), ("STRIPE_SECRET_KEY", "sk_test_51c9e0d7")]),
    case("muninn/diagnostics.md", &[MUNINN_URL, MGMT_DB_URL, MGMT_DB_TOKEN, TENANT_ID, TENANT_API_KEY, ("CLIENT_SECRET", "client-secret-6e0b8c19")]),
    case("muninn/health-and-metrics.md", &[MUNINN_URL, ("PUBLIC_URL", "{api}"), METRICS_TOKEN]),
    case("muninn/monitoring-setup.md", &[("PUBLIC_URL", "{api}"), METRICS_TOKEN]),
    case("muninn/backup.md", &[MGMT_DB_URL, MGMT_DB_TOKEN, TURSO_API_TOKEN, TENANT_ID]).verify(verify_muninn_backup),
    case("muninn/backup-retention.md", &[]).prepare(muninn_backups),
    case("muninn/tenant-restore.md", &[MUNINN_URL, ADMIN_TOKEN, TENANT_ID, MGMT_DB_URL, MGMT_DB_TOKEN, TURSO_API_TOKEN, TENANT_API_KEY])
        .prepare(muninn_backups).verify(verify_muninn_tenant_restore),
    case("muninn/full-recovery.md", &[MUNINN_URL, ("NEW_MGMT_DB_URL", "{api}"), ("NEW_MGMT_DB_TOKEN", "new-mgmt-db-token-c4a01e55")]).prepare(muninn_backups),
    case("muninn/pitr.md", &[MUNINN_URL, ("PITR_DB_URL", "{api}"), ("PITR_DB_TOKEN", "pitr-db-token-e19b73d0"), ("RECOVERY_URL", "{api}"), ADMIN_TOKEN])
        .prepare(muninn_backup_for_pitr),
    case("muninn/tenant-migration.md", &[MUNINN_URL, TENANT_ID, ("SOURCE_DB_URL", "{api}"), ("SOURCE_TOKEN", "source-token-58d2b6a3"),
        ("NEW_DB_HTTP_URL", "{api}"), MGMT_DB_URL, MGMT_DB_TOKEN, TENANT_API_KEY]),
    case("muninn/db-maintenance.md", &[MGMT_DB_URL, MGMT_DB_TOKEN]),
    case("muninn/deploy.md", &[("MUNINN_CLOUD_DIR", "{fx}/cloud"), MUNINN_URL]).prepare(muninn_cloud_dir),
    // release.md removes the old compose service, so the stub must know it.
    case("muninn/release.md", &[MUNINN_URL]).env(&[("SANDBOX_COMPOSE_SERVICES", "api api-old caddy")]),
    case("muninn/rollback.md", &[MUNINN_URL]),
    case("muninn/scaling.md", &[MUNINN_URL, ("WATCH_SECONDS", "2")]),

    case("magicsaas/incident-response.md", &[("API_URL", "{api}")]),
    case("magicsaas/high-error-rate.md", &[]),
    case("magicsaas/high-latency.md", &[DATABASE_URL]),
    case("magicsaas/db-connections.md", &[DATABASE_URL]),
    case("magicsaas/redis-memory.md", &[]),
    case("magicsaas/health-checks.md", &[("API_URL", "{api}")]),
    case("magicsaas/deploy.md", &[DATABASE_URL, ("NAMESPACE", "magicsaas-production"), ("VERSION", "v3.2.1")]).verify(verify_magicsaas_deploy),
    case("magicsaas/rollback.md", &[]),
    case("magicsaas/scaling.md", &[]),
    case("magicsaas/maintenance.md", &[("API_URL", "{api}")]),
    case("magicsaas/backup.md", &[DATABASE_URL, ("BACKUP_DIR", "{fx}/pgbackups")]),
    case("magicsaas/restore.md", &[("PGPASSWORD", "pg-password-0d8e4f27")]),
    case("magicsaas/regional-failover.md", &[]),
    case("magicsaas/rotate-secrets.md", &[("NEW_KEY", "sk-ant-new-key-7b3e90c1"), ("NEW_DB_URL", "postgresql://sofia:rotated-pw-4c8a21f6@db:5432/magicsaas")]),
    case("magicsaas/security-scan.md", &[]),

    case("mosaic/daily-health-check.md", &[MOSAIC_HOME, MARIADB_ROOT_PASSWORD, ("MCP_URL", "{api}"), ("GITEA_URL", "{api}")]).prepare(mosaic_home),
    case("mosaic/service-down.md", &[MOSAIC_HOME]).prepare(mosaic_home),
    case("mosaic/db-connections.md", &[MOSAIC_HOME, MARIADB_ROOT_PASSWORD]).prepare(mosaic_home),
    case("mosaic/monitoring.md", &[("MONITORING_DIR", "{fx}/monitoring"), ("GRAFANA_PASSWORD", "grafana-admin-pw-5f2b8d")]).prepare(monitoring_dir),
    case("mosaic/performance.md", &[MOSAIC_HOME, MARIADB_ROOT_PASSWORD, ("GITEA_URL", "{api}"), ("BOOKSTACK_URL", "{api}"), ("WOODPECKER_URL", "{api}")])
        .prepare(mosaic_home),
    case("mosaic/security-audit.md", &[]),
    case("mosaic/backup.md", &[MOSAIC_HOME, ("BACKUP_ROOT", "{fx}/mosaic-backups"), MARIADB_ROOT_PASSWORD]).prepare(mosaic_home),
    case("mosaic/restore.md", &[MOSAIC_HOME, MARIADB_ROOT_PASSWORD]).prepare(mosaic_backup_dir),
    case("mosaic/maintenance-window.md", &[]),
    case("mosaic/dr-test.md", &[("BACKUP_ROOT", "{fx}/mosaic-backups"), ("DR_HEALTH_URL_PATTERN", "{api}/health?service=%s")]).prepare(mosaic_backup_taken),
    case("mosaic/failover.md", &[("MOSAIC_DR_HOME", "{fx}/dr"), ("GITEA_URL", "{api}")]).prepare(mosaic_dr_home),

    case("mundus/optimization-plan.md", &[("PROMETHEUS_URL", "{api}"), ("GRAFANA_URL", "{api}")]),
    case("mundus/cloudflared-systemd.md", &[("SYSTEMD_UNIT_DIR", "{fx}/units"), ("CLOUDFLARED_BIN", "{fx}/bin/cloudflared"), ("TUNNEL_USER", "tunnels"),
        ("GRAFANA_URL", "{api}"), ("MUNDUS_URL", "{api}")]).prepare(unit_dir).verify(verify_mundus_cloudflared_systemd),
    case("mundus/cloudflared-operations.md", &[]),
    // The hand-started tunnels must outlive the `sleep 3` of the check that they are running.
    case("mundus/cloudflared-rollback.md", &[("SYSTEMD_UNIT_DIR", "{fx}/units")]).env(&[("SANDBOX_FOLLOW_MAX_SECONDS", "20")])
        .prepare(installed_tunnel_units).verify(verify_mundus_cloudflared_rollback),
    case("mundus/deploy.md", &[("MUNDUS_URL", "{api}")]),
    case("mundus/webhook-auto-deploy.md", &[]),
    case("mundus/container-monitoring.md", &[("PROMETHEUS_URL", "{api}"), ("GRAFANA_URL", "{api}"), ("MUNDUS_URL", "{api}"), ("LOAD_REQUESTS", "5")]),
    case("mundus/log-aggregation.md", &[("LOKI_URL", "{api}")]),
];

fn find_case(file: &str) -> &'static Case {
    CASES
        .iter()
        .find(|case| case.file == file)
        .unwrap_or_else(|| panic!("no case for {file}"))
}

/// The sandbox of one case and the directory its fixtures go in.
struct Context<'a> {
    sandbox: &'a Sandbox,
    fixtures: PathBuf,
}

impl Context<'_> {
    fn new(sandbox: &Sandbox) -> Context<'_> {
        let fixtures = sandbox.root().join("fixtures");
        fs::create_dir_all(&fixtures).expect("create the fixture directory");
        Context { sandbox, fixtures }
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("{api}", &self.sandbox.api().base_url())
            .replace("{fx}", &self.fixtures.to_string_lossy())
            .replace("{home}", &self.sandbox.home().to_string_lossy())
    }

    fn vars(&self, vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(name, value)| ((*name).to_owned(), self.fill(value)))
            .collect()
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.fixtures.join(relative);
        fs::create_dir_all(path.parent().expect("fixture has a parent"))
            .expect("create fixture dir");
        fs::write(&path, text).expect("write fixture");
        path
    }

    /// Runs another bundled runbook first in the same sandbox (same HOME, same fake API), as
    /// the README says for the restores, and requires it to succeed.
    fn run_first(&self, file: &str) -> Finished {
        let case = find_case(file);
        let vars = self.vars(case.vars);
        let env: Vec<(String, String)> = case
            .env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), self.fill(value)))
            .collect();
        let label = format!("prepare-{}", file.replace('/', "-"));
        let finished = run_runbook(
            self.sandbox,
            &label,
            &runbooks_dir().join(file),
            &vars,
            &env,
        );
        assert!(
            finished.status.success(),
            "preparing with {file} failed:\n{}",
            finished.describe()
        );
        finished
    }
}

/// What the generic checks and a case's `verify` look at.
struct Outcome<'a> {
    context: &'a Context<'a>,
    finished: &'a Finished,
    vars: &'a [(String, String)],
    invocations: Vec<Vec<String>>,
    /// Requests the fake API answered during this run (not during preparation).
    requests: Vec<RecordedRequest>,
    export: String,
}

impl Outcome<'_> {
    fn var(&self, name: &str) -> &str {
        self.vars
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_else(|| panic!("the case sets no {name}"))
    }

    fn requests_to(&self, method: &str, path: &str) -> Vec<&RecordedRequest> {
        self.requests
            .iter()
            .filter(|request| request.method == method && request.path == path)
            .collect()
    }

    fn request_summary(&self) -> String {
        self.requests
            .iter()
            .map(|request| {
                format!(
                    "  {} {} -> {}",
                    request.method, request.path, request.status
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

fn muninn_backups(context: &Context) -> Vec<(String, String)> {
    context.run_first("muninn/backup.md");
    Vec::new()
}

fn muninn_backup_for_pitr(context: &Context) -> Vec<(String, String)> {
    context.run_first("muninn/backup.md");
    let newest = newest_file(&context.sandbox.home().join(".claude/backups"), "mgmt-");
    vec![(
        "PITR_BACKUP_FILE".into(),
        newest.to_string_lossy().into_owned(),
    )]
}

fn muninn_cloud_dir(context: &Context) -> Vec<(String, String)> {
    context.write(
        "cloud/docker-compose.yml",
        "services:\n  api:\n    build: .\n  caddy:\n    image: caddy:2\n",
    );
    // Values for the required variables; CSRF_SECRET is empty so the runbook generates one.
    context.write(
        "cloud/.env.example",
        "MGMT_DB_URL=https://muninn-mgmt-example.turso.io\nMGMT_DB_TOKEN=example-token\nTURSO_ORG=muninn\nTURSO_API_TOKEN=example-api-token\n\
         STRIPE_SECRET_KEY=sk_test_example\nSTRIPE_WEBHOOK_SECRET=whsec_example\nSTRIPE_PRO_PRICE_ID=price_example\nCSRF_SECRET=\nMETRICS_TOKEN=\n",
    );
    Vec::new()
}

fn mosaic_home(context: &Context) -> Vec<(String, String)> {
    context.write(
        "mosaic/docker-compose.mosaicstack.yml",
        "services:\n  gitea:\n    image: gitea/gitea\n",
    );
    context.write("mosaic/mosaic-sdk/.env", "POSTGRES_USER=postgres\n");
    context.write(
        "mosaic/mosaic-sdk/docker-compose.mosaicstack.yml",
        "services: {}\n",
    );
    fs::create_dir_all(context.fixtures.join("mosaic-backups")).expect("create BACKUP_ROOT");
    Vec::new()
}

fn mosaic_backup_taken(context: &Context) -> Vec<(String, String)> {
    mosaic_home(context);
    context.run_first("mosaic/backup.md");
    Vec::new()
}

fn mosaic_backup_dir(context: &Context) -> Vec<(String, String)> {
    mosaic_backup_taken(context);
    let backups: Vec<PathBuf> = fs::read_dir(context.fixtures.join("mosaic-backups"))
        .expect("read BACKUP_ROOT")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert_eq!(
        backups.len(),
        1,
        "mosaic/backup.md should leave one backup directory: {backups:?}"
    );
    vec![(
        "BACKUP_DIR".into(),
        backups[0].to_string_lossy().into_owned(),
    )]
}

fn mosaic_dr_home(context: &Context) -> Vec<(String, String)> {
    let script = context.write(
        "dr/scripts/activate-dr.sh",
        "#!/bin/sh\necho \"DR site active\"\n",
    );
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod activate-dr.sh");
    Vec::new()
}

fn monitoring_dir(context: &Context) -> Vec<(String, String)> {
    fs::create_dir_all(context.fixtures.join("monitoring")).expect("create MONITORING_DIR");
    Vec::new()
}

fn unit_dir(context: &Context) -> Vec<(String, String)> {
    fs::create_dir_all(context.fixtures.join("units")).expect("create SYSTEMD_UNIT_DIR");
    Vec::new()
}

fn installed_tunnel_units(context: &Context) -> Vec<(String, String)> {
    for name in ["cloudflared-kitt", "cloudflared-mundus"] {
        context.write(
            &format!("units/{name}.service"),
            "[Service]\nExecStart=/usr/local/bin/cloudflared tunnel run\n",
        );
    }
    Vec::new()
}

fn newest_file(dir: &Path, prefix: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("read {}: {error}", dir.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(prefix))
        })
        .collect();
    files.sort();
    files
        .pop()
        .unwrap_or_else(|| panic!("no {prefix}* file in {}", dir.display()))
}

// ---------------------------------------------------------------------------------------------
// Running one case

/// Runs a case in a fresh sandbox and applies the generic checks, then the case's own.
fn run_case(case: &Case) -> Duration {
    let sandbox = Sandbox::new().expect("start the sandbox");
    let context = Context::new(&sandbox);
    let mut vars = context.vars(case.vars);
    if let Some(prepare) = case.prepare {
        vars.extend(prepare(&context));
    }
    let env: Vec<(String, String)> = case
        .env
        .iter()
        .map(|(name, value)| ((*name).to_owned(), context.fill(value)))
        .collect();
    sandbox
        .clear_invocations()
        .expect("clear the invocation log");
    let requests_before = sandbox.api().requests().len();

    let file = runbooks_dir().join(case.file);
    let finished = run_runbook(&sandbox, "run", &file, &vars, &env);
    assert!(
        finished.status.success(),
        "{} did not finish ok:\n{}",
        case.file,
        finished.describe()
    );

    let model = RunbookModel::load(&file);
    check_timeline_follows_the_plan(case.file, &model, &finished);
    let export = support::export_markdown(&sandbox, &finished, "run");
    check_export_lists_every_step(case.file, &model, &export);
    check_secrets_stay_out(case.file, &model, &vars, &sandbox, &finished, &export);

    let outcome = Outcome {
        context: &context,
        finished: &finished,
        vars: &vars,
        invocations: sandbox.invocations(),
        requests: sandbox.api().requests().split_off(requests_before),
        export,
    };
    if let Some(verify) = case.verify {
        verify(&outcome);
    }
    finished.elapsed
}

fn check_timeline_follows_the_plan(file: &str, model: &RunbookModel, finished: &Finished) {
    let run_finished = finished
        .run_finished()
        .unwrap_or_else(|| panic!("{file}: no run.finished"));
    assert_eq!(
        run_finished.status,
        RunStatus::Ok,
        "{file}: run.finished {run_finished:?}"
    );
    let plan = model.plan();
    let mut expected_order = Vec::new();
    let (mut ran, mut skipped) = (0, 0);
    for (step, planned) in &plan {
        let finishes = finished.finished(step);
        let skips = finished
            .events
            .iter()
            .filter(|event| {
                event.step.as_deref() == Some(step.as_str())
                    && matches!(event.kind, EventKind::StepSkipped(_))
            })
            .count();
        match planned {
            Planned::ShownOnly => {
                assert!(
                    finishes.is_empty() && skips == 0 && finished.started(step) == 0,
                    "{file}: context step {step} must not run"
                );
            }
            Planned::Skipped => {
                assert_eq!(
                    (skips, finishes.len(), finished.started(step)),
                    (1, 0, 0),
                    "{file}: {step} is excluded from a whole-file run"
                );
                expected_order.push(step.clone());
                skipped += 1;
            }
            Planned::Runs { max_attempts } => {
                assert!(
                    !finishes.is_empty(),
                    "{file}: no step.finished for {step}\n{}",
                    finished.describe()
                );
                assert!(
                    finishes.len() <= *max_attempts,
                    "{file}: {step} finished {} times, at most {max_attempts} allowed",
                    finishes.len()
                );
                let last = finishes.last().expect("checked above");
                assert_eq!(last.status, StepStatus::Ok, "{file}: {step} ended {last:?}");
                for (number, attempt) in finishes.iter().enumerate() {
                    assert_eq!(
                        attempt.attempt as usize,
                        number + 1,
                        "{file}: {step} attempts out of order"
                    );
                }
                assert_eq!(skips, 0, "{file}: {step} was also skipped");
                expected_order.push(step.clone());
                ran += 1;
            }
        }
    }
    let mut actual_order: Vec<String> = Vec::new();
    for event in &finished.events {
        if let (Some(step), EventKind::StepFinished(_) | EventKind::StepSkipped(_)) =
            (&event.step, &event.kind)
            && !actual_order.contains(step)
        {
            actual_order.push(step.clone());
        }
    }
    assert_eq!(
        actual_order, expected_order,
        "{file}: steps finished in another order than planned"
    );
    let counts = run_finished.counts;
    assert_eq!(
        (counts.ok, counts.skipped, counts.failed, counts.not_run),
        (ran, skipped, 0, 0),
        "{file}: run.finished counts {counts:?}"
    );
}

fn check_export_lists_every_step(file: &str, model: &RunbookModel, export: &str) {
    for (step, planned) in model.plan() {
        if planned == Planned::ShownOnly {
            continue;
        }
        let mention = format!("Step {} ", escape_markdown(&step));
        assert!(
            export.contains(&mention),
            "{file}: the Markdown export never mentions step {step}:\n{}",
            support::tail(export, 4000)
        );
    }
}

fn check_secrets_stay_out(
    file: &str,
    model: &RunbookModel,
    vars: &[(String, String)],
    sandbox: &Sandbox,
    finished: &Finished,
    export: &str,
) {
    let secret_names = model.secret_names();
    let state_dirs: Vec<PathBuf> = fs::read_dir(sandbox.root())
        .expect("read the sandbox root")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("state-"))
        })
        .collect();
    // The scan finds what is there: every plain variable's value is recorded in the timeline.
    for (name, value) in vars.iter().filter(|(name, _)| !secret_names.contains(name)) {
        assert!(
            !files_containing(&finished.state_dir, value).is_empty(),
            "{file}: the value of {name} is not in the state dir, so the scan cannot be trusted"
        );
    }
    for (name, value) in vars.iter().filter(|(name, _)| secret_names.contains(name)) {
        for dir in &state_dirs {
            let leaks = files_containing(dir, value);
            assert!(
                leaks.is_empty(),
                "{file}: the secret {name} was written to {leaks:?}"
            );
        }
        assert!(
            !finished.stdout.contains(value.as_str()),
            "{file}: the secret {name} was printed on stdout"
        );
        assert!(
            !finished.stderr.contains(value.as_str()),
            "{file}: the secret {name} was printed on stderr"
        );
        assert!(
            !export.contains(value.as_str()),
            "{file}: the secret {name} is in the export"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Checks of the main procedures

fn verify_demo_drill(outcome: &Outcome) {
    let finished = outcome.finished;
    assert_eq!(
        finished.marks(),
        ["impact_started", "detected", "mitigated", "resolved"],
        "marks in the drill's timeline"
    );
    // The health check fails once (the fake app needs a cycle) and passes on the retry.
    let health = finished.finished("health-check");
    assert_eq!(
        health
            .iter()
            .map(|attempt| attempt.status)
            .collect::<Vec<_>>(),
        [StepStatus::Failed, StepStatus::Ok]
    );
    // `tail -f` is ended by the 6 s timeout, which counts as success.
    let watch = finished.finished("watch-log");
    assert_eq!(watch.len(), 1);
    assert!(
        watch[0].duration_ms >= 5_500,
        "watch-log should run until its 6 s timeout: {:?}",
        watch[0]
    );
    assert!(
        finished.output_of("check-disk").contains("90"),
        "the captured disk percentage: {}",
        finished.output_of("check-disk")
    );
    for metric in ["Time to mitigate", "Time to resolve", "Time to detect"] {
        let row = outcome
            .export
            .lines()
            .find(|line| line.starts_with(&format!("| {metric} |")))
            .unwrap_or_else(|| panic!("no {metric} row in the export"));
        assert!(
            !row.contains("not marked"),
            "{metric} should be measured: {row}"
        );
    }
    // The drill cleans up after itself: nothing is left in the sandbox's TMPDIR.
    let leftovers: Vec<_> = fs::read_dir(outcome.context.sandbox.root().join("tmp"))
        .expect("read TMPDIR")
        .collect();
    assert!(leftovers.is_empty(), "the drill left {leftovers:?} behind");
}

fn verify_muninn_backup(outcome: &Outcome) {
    let mgmt_token = format!("Bearer {}", outcome.var("MGMT_DB_TOKEN"));
    let turso_token = format!("Bearer {}", outcome.var("TURSO_API_TOKEN"));
    let sent: Vec<(String, String, Option<String>)> = outcome
        .requests
        .iter()
        .map(|request| {
            (
                request.method.clone(),
                request.path.clone(),
                request.header("authorization").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            (
                "POST".to_owned(),
                "/dump".to_owned(),
                Some(mgmt_token.clone())
            ),
            ("POST".to_owned(), "/".to_owned(), Some(mgmt_token)),
            ("POST".to_owned(), "/dump".to_owned(), Some(turso_token)),
        ],
        "management dump, tenant lookup, tenant dump"
    );
    let lookup = outcome.requests[1].body_text();
    assert!(
        lookup.contains("WHERE id = 'tenant-acme'"),
        "the tenant id reaches the lookup: {lookup}"
    );

    let backups = outcome.context.sandbox.home().join(".claude/backups");
    let management = newest_file(&backups, "mgmt-");
    let tenant = newest_file(&backups.join("tenants"), "tenant-acme-");
    for (path, request) in [(&management, 0), (&tenant, 2)] {
        let mode = fs::metadata(path)
            .expect("backup metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(
            mode,
            0o400,
            "{} must be read-only after chmod 400",
            path.display()
        );
        let content = fs::read(path).expect("read backup");
        assert!(!content.is_empty(), "{} is empty", path.display());
        assert_eq!(outcome.requests[request].status, 200);
    }
    let dump = String::from_utf8_lossy(&fs::read(&management).expect("read management backup"))
        .into_owned();
    assert!(
        dump.contains("CREATE TABLE") && dump.contains("tenants"),
        "the management backup is the SQL dump: {}",
        support::tail(&dump, 400)
    );
}

fn verify_muninn_rate_limit(outcome: &Outcome) {
    let admin = format!("Bearer {}", outcome.var("ADMIN_TOKEN"));
    for path in [
        "/api/tenants/tenant-acme",
        "/api/tenants/tenant-acme/rate-limit",
    ] {
        let requests = outcome.requests_to("GET", path);
        assert!(
            !requests.is_empty(),
            "no GET {path}; requests:\n{}",
            outcome.request_summary()
        );
        assert!(
            requests.iter().all(
                |request| request.header("authorization") == Some(admin.as_str())
                    && request.status == 200
            ),
            "GET {path} with ADMIN_TOKEN"
        );
    }
    // The excluded branches (upgrade, throttle) never sent a PATCH.
    assert!(
        outcome
            .requests
            .iter()
            .all(|request| request.method != "PATCH"),
        "a whole-file run must not change the tenant:\n{}",
        outcome.request_summary()
    );
}

fn verify_muninn_tenant_restore(outcome: &Outcome) {
    assert_invoked_in_order(
        &outcome.invocations,
        &[
            argv!["docker-compose", "pause", "api"],
            argv!["docker-compose", "unpause", "api"],
        ],
    );
    let restores = outcome.requests_to("POST", "/restore");
    assert_eq!(
        restores.len(),
        1,
        "one restore; requests:\n{}",
        outcome.request_summary()
    );
    let backup = newest_file(
        &outcome
            .context
            .sandbox
            .home()
            .join(".claude/backups/tenants"),
        "tenant-acme-",
    );
    assert_eq!(
        restores[0].body,
        fs::read(&backup).expect("read the tenant backup"),
        "the restore sends the newest tenant backup"
    );
    assert_eq!(
        restores[0].header("authorization"),
        Some(format!("Bearer {}", outcome.var("TURSO_API_TOKEN")).as_str())
    );
    assert_eq!(
        outcome.finished.marks(),
        ["detected", "mitigated", "resolved"]
    );
}

fn verify_magicsaas_deploy(outcome: &Outcome) {
    let image = "ghcr.io/netbarros/magicsaas-sofia-ai:v3.2.1";
    let namespace = "magicsaas-production";
    let expected = vec![
        argv!["kubectl", "cluster-info"],
        argv!["kubectl", "get", "ns", "magicsaas-staging"],
        argv!["kubectl", "get", "ns", "magicsaas-production"],
        argv!["kubectl", "get", "secrets", "-n", namespace],
        argv!["git", "pull", "origin", "main"],
        argv![
            "docker",
            "build",
            "-t",
            image,
            "-f",
            "backend/sofia-ai/Dockerfile",
            "."
        ],
        argv!["docker", "push", image],
        argv![
            "kubectl",
            "set",
            "image",
            "deployment/sofia-ai",
            format!("sofia-ai={image}"),
            "-n",
            namespace
        ],
        argv![
            "kubectl",
            "rollout",
            "status",
            "deployment/sofia-ai",
            "-n",
            namespace
        ],
        argv![
            "kubectl",
            "get",
            "pods",
            "-n",
            namespace,
            "-l",
            "app=sofia-ai"
        ],
        argv![
            "kubectl",
            "run",
            "-i",
            "--rm",
            "migration",
            format!("--image={image}"),
            format!("--env=DATABASE_URL={}", outcome.var("DATABASE_URL")),
            "--restart=Never",
            "-n",
            namespace,
            "--",
            "npx",
            "prisma",
            "migrate",
            "deploy"
        ],
    ];
    assert_eq!(
        outcome.invocations, expected,
        "the deploy's commands, in order, with NAMESPACE and VERSION filled in"
    );
}

fn verify_mundus_cloudflared_systemd(outcome: &Outcome) {
    let mut expected = vec![
        argv!["pkill", "-f", "cloudflared tunnel"],
        argv!["sudo", "systemctl", "daemon-reload"],
        argv!["systemctl", "daemon-reload"],
    ];
    for verb in ["enable", "start"] {
        for unit in ["cloudflared-kitt", "cloudflared-mundus"] {
            expected.push(argv!["sudo", "systemctl", verb, unit]);
            expected.push(argv!["systemctl", verb, unit]);
        }
    }
    for unit in ["cloudflared-kitt", "cloudflared-mundus"] {
        expected.push(argv!["sudo", "systemctl", "status", unit]);
        expected.push(argv!["systemctl", "status", unit]);
    }
    expected.push(argv!["systemctl", "is-active", "cloudflared-kitt"]);
    expected.push(argv!["systemctl", "is-active", "cloudflared-mundus"]);
    expected.push(argv!["journalctl", "-u", "cloudflared-kitt", "-f"]);
    expected.push(argv!["journalctl", "-u", "cloudflared-mundus", "-f"]);
    assert_eq!(
        outcome.invocations, expected,
        "stop the manual tunnels, reload, enable, start, status, verify"
    );

    // The unit files were installed (no sudo: the unit dir is writable) with the variables in them.
    let units = outcome.context.fixtures.join("units");
    let beast = outcome.context.sandbox.home().join("dev-network/beast");
    for (unit, config) in [
        ("cloudflared-kitt", "config.yml"),
        ("cloudflared-mundus", "config-web3studio.yml"),
    ] {
        let path = units.join(format!("{unit}.service"));
        let text =
            fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(
            fs::metadata(&path)
                .expect("unit metadata")
                .permissions()
                .mode()
                & 0o777,
            0o644,
            "{unit} installed with -m 0644"
        );
        assert!(
            text.contains("User=tunnels\n"),
            "TUNNEL_USER in {unit}: {text}"
        );
        let exec = format!(
            "ExecStart={} tunnel --config {}/cloudflare/{config} run\n",
            outcome.var("CLOUDFLARED_BIN"),
            beast.display()
        );
        assert!(
            text.contains(&exec),
            "{unit} should contain {exec:?}: {text}"
        );
    }
    // Both public endpoints were checked through the fake API.
    assert_eq!(
        outcome.requests_to("GET", "/api/health").len(),
        2,
        "requests:\n{}",
        outcome.request_summary()
    );
}

fn verify_mundus_cloudflared_rollback(outcome: &Outcome) {
    let units = outcome.context.fixtures.join("units");
    for unit in ["cloudflared-kitt", "cloudflared-mundus"] {
        assert!(
            !units.join(format!("{unit}.service")).exists(),
            "{unit}.service should be removed"
        );
    }
    assert_invoked_in_order(
        &outcome.invocations,
        &[
            argv![
                "systemctl",
                "stop",
                "cloudflared-kitt",
                "cloudflared-mundus"
            ],
            argv![
                "systemctl",
                "disable",
                "cloudflared-kitt",
                "cloudflared-mundus"
            ],
            argv!["systemctl", "daemon-reload"],
        ],
    );
    // The tunnels were started in the background and the run reports their PIDs. End the ones
    // still running now rather than letting them time out; a PID is only signalled when its
    // command line is a cloudflared stub working in this sandbox, so a reused PID is left alone.
    let output = outcome.finished.output_of("start-manual-tunnels");
    let line = output
        .lines()
        .find(|line| line.starts_with("Started tunnels with PIDs"))
        .unwrap_or_else(|| panic!("no PIDs reported: {output}"));
    let pids: Vec<i32> = line
        .trim_start_matches("Started tunnels with PIDs")
        .split_whitespace()
        .map(|pid| pid.parse().expect("a PID"))
        .collect();
    assert_eq!(pids.len(), 2, "two tunnels: {line}");
    for pid in pids {
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains("cloudflared")
            && cmdline.contains(
                &outcome
                    .context
                    .sandbox
                    .home()
                    .to_string_lossy()
                    .into_owned(),
            )
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn every_bundled_runbook_is_in_the_table() {
    let files = runbook_files();
    let listed: BTreeSet<&str> = CASES.iter().map(|case| case.file).collect();
    let missing: Vec<&String> = files
        .iter()
        .filter(|file| !listed.contains(file.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "runbooks without a case in CASES (add one with the variables they need): {missing:?}"
    );
    let stale: Vec<&&str> = listed
        .iter()
        .filter(|file| !files.iter().any(|existing| existing == *file))
        .collect();
    assert!(
        stale.is_empty(),
        "cases for runbooks that do not exist: {stale:?}"
    );
    assert_eq!(
        listed.len(),
        CASES.len(),
        "a runbook is listed twice in CASES"
    );
}

/// The table keeps the runs inside the sandbox: every URL variable with a real default points at
/// the fake API, every absolute host path into the fixture directory, every variable without a
/// default is given, and nothing is given that the runbook does not use.
#[test]
fn cases_keep_every_runbook_inside_the_sandbox() {
    let mut problems = Vec::new();
    for case in CASES {
        let model = RunbookModel::load(&runbooks_dir().join(case.file));
        let given: BTreeSet<&str> = case.vars.iter().map(|(name, _)| *name).collect();
        let prepared: &[&str] = match case.file {
            "muninn/pitr.md" => &["PITR_BACKUP_FILE"],
            "mosaic/restore.md" => &["BACKUP_DIR"],
            _ => &[],
        };
        for var in &model.front_matter.vars {
            let name = var.name.as_str();
            if given.contains(name) || prepared.contains(&name) {
                continue;
            }
            match &var.default {
                None => problems.push(format!(
                    "{}: {name} has no default and is not given",
                    case.file
                )),
                Some(default)
                    if default.starts_with("http://") || default.starts_with("https://") =>
                {
                    problems.push(format!(
                        "{}: {name} would reach {default}; point it at {{api}}",
                        case.file
                    ))
                }
                Some(default) if default.starts_with('/') => problems.push(format!(
                    "{}: {name} would use the host path {default}; point it into {{fx}}",
                    case.file
                )),
                Some(_) => {}
            }
        }
        let known = model.known_variables();
        for (name, value) in case.vars {
            if !known.contains(*name) {
                problems.push(format!(
                    "{}: gives {name}, which the runbook neither declares nor reads",
                    case.file
                ));
            }
            if model.secret_names().contains(*name) && value.len() < 12 {
                problems.push(format!(
                    "{}: the secret {name} needs a longer, distinctive value",
                    case.file
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_bundled_runbook_runs_end_to_end_in_the_sandbox() {
    let threads: usize = std::env::var("BUNDLED_RUNBOOK_THREADS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(4)
        .max(1);
    let only = std::env::var("BUNDLED_RUNBOOK_ONLY").ok();
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|case| {
            only.as_deref()
                .is_none_or(|filter| case.file.contains(filter))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(&str, Result<Duration, String>)>> = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(cases.len()) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(index) else { break };
                    let result = std::panic::catch_unwind(|| run_case(case)).map_err(|payload| {
                        payload
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| {
                                payload
                                    .downcast_ref::<&str>()
                                    .map(|text| (*text).to_owned())
                            })
                            .unwrap_or_else(|| "panicked".to_owned())
                    });
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((case.file, result));
                }
            });
        }
    });
    let results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut failures = Vec::new();
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    for (file, result) in results {
        match result {
            Ok(elapsed) => timings.push((file, elapsed)),
            Err(message) => failures.push(format!("── {file}\n{message}")),
        }
    }
    timings.sort_by_key(|(_, elapsed)| std::cmp::Reverse(*elapsed));
    eprintln!(
        "{} runbooks in {:.1}s on {threads} threads; slowest:",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    for (file, elapsed) in timings.iter().take(8) {
        eprintln!("  {:>5.1}s {file}", elapsed.as_secs_f64());
    }
    assert!(
        failures.is_empty(),
        "{} of {} runbooks failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// With the management database down, the health check of `health-and-metrics.md` (which
/// `expect`s `"status": "ok"`) fails after its retries and nothing after it runs.
#[test]
fn degraded_api_stops_health_and_metrics_at_the_health_check() {
    let sandbox = Sandbox::with_config(FakeApiConfig {
        health: Health::Degraded,
        ..FakeApiConfig::default()
    })
    .expect("start the sandbox");
    let context = Context::new(&sandbox);
    let vars = context.vars(find_case("muninn/health-and-metrics.md").vars);
    let finished = run_runbook(
        &sandbox,
        "degraded",
        &runbooks_dir().join("muninn/health-and-metrics.md"),
        &vars,
        &[],
    );
    assert_eq!(finished.status.code(), Some(1), "{}", finished.describe());

    let attempts = finished.finished("health");
    assert_eq!(attempts.len(), 4, "retries=3: four attempts");
    assert!(
        attempts
            .iter()
            .all(|attempt| attempt.status == StepStatus::Failed),
        "{attempts:?}"
    );
    assert!(
        finished.output_of("health").contains("\"degraded\""),
        "{}",
        finished.output_of("health")
    );
    for later in ["ready", "metrics-local", "metrics-external", "key-gauges"] {
        assert_eq!(
            finished.started(later),
            0,
            "{later} must not run after the failed health check"
        );
    }
    let run_finished = finished.run_finished().expect("run.finished");
    assert_eq!(run_finished.status, RunStatus::Failed);
    // Everything planned after the health check is counted as not run, the two JSON samples
    // (context blocks) included.
    let plan = RunbookModel::load(&runbooks_dir().join("muninn/health-and-metrics.md")).plan();
    let after_health = plan
        .iter()
        .skip_while(|(step, _)| step != "health")
        .skip(1)
        .count();
    assert_eq!(
        (run_finished.counts.failed, run_finished.counts.not_run),
        (1, after_health),
        "{:?}",
        run_finished.counts
    );

    let requests = sandbox.api().requests();
    assert_eq!(
        requests
            .iter()
            .map(|request| (request.path.as_str(), request.status))
            .collect::<Vec<_>>(),
        [("/health", 503); 4]
    );
}

/// `db-unreachable.md` is the failure path for a degraded API: it confirms the outage, shows the
/// database errors in the API log, and resolves once the database answers again.
#[test]
fn db_unreachable_confirms_the_outage_and_resolves_when_the_database_returns() {
    let sandbox = Sandbox::with_config(FakeApiConfig {
        health: Health::Degraded,
        ..FakeApiConfig::default()
    })
    .expect("start the sandbox");
    let context = Context::new(&sandbox);
    let vars = context.vars(find_case("muninn/db-unreachable.md").vars);
    let finished = std::thread::scope(|scope| {
        // The database "comes back" once the final verification has seen it down once: the
        // second GET /health (the first is the triage step's).
        let watcher = scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                let health_checks = sandbox
                    .api()
                    .requests()
                    .iter()
                    .filter(|request| request.method == "GET" && request.path == "/health")
                    .count();
                if health_checks >= 2 {
                    sandbox.api().set_health(Health::Ok);
                    return true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        });
        let finished = run_runbook(
            &sandbox,
            "recovering",
            &runbooks_dir().join("muninn/db-unreachable.md"),
            &vars,
            &[],
        );
        assert!(
            watcher.join().expect("watcher thread"),
            "the verification never asked /health while degraded"
        );
        finished
    });
    assert!(finished.status.success(), "{}", finished.describe());

    let triage = finished.output_of("health-checks");
    assert!(
        triage.contains("\"managementDb\": \"error\"") && triage.contains("ready: HTTP 503"),
        "the triage step shows the outage: {triage}"
    );
    let logs = finished.output_of("api-db-errors");
    assert!(
        logs.contains("Cannot connect to management database"),
        "the API log shows the outage while degraded: {logs}"
    );
    let verify = finished.finished("verify-db-ok");
    assert_eq!(
        verify.first().map(|attempt| attempt.status),
        Some(StepStatus::Failed),
        "down at the first check"
    );
    assert_eq!(
        verify.last().map(|attempt| attempt.status),
        Some(StepStatus::Ok),
        "ok once the database is back"
    );
    assert_eq!(finished.marks(), ["detected", "resolved"]);
}

/// A stub command that fails (`SANDBOX_FAIL`) stops an unattended run at that step: the image
/// is never rolled out when the push fails.
#[test]
fn failing_push_stops_the_magicsaas_deploy_before_the_rollout() {
    let sandbox = Sandbox::new().expect("start the sandbox");
    let context = Context::new(&sandbox);
    let vars = context.vars(find_case("magicsaas/deploy.md").vars);
    let env = [("SANDBOX_FAIL".to_owned(), "docker push".to_owned())];
    let finished = run_runbook(
        &sandbox,
        "push-fails",
        &runbooks_dir().join("magicsaas/deploy.md"),
        &vars,
        &env,
    );
    assert_eq!(finished.status.code(), Some(1), "{}", finished.describe());

    let push = finished.finished("push-image");
    assert_eq!(push.len(), 1);
    assert_eq!(
        (push[0].status, push[0].exit_code),
        (StepStatus::Failed, Some(1))
    );
    assert!(
        finished
            .output_of("push-image")
            .contains("simulated failure"),
        "{}",
        finished.output_of("push-image")
    );
    for later in ["set-image", "rollout-status", "pods-running", "migrate"] {
        assert_eq!(
            finished.started(later),
            0,
            "{later} must not run after the failed push"
        );
    }
    let invocations = sandbox.invocations();
    assert_eq!(
        invocations.last(),
        Some(&argv![
            "docker",
            "push",
            "ghcr.io/netbarros/magicsaas-sofia-ai:v3.2.1"
        ]),
        "{invocations:?}"
    );
    let run_finished = finished.run_finished().expect("run.finished");
    assert_eq!(
        (
            run_finished.status,
            run_finished.counts.ok,
            run_finished.counts.failed
        ),
        (RunStatus::Failed, 5, 1),
        "{:?}",
        run_finished.counts
    );
}

/// `runbook check runbooks/ --deny warnings` is clean (with ShellCheck when it is installed), and
/// the README's index links every runbook.
#[test]
fn bundled_runbooks_pass_check_and_are_all_in_the_readme() {
    let sandbox = Sandbox::new().expect("start the sandbox");
    let state = sandbox.root().join("state-check");
    let args = [
        "check",
        &runbooks_dir().to_string_lossy(),
        "--deny",
        "warnings",
    ]
    .map(String::from);
    let (status, stdout, stderr, _) = run_binary(&sandbox, &state, "check", &args, &[]);
    assert!(
        status.success(),
        "runbook check runbooks/ --deny warnings:\n{stdout}\n{stderr}"
    );
    let shellcheck_installed = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("shellcheck").is_file())
    });
    if !shellcheck_installed {
        eprintln!("note: shellcheck is not installed; `runbook check` ran without it");
    }

    let readme =
        fs::read_to_string(runbooks_dir().join("README.md")).expect("read runbooks/README.md");
    let unlisted: Vec<String> = runbook_files()
        .into_iter()
        .filter(|file| !readme.contains(&format!("]({file})")))
        .collect();
    assert!(
        unlisted.is_empty(),
        "runbooks/README.md does not link {unlisted:?}"
    );
}
