//! Word lists that let the parser recognise shell in untagged blocks.

/// Programs and shell words that commonly start a command line in runbooks.
#[rustfmt::skip]
pub const KNOWN_COMMANDS: &[&str] = &[
    "[", "[[", "alias", "amtool", "ansible", "ansible-playbook", "apt", "apt-get", "argocd", "at", "awk", "aws", "az",
    "base64", "basename", "bash", "bg", "borg", "brew", "buildah", "bun", "cargo", "case", "cat", "cd", "certbot",
    "chmod", "chown", "cloudflared", "command", "consul", "cp", "cqlsh", "createdb", "crictl", "cron", "crontab",
    "ctr", "curl", "cut", "date", "dd", "declare", "deno", "df", "diff", "dig", "dirname", "dmesg", "do", "docker",
    "docker-compose", "doctl", "done", "dropdb", "du", "echo", "egrep", "eksctl", "elif", "else", "env", "esac",
    "etcdctl", "eval", "exec", "exit", "export", "false", "fi", "file", "find", "flux", "fly", "flyctl", "for",
    "free", "function", "gcloud", "gh", "git", "go", "gpg", "grep", "gunzip", "gzip", "head", "helm", "heroku",
    "host", "hostname", "hostnamectl", "htop", "http", "if", "influx", "iostat", "ip", "iptables", "istioctl",
    "java", "jobs", "journalctl", "jq", "kill", "killall", "kind", "kubectl", "kubectx", "kubens", "kustomize",
    "less", "linkerd", "ln", "local", "logcli", "logger", "ls", "lsblk", "lsof", "make", "mc", "minikube", "mkdir",
    "mktemp", "mongo", "mongosh", "mount", "mv", "mysql", "mysqldump", "nano", "nc", "nerdctl", "netstat", "nginx",
    "nohup", "nomad", "npm", "npx", "nslookup", "oc", "openssl", "pg_dump", "pg_dumpall", "pg_isready", "pg_restore",
    "pgrep", "ping", "pip", "pip3", "pkill", "pnpm", "podman", "popd", "printf", "promtool", "ps", "psql", "pushd",
    "pwd", "python", "python3", "rclone", "read", "readlink", "realpath", "reboot", "redis-cli", "restic", "return",
    "rm", "rmdir", "rsync", "s3cmd", "scp", "sed", "seq", "service", "set", "sftp", "sh", "shutdown", "skopeo",
    "sleep", "socat", "sops", "sort", "source", "sqlcmd", "sqlite3", "ss", "ssh", "stat", "strace", "stripe", "su",
    "sudo", "sysctl", "systemctl", "tail", "tar", "tcpdump", "tee", "telnet", "terraform", "test", "then", "time",
    "timeout", "top", "touch", "tr", "traceroute", "trap", "trivy", "true", "trufflehog", "turso", "ufw", "umount",
    "uname", "uniq", "unset", "until", "uptime", "useradd", "vault", "velero", "vi", "vim", "wait", "watch", "wc",
    "wget", "which", "while", "whoami", "wrangler", "xargs", "yarn", "yq", "zcat", "zsh",
];

pub fn is_known_command(word: &str) -> bool {
    let word = word.rsplit('/').next().unwrap_or(word);
    KNOWN_COMMANDS.binary_search(&word).is_ok()
}

/// Fence languages that run as shell.
pub fn is_shell_language(lang: &str) -> bool {
    [
        "bash",
        "sh",
        "shell",
        "zsh",
        "ksh",
        "console",
        "shell-session",
        "shellsession",
        "terminal",
        "shell-script",
    ]
    .iter()
    .any(|shell| lang.eq_ignore_ascii_case(shell))
}

/// Fence languages whose content is a transcript with prompts.
pub fn is_transcript_language(lang: &str) -> bool {
    ["console", "shell-session", "shellsession", "terminal"]
        .iter()
        .any(|transcript| lang.eq_ignore_ascii_case(transcript))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_list_is_sorted_for_binary_search() {
        let mut sorted = KNOWN_COMMANDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, KNOWN_COMMANDS);
    }

    #[test]
    fn paths_match_their_program() {
        assert!(is_known_command("/usr/bin/curl"));
        assert!(!is_known_command("api.muninn.pro"));
    }
}
