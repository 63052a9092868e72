/// Actor recorded for events that no person triggered.
pub const AUTOMATION_ACTOR: &str = "automation";

/// `user@host` for the person running this process. Falls back to the numeric uid or
/// `localhost` rather than failing: an imperfect name must never stop an incident run.
pub fn current_actor() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| format!("uid{}", nix::unistd::getuid()));
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_has_user_and_host() {
        let actor = current_actor();
        let (user, host) = actor.split_once('@').expect("user@host");
        assert!(!user.is_empty() && !host.is_empty(), "{actor}");
    }
}
