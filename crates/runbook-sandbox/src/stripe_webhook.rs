//! `/webhooks/stripe`: signature header check and event bookkeeping.

use serde_json::{Value, json};

use crate::api_state::ApiState;
use crate::health::Health;
use crate::http_request::HttpRequest;
use crate::http_response::HttpResponse;

pub(crate) fn handle(request: &HttpRequest, state: &mut ApiState) -> HttpResponse {
    let Some(signature) = request.header("stripe-signature") else {
        return HttpResponse::json(
            400,
            &json!({"error": "Webhook signature verification failed", "message": "Missing Stripe-Signature header"}),
        );
    };
    if !signature_is_well_formed(signature) {
        return HttpResponse::json(
            400,
            &json!({
                "error": "Webhook signature verification failed",
                "message": "Unable to extract timestamp and signatures from header",
            }),
        );
    }
    let event: Value = match serde_json::from_slice(&request.body) {
        Ok(event) => event,
        Err(error) => {
            return HttpResponse::json(
                400,
                &json!({"error": "Invalid payload", "message": error.to_string()}),
            );
        }
    };
    let (Some(event_id), Some(event_type)) = (
        event.get("id").and_then(Value::as_str),
        event.get("type").and_then(Value::as_str),
    ) else {
        return HttpResponse::json(
            400,
            &json!({"error": "Invalid payload", "message": "event must have string \"id\" and \"type\""}),
        );
    };
    if state.health == Health::Degraded {
        state.connection_failures += 1;
        return HttpResponse::json(
            500,
            &json!({"error": "Webhook processing failed", "message": "Cannot connect to management database"}),
        );
    }
    let tenant_id = event
        .pointer("/data/object/metadata/tenantId")
        .and_then(Value::as_str)
        .unwrap_or("unassigned")
        .to_owned();
    state.append_audit(&tenant_id, "webhook", format!("{event_type} {event_id}"));
    *state
        .stripe_webhooks
        .entry(event_type.to_owned())
        .or_default() += 1;
    HttpResponse::json(
        200,
        &json!({"received": true, "id": event_id, "type": event_type}),
    )
}

/// Stripe's format: `t=<unix seconds>,v1=<hex signature>[,v0=...]`.
fn signature_is_well_formed(header: &str) -> bool {
    let mut timestamp_ok = false;
    let mut signature_ok = false;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp_ok = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
            }
            Some(("v1", value)) => {
                signature_ok |= !value.is_empty() && value.bytes().all(|b| b.is_ascii_hexdigit());
            }
            _ => {}
        }
    }
    timestamp_ok && signature_ok
}
