//! The stub CLIs: exact argv logging, canned answers the seeds parse, sudo
//! forwarding, following commands, simulated failures.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{stderr, stdout, succeeded, tools_available};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use runbook_sandbox::{Sandbox, stubs_dir};

const STUBS: [&str; 29] = [
    "aws",
    "cloudflared",
    "createdb",
    "crontab",
    "docker",
    "docker-compose",
    "dropdb",
    "git",
    "iptables",
    "journalctl",
    "kubectl",
    "mysql",
    "mysqldump",
    "netstat",
    "npx",
    "nslookup",
    "openssl",
    "pg_dump",
    "pg_dumpall",
    "pg_isready",
    "pkill",
    "pnpm",
    "psql",
    "redis-cli",
    "sudo",
    "systemctl",
    "trivy",
    "trufflehog",
    "turso",
];

fn sandbox() -> Option<Sandbox> {
    tools_available(&["bash"]).then(|| Sandbox::new().expect("sandbox starts"))
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| (*word).to_owned()).collect()
}

#[test]
fn every_stub_exists_is_executable_and_logs() {
    let Some(sandbox) = sandbox() else { return };
    let mut listed: Vec<String> = std::fs::read_dir(stubs_dir())
        .expect("stubs dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !name.starts_with('_'))
        .collect();
    listed.sort();
    assert_eq!(listed, STUBS, "stub list and README drifted apart");
    for stub in STUBS {
        let mode = std::fs::metadata(stubs_dir().join(stub))
            .expect("stub file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{stub} is not executable");
        // Every stub answers this probe without hanging and records it.
        sandbox
            .bash(&format!(
                "{stub} --sandbox-probe </dev/null >/dev/null 2>&1"
            ))
            .status()
            .expect("bash runs");
    }
    let logged: Vec<String> = sandbox
        .invocations()
        .into_iter()
        .map(|argv| argv[0].clone())
        .collect();
    assert_eq!(logged, STUBS);
}

#[test]
fn argv_is_logged_exactly_as_received() {
    let Some(sandbox) = sandbox() else { return };
    let script = r#"docker exec api psql -c "SELECT 'it''s'" 'two  spaces' "say \"hi\"" 'back\slash' $'tab\there' $'new\nline' 'ünï €' '$HOME' '' >/dev/null"#;
    let output = sandbox.bash(script).output().expect("bash runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        sandbox.invocations(),
        vec![argv(&[
            "docker",
            "exec",
            "api",
            "psql",
            "-c",
            "SELECT 'it''s'",
            "two  spaces",
            "say \"hi\"",
            "back\\slash",
            "tab\there",
            "new\nline",
            "ünï €",
            "$HOME",
            "",
        ])]
    );
    let raw = std::fs::read_to_string(sandbox.log_path()).expect("log");
    assert_eq!(raw.lines().count(), 1, "one line per invocation: {raw}");

    let control_characters = (1_u8..32).map(char::from).collect::<String>();
    let status = Command::new(stubs_dir().join("git"))
        .arg(&control_characters)
        .envs(sandbox.env())
        .stderr(Stdio::null())
        .status()
        .expect("git stub runs");
    assert_eq!(status.code(), Some(1), "unknown git subcommand");
    assert_eq!(
        sandbox.invocations()[1],
        vec!["git".to_owned(), control_characters]
    );
}

#[test]
fn sudo_forwards_to_stubs_and_refuses_everything_else() {
    let Some(sandbox) = sandbox() else { return };
    let output = sandbox
        .bash("sudo -E -u root systemctl restart cloudflared-kitt && systemctl is-active cloudflared-kitt")
        .output()
        .expect("bash runs");
    assert_eq!(succeeded(&output), "active\n");
    assert_eq!(
        sandbox.invocations(),
        vec![
            argv(&[
                "sudo",
                "-E",
                "-u",
                "root",
                "systemctl",
                "restart",
                "cloudflared-kitt"
            ]),
            argv(&["systemctl", "restart", "cloudflared-kitt"]),
            argv(&["systemctl", "is-active", "cloudflared-kitt"]),
        ]
    );

    let marker = sandbox.work_dir().join("must-survive");
    std::fs::write(&marker, "x").expect("marker");
    let refused = sandbox
        .bash("sudo rm must-survive")
        .output()
        .expect("bash runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("refuses to run 'rm'"),
        "{}",
        stderr(&refused)
    );
    assert!(marker.exists());
}

#[test]
fn systemctl_remembers_unit_state() {
    let Some(sandbox) = sandbox() else { return };
    let script = r#"
        systemctl is-active cloudflared-kitt
        sudo systemctl stop cloudflared-kitt cloudflared-mundus
        systemctl is-active cloudflared-mundus || echo "exit=$?"
        sudo systemctl status cloudflared-kitt | grep Active: || true
        sudo systemctl disable cloudflared-kitt 2>/dev/null
        systemctl is-enabled cloudflared-kitt || true
        sudo systemctl enable --now cloudflared-kitt 2>&1
        systemctl status cloudflared-kitt | grep -E 'Active:|Loaded:'
    "#;
    let output = sandbox.bash(script).output().expect("bash runs");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "active");
    assert_eq!(lines[1], "inactive");
    assert_eq!(lines[2], "exit=3");
    assert_eq!(lines[3], "     Active: inactive (dead)");
    assert_eq!(lines[4], "disabled");
    assert!(lines[5].starts_with(
        "Created symlink /etc/systemd/system/multi-user.target.wants/cloudflared-kitt.service"
    ));
    assert!(
        lines[6].contains("cloudflared-kitt.service; enabled;"),
        "{text}"
    );
    assert!(
        lines[7].starts_with("     Active: active (running) since "),
        "{text}"
    );
}

#[test]
fn canned_answers_feed_the_seed_pipelines() {
    let Some(sandbox) = sandbox() else { return };
    let cases: &[(&str, &str)] = &[
        (
            "turso db show muninn-new | grep URL",
            "URL:                libsql://muninn-new-sandbox.turso.io\n",
        ),
        (
            "turso db show muninn-new --url",
            "libsql://muninn-new-sandbox.turso.io\n",
        ),
        ("systemctl is-active cloudflared-mundus", "active\n"),
        (
            "kubectl rollout status deployment/sofia-ai -n magicsaas-staging | tail -n 1",
            "deployment \"sofia-ai\" successfully rolled out\n",
        ),
        (
            "kubectl set image deployment/sofia-ai sofia-ai=img:v3 -n x",
            "deployment.apps/sofia-ai image updated\n",
        ),
        (
            "kubectl scale statefulset/postgres --replicas=3 -n x",
            "statefulset.apps/postgres scaled\n",
        ),
        (
            "kubectl get pods -n x -l app=sofia-ai | grep -c Running",
            "3\n",
        ),
        (
            "docker ps --format '{{.Names}}' | grep -c '^mosaic-'",
            "10\n",
        ),
        ("docker ps | grep -q mosaic-gitea && echo up", "up\n"),
        (
            "docker stats api --no-stream | awk 'NR==2 {print $2}'",
            "api\n",
        ),
        (
            "docker exec mosaic-postgres-1 psql -U postgres -c 'SELECT count(*) FROM pg_stat_activity;' | sed -n 3p",
            "    14\n",
        ),
        (
            "docker exec mosaic-mariadb-1 mysql -uroot -psecret -e \"SHOW STATUS LIKE 'Threads_connected';\"",
            "Variable_name\tValue\nThreads_connected\t7\n",
        ),
        (
            "docker exec api cat /proc/self/environ | tr '\\0' '\\n' | grep -i limit | head -n 1",
            "RATE_LIMIT_FREE=60\n",
        ),
        (
            "docker exec api nslookup api.muninn.pro | tail -n 2 | head -n 1",
            "Address: 203.0.113.110\n",
        ),
        (
            "docker-compose ps | awk 'NR==2 {print $1, $4}'",
            "api api\n",
        ),
        (
            "docker compose -f /opt/mosaic/docker-compose.mosaicstack.yml ps | grep -c mosaic-",
            "10\n",
        ),
        (
            "sudo iptables -L -n | grep -E '3306|5432|8080' | awk '{print $1}' | tr '\\n' ' '",
            "ACCEPT ACCEPT DROP ",
        ),
        (
            "pg_isready -h localhost",
            "localhost:5432 - accepting connections\n",
        ),
        ("pkill -f 'cloudflared tunnel' && echo matched", "matched\n"),
        ("openssl rand -hex 32 | tr -d '\\n' | wc -c", "64\n"),
        (
            "echo | openssl s_client -servername git.example.com -connect git.example.com:443 2>/dev/null | openssl x509 -noout -subject",
            "subject=CN = git.example.com\n",
        ),
        (
            "git pull origin main 2>&1 | tail -n 1",
            "Already up to date.\n",
        ),
        (
            "redis-cli INFO keyspace | head -n 1 | tr -d '\\r'",
            "# Keyspace\n",
        ),
        (
            "trivy image --severity CRITICAL img 2>/dev/null | grep Total",
            "Total: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n",
        ),
        ("pnpm audit", "No known vulnerabilities found\n"),
        (
            "npx prisma migrate deploy | tail -n 1",
            "No pending migrations to apply.\n",
        ),
        (
            "netstat -tlnp 2>/dev/null | grep LISTEN | grep -c ':3000 '",
            "1\n",
        ),
        (
            "echo '0 3 * * * /opt/muninn/scripts/backup-mgmt-db.sh' | crontab - && crontab -l",
            "0 3 * * * /opt/muninn/scripts/backup-mgmt-db.sh\n",
        ),
    ];
    for (script, expected) in cases {
        let output = sandbox.bash(script).output().expect("bash runs");
        assert_eq!(
            &stdout(&output),
            expected,
            "script: {script}\nstderr: {}",
            stderr(&output)
        );
    }
}

#[test]
fn docker_exec_curl_to_localhost_reaches_the_fake_api() {
    if !tools_available(&["bash", "curl", "jq"]) {
        return;
    }
    let sandbox = Sandbox::new().expect("sandbox starts");
    let output = sandbox
        .bash("kubectl exec -it sofia-ai-xxx -n magicsaas-staging -- curl -s http://localhost:3003/health | jq -r .status")
        .output()
        .expect("bash runs");
    assert_eq!(succeeded(&output), "ok\n");
    let requests = sandbox.api().requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/health");

    let unreachable = sandbox
        .bash("docker exec api curl -s https://example.org/")
        .output()
        .expect("bash runs");
    assert_eq!(unreachable.status.code(), Some(6));
}

#[test]
fn restore_pipeline_from_s3_runs_end_to_end() {
    if !tools_available(&["bash", "gzip"]) {
        return;
    }
    let sandbox = Sandbox::new().expect("sandbox starts");
    let script = r#"
        set -euo pipefail
        aws s3 cp s3://magicsaas-backups/magicsaas_backup_20251105.sql.gz .
        dropdb magicsaas
        createdb magicsaas
        gunzip < magicsaas_backup_20251105.sql.gz | psql magicsaas
    "#;
    let output = succeeded(&sandbox.bash(script).output().expect("bash runs"));
    assert_eq!(
        output,
        "download: s3://magicsaas-backups/magicsaas_backup_20251105.sql.gz to ./magicsaas_backup_20251105.sql.gz\nCREATE TABLE\nINSERT 0 1\n"
    );
    assert!(
        sandbox
            .work_dir()
            .join("magicsaas_backup_20251105.sql.gz")
            .is_file()
    );
}

#[test]
fn sandbox_fail_makes_matching_invocations_fail() {
    let Some(sandbox) = sandbox() else { return };
    let run = |fail: &str, script: &str| {
        let mut command = sandbox.bash(script);
        command.env("SANDBOX_FAIL", fail);
        command.output().expect("bash runs")
    };
    let failed = run("docker-compose restart", "docker-compose restart api");
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed)
            .contains("simulated failure (SANDBOX_FAIL matched \"docker-compose restart\")")
    );

    let other = run(
        "docker-compose restart",
        "docker-compose restart-all; docker-compose ps >/dev/null",
    );
    assert!(
        other.status.success(),
        "prefixes match whole words only: {}",
        stderr(&other)
    );

    let glob = run(
        "kubectl rollout * -n magicsaas-staging",
        "kubectl rollout undo deployment/sofia-ai -n magicsaas-staging",
    );
    assert_eq!(glob.status.code(), Some(1));

    let mut custom = sandbox.bash("pg_isready -h db; echo \"exit=$?\"");
    custom
        .env("SANDBOX_FAIL", "turso db show;pg_isready")
        .env("SANDBOX_FAIL_CODE", "2")
        .env("SANDBOX_FAIL_MESSAGE", "db:5432 - no response");
    let custom = custom.output().expect("bash runs");
    assert_eq!(stdout(&custom), "exit=2\n");
    assert_eq!(stderr(&custom), "db:5432 - no response\n");

    let logged = sandbox.invocations();
    assert!(
        logged.contains(&argv(&["docker-compose", "restart", "api"])),
        "failed calls are logged too"
    );
}

#[test]
fn following_commands_keep_running_until_killed() {
    let Some(sandbox) = sandbox() else { return };
    let follow_commands: &[&[&str]] = &[
        &["docker", "compose", "logs", "-f", "api"],
        &["docker-compose", "logs", "-f", "--tail=100", "api"],
        &["docker", "logs", "-f", "mosaic-gitea-1"],
        &[
            "kubectl",
            "logs",
            "-f",
            "-n",
            "magicsaas-staging",
            "-l",
            "app=sofia-ai",
        ],
        &["journalctl", "-u", "cloudflared-kitt", "-f"],
        &["docker", "stats"],
        &["redis-cli", "--latency-history"],
    ];
    let mut running: Vec<_> = follow_commands
        .iter()
        .map(|command| {
            let mut child = Command::new(stubs_dir().join(command[0]))
                .args(&command[1..])
                .envs(sandbox.env())
                .env("SANDBOX_FOLLOW_INTERVAL", "0.1")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("stub starts");
            let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
            (command, child, lines)
        })
        .collect();
    // Each has started talking; staying alive afterwards is what matters.
    for (command, _, lines) in &mut running {
        for _ in 0..3 {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("{command:?} ended early"));
            line.expect("readable line");
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    for (command, child, _) in &mut running {
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "{command:?} stopped on its own"
        );
        kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).expect("SIGTERM");
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    for (command, child, _) in &mut running {
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "{command:?} ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        };
        // 143 from the stub's trap; killed outright when the signal came before the trap was set (a loaded machine).
        assert!(
            status.code() == Some(143) || status.signal() == Some(Signal::SIGTERM as i32),
            "{command:?}: {status:?}"
        );
    }
}

#[test]
fn following_commands_stop_by_themselves_after_the_limit() {
    let Some(sandbox) = sandbox() else { return };
    let started = Instant::now();
    let mut command = sandbox.bash("journalctl -u docker -f | tail -n 1");
    command
        .env("SANDBOX_FOLLOW_INTERVAL", "0.1")
        .env("SANDBOX_FOLLOW_MAX_SECONDS", "1");
    let output = command.output().expect("bash runs");
    assert!(
        succeeded(&output).contains("INF heartbeat"),
        "{}",
        stdout(&output)
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn pkill_never_kills_anything() {
    let Some(sandbox) = sandbox() else { return };
    let mut victim = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("sleep starts");
    let output = sandbox
        .bash("pkill -f sleep; pkill -9 sleep; sudo pkill -f 'sleep 30'")
        .output()
        .expect("bash runs");
    assert!(output.status.success());
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        victim.try_wait().expect("try_wait").is_none(),
        "pkill stub killed a real process"
    );
    victim.kill().expect("kill sleep");
    victim.wait().expect("reap sleep");
    assert_eq!(sandbox.invocations().len(), 4);
}

#[test]
fn stubs_refuse_to_run_without_a_log() {
    if !tools_available(&["bash"]) {
        return;
    }
    let output = Command::new(stubs_dir().join("docker"))
        .arg("ps")
        .env_remove("SANDBOX_LOG")
        .output()
        .expect("stub runs");
    assert_eq!(output.status.code(), Some(125));
    assert!(stderr(&output).contains("SANDBOX_LOG is not set"));
}

#[test]
fn containers_can_be_down() {
    let Some(sandbox) = sandbox() else { return };
    let mut command = sandbox.bash(
        "docker ps | grep -c mosaic-gitea; docker ps -a | grep mosaic-gitea | grep -o 'Exited (1)'; docker exec mosaic-gitea-1 whoami; echo \"exit=$?\"",
    );
    command.env("SANDBOX_CONTAINERS_DOWN", "gitea");
    let output = command.output().expect("bash runs");
    assert_eq!(stdout(&output), "0\nExited (1)\nexit=1\n");
    assert!(stderr(&output).contains("container mosaic-gitea-1 is not running"));
}

#[test]
fn docker_run_containers_exist_until_removed() {
    let Some(sandbox) = sandbox() else { return };
    let script = r#"
        docker run -d -e MGMT_DB_URL="libsql://xxx-pitr.turso.io" -p 3001:3000 --name muninn-recovery muninn-cloud:latest | wc -c
        docker ps --format '{{.Names}}' | grep -c muninn-recovery
        docker stop muninn-recovery && docker rm muninn-recovery
        docker ps --format '{{.Names}}' | grep -c muninn-recovery || true
        docker rm muninn-recovery || echo "exit=$?"
    "#;
    let output = sandbox.bash(script).output().expect("bash runs");
    assert_eq!(
        stdout(&output),
        "65\n1\nmuninn-recovery\nmuninn-recovery\n0\nexit=1\n"
    );
}
