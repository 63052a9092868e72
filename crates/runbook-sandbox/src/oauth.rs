//! OAuth discovery document and the client-credentials token endpoint.

use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::api_state::ApiState;
use crate::health::Health;
use crate::http_request::HttpRequest;
use crate::http_response::HttpResponse;

/// RFC 8414 metadata; `issuer` is the URL the client used to reach us.
pub(crate) fn authorization_server_metadata(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth/authorize"),
        "token_endpoint": format!("{issuer}/auth/token"),
        "registration_endpoint": format!("{issuer}/auth/register"),
        "revocation_endpoint": format!("{issuer}/auth/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "scopes_supported": ["mcp"],
    })
}

fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// Decodes `application/x-www-form-urlencoded` pairs.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let decode = |part: &str| {
        percent_decode_str(&part.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (decode(key), decode(value)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

pub(crate) fn issue_token(request: &HttpRequest, state: &mut ApiState) -> HttpResponse {
    let content_type = request.header("content-type").unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return oauth_error(
            400,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let form = form_pairs(&request.body);
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    match field("grant_type") {
        None => oauth_error(400, "invalid_request", "grant_type is required"),
        Some("client_credentials") => {
            if field("client_id").is_none() || field("client_secret").is_none() {
                return oauth_error(
                    401,
                    "invalid_client",
                    "client_id and client_secret are required",
                );
            }
            if state.health == Health::Degraded {
                state.connection_failures += 1;
                return oauth_error(
                    503,
                    "temporarily_unavailable",
                    "Cannot connect to management database",
                );
            }
            state.issued_tokens += 1;
            let token = format!(
                "mct_{:016x}{:08x}",
                crate::clock::unix_seconds()
                    .unsigned_abs()
                    .wrapping_mul(2_654_435_761),
                state.issued_tokens
            );
            HttpResponse::json(
                200,
                &json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "mcp"}),
            )
            .with_header("Cache-Control", "no-store")
        }
        Some("authorization_code" | "refresh_token") => oauth_error(
            400,
            "invalid_grant",
            "The provided authorization grant is invalid, expired or revoked",
        ),
        Some(other) => oauth_error(
            400,
            "unsupported_grant_type",
            &format!("grant_type {other:?} is not supported"),
        ),
    }
}
