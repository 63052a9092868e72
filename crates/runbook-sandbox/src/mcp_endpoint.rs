//! `/mcp`: MCP over streamable HTTP (JSON-RPC 2.0), the Muninn memory tools.

use serde_json::{Value, json};

use crate::api_state::ApiState;
use crate::health::Health;
use crate::http_response::HttpResponse;

const PROTOCOL_VERSION: &str = "2025-03-26";
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const SERVER_ERROR: i64 = -32000;

fn tools() -> Value {
    json!([
        {
            "name": "remember",
            "description": "Store a memory in the tenant's workspace.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "content": {"type": "string", "description": "Text to remember"},
                    "tags": {"type": "array", "items": {"type": "string"}}
                },
                "required": ["content"]
            }
        },
        {
            "name": "recall",
            "description": "Search memories by semantic similarity.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 50}
                },
                "required": ["query"]
            }
        },
        {
            "name": "forget",
            "description": "Delete a memory by id.",
            "inputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"]
            }
        },
        {
            "name": "list_memories",
            "description": "List the most recent memories.",
            "inputSchema": {
                "type": "object",
                "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 100}}
            }
        }
    ])
}

fn rpc_error(id: &Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// Handles `POST /mcp`.
pub(crate) fn handle_post(body: &[u8], state: &mut ApiState) -> HttpResponse {
    let message: Value = match serde_json::from_slice(body) {
        Ok(message) => message,
        Err(error) => {
            count(state, "invalid", "error");
            return HttpResponse::json(
                400,
                &rpc_error(&Value::Null, PARSE_ERROR, format!("Parse error: {error}")),
            );
        }
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let method = message.get("method").and_then(Value::as_str);
    let (Some(method), Some("2.0")) = (method, message.get("jsonrpc").and_then(Value::as_str))
    else {
        count(state, "invalid", "error");
        return HttpResponse::json(
            400,
            &rpc_error(
                &id,
                INVALID_REQUEST,
                "Invalid Request: expected an object with \"jsonrpc\":\"2.0\" and a string \"method\"",
            ),
        );
    };
    let method = method.to_owned();

    if state.health == Health::Degraded {
        state.connection_failures += 1;
        count(state, &method, "error");
        return HttpResponse::json(
            503,
            &rpc_error(
                &id,
                SERVER_ERROR,
                "database unavailable: Cannot connect to management database",
            ),
        );
    }
    // Notifications carry no id and get no JSON-RPC answer.
    if message.get("id").is_none() {
        count(state, &method, "ok");
        return HttpResponse::empty(202);
    }
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let (outcome, mut response) = match method.as_str() {
        "initialize" => {
            let session = format!("mcp-session-{:06}", state.next_mcp_session);
            state.next_mcp_session += 1;
            state.mcp_sessions += 1;
            let body = rpc_result(
                &id,
                json!({
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": "muninn-cloud", "version": crate::fake_api::VERSION},
                }),
            );
            (
                "ok",
                HttpResponse::json(200, &body).with_header("Mcp-Session-Id", session),
            )
        }
        "ping" => ("ok", HttpResponse::json(200, &rpc_result(&id, json!({})))),
        "tools/list" => (
            "ok",
            HttpResponse::json(200, &rpc_result(&id, json!({"tools": tools()}))),
        ),
        "tools/call" => call_tool(&id, &params),
        other => (
            "error",
            HttpResponse::json(
                200,
                &rpc_error(&id, METHOD_NOT_FOUND, format!("Method not found: {other}")),
            ),
        ),
    };
    count(state, &method, outcome);
    response
        .headers
        .push(("Cache-Control".into(), "no-store".into()));
    response
}

fn call_tool(id: &Value, params: &Value) -> (&'static str, HttpResponse) {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let arguments = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let text_argument = |key: &str| {
        arguments
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let text = match name {
        "remember" => text_argument("content").map(|content| {
            format!(
                "Stored memory mem_{:08x} ({} characters)",
                content.len() * 7919,
                content.chars().count()
            )
        }),
        "recall" => text_argument("query").map(|query| format!("No memories matched {query:?}.")),
        "forget" => text_argument("id").map(|memory| format!("Deleted memory {memory}.")),
        "list_memories" => Some("No memories stored yet.".to_owned()),
        _ => {
            return (
                "error",
                HttpResponse::json(
                    200,
                    &rpc_error(id, INVALID_PARAMS, format!("Unknown tool: {name}")),
                ),
            );
        }
    };
    let result = match text {
        Some(text) => json!({"content": [{"type": "text", "text": text}], "isError": false}),
        None => json!({
            "content": [{"type": "text", "text": format!("Missing required argument for tool {name}")}],
            "isError": true
        }),
    };
    ("ok", HttpResponse::json(200, &rpc_result(id, result)))
}

/// Handles `DELETE /mcp`: closes the caller's session.
pub(crate) fn handle_delete(session_id: Option<&str>, state: &mut ApiState) -> HttpResponse {
    if state.mcp_sessions == 0 {
        return HttpResponse::json(
            404,
            &json!({"error": "Not Found", "message": "No active MCP session to terminate"}),
        );
    }
    state.mcp_sessions -= 1;
    HttpResponse::json(
        200,
        &json!({
            "terminated": true,
            "sessionId": session_id,
            "activeSessions": state.mcp_sessions,
        }),
    )
}

fn count(state: &mut ApiState, method: &str, outcome: &str) {
    *state
        .mcp_requests
        .entry((method.to_owned(), outcome.to_owned()))
        .or_default() += 1;
}
