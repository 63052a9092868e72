use percent_encoding::percent_decode_str;

/// Every endpoint the fake API knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Health,
    Ready,
    Metrics,
    Mcp,
    Tenants,
    Tenant(String),
    TenantRateLimit(String),
    /// `POST /`: a SQL statement for the management (Turso/libsql) database.
    SqlExecute,
    Dump,
    Restore,
    OAuthMetadata,
    AuthToken,
    StripeWebhook,
    PrometheusTargets,
    GrafanaHealth,
    GiteaHealthz,
    /// `/__control/health`: test-harness switch, never recorded.
    ControlHealth,
}

impl Route {
    pub fn resolve(path: &str) -> Option<Self> {
        if !path.starts_with('/') {
            return None;
        }
        let trimmed = path.trim_end_matches('/');
        let segments: Vec<String> = trimmed
            .split('/')
            .skip(1)
            .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        Some(match segments[..] {
            [] => Self::SqlExecute,
            ["health"] => Self::Health,
            ["ready"] => Self::Ready,
            ["metrics"] => Self::Metrics,
            ["mcp"] => Self::Mcp,
            ["api", "tenants"] => Self::Tenants,
            ["api", "tenants", id] if !id.is_empty() => Self::Tenant(id.to_owned()),
            ["api", "tenants", id, "rate-limit"] if !id.is_empty() => {
                Self::TenantRateLimit(id.to_owned())
            }
            ["dump"] => Self::Dump,
            ["restore"] => Self::Restore,
            [".well-known", "oauth-authorization-server"] => Self::OAuthMetadata,
            ["auth", "token"] => Self::AuthToken,
            ["webhooks", "stripe"] => Self::StripeWebhook,
            ["api", "v1", "targets"] => Self::PrometheusTargets,
            ["api", "health"] => Self::GrafanaHealth,
            ["api", "healthz"] => Self::GiteaHealthz,
            ["__control", "health"] => Self::ControlHealth,
            _ => return None,
        })
    }

    /// Methods the endpoint accepts; HEAD is implied wherever GET is listed.
    pub fn methods(&self) -> &'static [&'static str] {
        match self {
            Self::Health
            | Self::Ready
            | Self::Metrics
            | Self::Tenants
            | Self::TenantRateLimit(_)
            | Self::OAuthMetadata
            | Self::PrometheusTargets
            | Self::GrafanaHealth
            | Self::GiteaHealthz => &["GET", "HEAD"],
            Self::Mcp => &["POST", "DELETE"],
            Self::Tenant(_) => &["GET", "HEAD", "PATCH"],
            Self::SqlExecute
            | Self::Dump
            | Self::Restore
            | Self::AuthToken
            | Self::StripeWebhook => &["POST"],
            Self::ControlHealth => &["GET", "HEAD", "POST"],
        }
    }

    /// Whether a request must carry an `Authorization` header.
    pub fn requires_auth(&self) -> bool {
        matches!(
            self,
            Self::Mcp
                | Self::Tenants
                | Self::Tenant(_)
                | Self::TenantRateLimit(_)
                | Self::SqlExecute
                | Self::Dump
                | Self::Restore
        )
    }

    pub fn is_control(&self) -> bool {
        matches!(self, Self::ControlHealth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths_with_parameters_and_trailing_slashes() {
        assert_eq!(Route::resolve("/"), Some(Route::SqlExecute));
        assert_eq!(Route::resolve("/health/"), Some(Route::Health));
        assert_eq!(
            Route::resolve("/api/tenants/tenant%2Dacme/rate-limit"),
            Some(Route::TenantRateLimit("tenant-acme".into()))
        );
        assert_eq!(Route::resolve("/api/tenants//rate-limit"), None);
        assert_eq!(Route::resolve("/nope"), None);
        assert_eq!(Route::resolve("*"), None);
    }
}
