//! A tiny SQL evaluator over the fixture tables, enough for the queries the
//! seed runbooks send to the management database's HTTP endpoint.
//!
//! Supported: `SELECT cols|*|COUNT(*) [AS alias] FROM t [WHERE c = v AND c LIKE p]
//! [ORDER BY c [ASC|DESC]] [LIMIT n]`, `SELECT <literal>`, `PRAGMA database_list`,
//! maintenance statements (`VACUUM`, `REINDEX`, ...) and write statements, which
//! are validated and acknowledged but not applied. Unbound `?` parameters match
//! every row, because the runbooks send their queries without arguments.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use crate::fixtures::Table;

/// Result of the last statement of a request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub rows_affected: u64,
}

impl QueryResult {
    fn empty() -> Self {
        Self {
            columns: Vec::new(),
            rows: Vec::new(),
            rows_affected: 0,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "columns": self.columns,
            "rows": self.rows,
            "rows_affected": self.rows_affected,
        })
    }
}

/// An error in libsql's wording (`SQLITE_ERROR: no such table: x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqlError(pub String);

fn sql_error(message: impl std::fmt::Display) -> SqlError {
    SqlError(format!("SQLITE_ERROR: {message}"))
}

/// Executes every statement of `sql` in order and returns the last result.
pub(crate) fn execute(sql: &str, tables: &[Table]) -> Result<QueryResult, SqlError> {
    let statements = split_statements(sql);
    if statements.is_empty() {
        return Err(SqlError(
            "SQL_NO_STATEMENT: the request body contains no SQL statement".into(),
        ));
    }
    let mut last = QueryResult::empty();
    for statement in statements {
        last = execute_statement(&statement, tables)?;
    }
    Ok(last)
}

fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    for character in sql.chars() {
        match character {
            '\'' => {
                in_quote = !in_quote;
                current.push(character);
            }
            ';' if !in_quote => statements.push(std::mem::take(&mut current)),
            _ => current.push(character),
        }
    }
    statements.push(current);
    statements
        .into_iter()
        .map(|statement| statement.trim().to_owned())
        .filter(|statement| !statement.is_empty())
        .collect()
}

fn execute_statement(statement: &str, tables: &[Table]) -> Result<QueryResult, SqlError> {
    let keyword = statement
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match keyword.as_str() {
        "SELECT" => select(statement, tables),
        "UPDATE" | "DELETE" | "INSERT" | "REPLACE" => acknowledge_write(statement, tables),
        "PRAGMA" => Ok(pragma(statement)),
        "VACUUM" | "REINDEX" | "ANALYZE" | "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "CREATE"
        | "DROP" | "ALTER" | "SAVEPOINT" | "RELEASE" => Ok(QueryResult::empty()),
        _ => Err(sql_error(format!(
            "near \"{}\": syntax error",
            statement.split_whitespace().next().unwrap_or(statement)
        ))),
    }
}

static SELECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?is)^SELECT\s+(?P<cols>.+?)(?:\s+FROM\s+(?P<table>[A-Za-z_][A-Za-z0-9_]*))?(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>[A-Za-z_][A-Za-z0-9_]*)(?:\s+(?P<dir>ASC|DESC))?)?(?:\s+LIMIT\s+(?P<limit>\d+))?$",
    )
    .expect("SELECT pattern is valid")
});

static WRITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?is)^(?:UPDATE\s+(?P<updated>[A-Za-z_][A-Za-z0-9_]*)\s+SET\s+.+?|DELETE\s+FROM\s+(?P<deleted>[A-Za-z_][A-Za-z0-9_]*)|(?:INSERT|REPLACE)(?:\s+OR\s+\w+)?\s+INTO\s+(?P<inserted>[A-Za-z_][A-Za-z0-9_]*)\b.*?)(?:\s+WHERE\s+(?P<where>.+?))?$",
    )
    .expect("write pattern is valid")
});

static CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?is)^(?P<col>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>==|=|!=|<>|NOT\s+LIKE|LIKE|IS\s+NOT|IS)\s*(?P<value>'(?:[^']|'')*'|-?\d+(?:\.\d+)?|\?|NULL)$",
    )
    .expect("condition pattern is valid")
});

static AND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s+AND\s+").expect("AND pattern is valid"));

static ALIAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^(?P<expr>.+?)(?:\s+(?:AS\s+)?(?P<alias>[A-Za-z_][A-Za-z0-9_]*))?$")
        .expect("alias pattern is valid")
});

static COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^COUNT\s*\(\s*(?:\*|[A-Za-z_][A-Za-z0-9_]*)\s*\)$")
        .expect("COUNT pattern is valid")
});

enum Projection {
    Column(usize),
    Count,
    Literal(Value),
}

fn select(statement: &str, tables: &[Table]) -> Result<QueryResult, SqlError> {
    let captures = SELECT
        .captures(statement)
        .ok_or_else(|| sql_error("near \"SELECT\": syntax error"))?;
    let column_list = &captures["cols"];
    let Some(table_name) = captures.name("table") else {
        return select_literals(column_list);
    };
    let table = find_table(tables, table_name.as_str())?;
    let conditions = match captures.name("where") {
        Some(clause) => parse_conditions(clause.as_str(), table)?,
        None => Vec::new(),
    };
    let mut rows: Vec<&Vec<Value>> = table
        .rows
        .iter()
        .filter(|row| conditions.iter().all(|condition| condition.matches(row)))
        .collect();
    if let Some(order) = captures.name("order") {
        let column = column_index(table, order.as_str())?;
        let descending = captures
            .name("dir")
            .is_some_and(|dir| dir.as_str().eq_ignore_ascii_case("DESC"));
        rows.sort_by(|left, right| {
            let ordering = compare_values(&left[column], &right[column]);
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }

    let mut columns = Vec::new();
    let mut projections = Vec::new();
    for item in column_list.split(',') {
        let item = item.trim();
        if item == "*" {
            for (index, name) in table.columns.iter().enumerate() {
                columns.push((*name).to_owned());
                projections.push(Projection::Column(index));
            }
            continue;
        }
        let (expression, alias) = split_alias(item);
        if COUNT.is_match(expression) {
            columns.push(alias.unwrap_or(expression).to_owned());
            projections.push(Projection::Count);
        } else if let Some(value) = parse_literal(expression) {
            columns.push(alias.unwrap_or(expression).to_owned());
            projections.push(Projection::Literal(value));
        } else {
            columns.push(alias.unwrap_or(expression).to_owned());
            projections.push(Projection::Column(column_index(table, expression)?));
        }
    }

    let aggregate = projections
        .iter()
        .any(|projection| matches!(projection, Projection::Count));
    let result_rows: Vec<Vec<Value>> = if aggregate {
        let first = rows.first();
        vec![
            projections
                .iter()
                .map(|projection| match projection {
                    Projection::Count => json!(rows.len()),
                    Projection::Column(index) => {
                        first.map_or(Value::Null, |row| row[*index].clone())
                    }
                    Projection::Literal(value) => value.clone(),
                })
                .collect(),
        ]
    } else {
        rows.iter()
            .map(|row| {
                projections
                    .iter()
                    .map(|projection| match projection {
                        Projection::Column(index) => row[*index].clone(),
                        Projection::Count => json!(1),
                        Projection::Literal(value) => value.clone(),
                    })
                    .collect()
            })
            .collect()
    };
    let limit = captures
        .name("limit")
        .and_then(|limit| limit.as_str().parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    Ok(QueryResult {
        columns,
        rows: result_rows.into_iter().take(limit).collect(),
        rows_affected: 0,
    })
}

fn select_literals(column_list: &str) -> Result<QueryResult, SqlError> {
    let mut columns = Vec::new();
    let mut row = Vec::new();
    for item in column_list.split(',') {
        let (expression, alias) = split_alias(item.trim());
        let value = parse_literal(expression)
            .ok_or_else(|| sql_error(format!("no such column: {expression}")))?;
        columns.push(alias.unwrap_or(expression).to_owned());
        row.push(value);
    }
    Ok(QueryResult {
        columns,
        rows: vec![row],
        rows_affected: 0,
    })
}

fn split_alias(item: &str) -> (&str, Option<&str>) {
    // A bare literal or COUNT(*) has no alias even though it ends in a word character.
    if COUNT.is_match(item) || parse_literal(item).is_some() || !item.contains(char::is_whitespace)
    {
        return (item, None);
    }
    match ALIAS.captures(item) {
        Some(captures) => match (captures.name("expr"), captures.name("alias")) {
            (Some(expression), Some(alias)) => (expression.as_str().trim(), Some(alias.as_str())),
            _ => (item, None),
        },
        None => (item, None),
    }
}

fn parse_literal(text: &str) -> Option<Value> {
    if let Some(inner) = text
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
    {
        return Some(json!(inner.replace("''", "'")));
    }
    if let Ok(integer) = text.parse::<i64>() {
        return Some(json!(integer));
    }
    if text.contains('.')
        && let Ok(float) = text.parse::<f64>()
    {
        return Some(json!(float));
    }
    text.eq_ignore_ascii_case("NULL").then_some(Value::Null)
}

fn acknowledge_write(statement: &str, tables: &[Table]) -> Result<QueryResult, SqlError> {
    let captures = WRITE
        .captures(statement)
        .ok_or_else(|| sql_error(format!("near \"{}\": syntax error", first_word(statement))))?;
    let table_name = captures
        .name("updated")
        .or_else(|| captures.name("deleted"))
        .or_else(|| captures.name("inserted"))
        .map(|name| name.as_str())
        .unwrap_or_default();
    let table = find_table(tables, table_name)?;
    if captures.name("inserted").is_some() {
        return Ok(QueryResult {
            rows_affected: 1,
            ..QueryResult::empty()
        });
    }
    let conditions = match captures.name("where") {
        Some(clause) => parse_conditions(clause.as_str(), table)?,
        None => Vec::new(),
    };
    let matched = table
        .rows
        .iter()
        .filter(|row| conditions.iter().all(|condition| condition.matches(row)))
        .count();
    Ok(QueryResult {
        rows_affected: matched as u64,
        ..QueryResult::empty()
    })
}

fn pragma(statement: &str) -> QueryResult {
    let name = statement
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches(';')
        .to_ascii_lowercase();
    if name == "database_list" {
        QueryResult {
            columns: vec!["seq".into(), "name".into(), "file".into()],
            rows: vec![vec![json!(0), json!("main"), json!("")]],
            rows_affected: 0,
        }
    } else {
        QueryResult::empty()
    }
}

fn first_word(statement: &str) -> &str {
    statement.split_whitespace().next().unwrap_or(statement)
}

fn find_table<'t>(tables: &'t [Table], name: &str) -> Result<&'t Table, SqlError> {
    tables
        .iter()
        .find(|table| table.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| sql_error(format!("no such table: {name}")))
}

fn column_index(table: &Table, name: &str) -> Result<usize, SqlError> {
    table
        .columns
        .iter()
        .position(|column| column.eq_ignore_ascii_case(name))
        .ok_or_else(|| sql_error(format!("no such column: {name}")))
}

enum Operator {
    Equal,
    NotEqual,
    Like,
    NotLike,
    Is,
    IsNot,
}

struct Condition {
    column: usize,
    operator: Operator,
    /// `None` is an unbound `?` parameter, which matches every row.
    value: Option<Value>,
}

impl Condition {
    fn matches(&self, row: &[Value]) -> bool {
        let Some(expected) = &self.value else {
            return true;
        };
        let cell = &row[self.column];
        match self.operator {
            Operator::Equal => !cell.is_null() && compare_values(cell, expected) == Ordering::Equal,
            Operator::NotEqual => {
                !cell.is_null() && compare_values(cell, expected) != Ordering::Equal
            }
            Operator::Like => like(cell, expected),
            Operator::NotLike => !cell.is_null() && !like(cell, expected),
            Operator::Is => compare_values(cell, expected) == Ordering::Equal,
            Operator::IsNot => compare_values(cell, expected) != Ordering::Equal,
        }
    }
}

fn parse_conditions(clause: &str, table: &Table) -> Result<Vec<Condition>, SqlError> {
    AND.split(clause.trim())
        .map(|text| {
            let captures = CONDITION.captures(text.trim()).ok_or_else(|| {
                sql_error(format!(
                    "the sandbox SQL console cannot evaluate the condition {text:?} \
                     (supported: column = value, column LIKE 'pattern', joined by AND)"
                ))
            })?;
            let operator_text = captures["op"].to_ascii_uppercase();
            let operator = match operator_text.split_whitespace().collect::<Vec<_>>()[..] {
                ["=" | "=="] => Operator::Equal,
                ["!=" | "<>"] => Operator::NotEqual,
                ["LIKE"] => Operator::Like,
                ["NOT", "LIKE"] => Operator::NotLike,
                ["IS"] => Operator::Is,
                _ => Operator::IsNot,
            };
            let value_text = &captures["value"];
            let value = if value_text == "?" {
                None
            } else {
                Some(parse_literal(value_text).unwrap_or(Value::Null))
            };
            Ok(Condition {
                column: column_index(table, &captures["col"])?,
                operator,
                value,
            })
        })
        .collect()
}

fn compare_values(left: &Value, right: &Value) -> Ordering {
    match (left, right) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .unwrap_or_default()
            .partial_cmp(&b.as_f64().unwrap_or_default())
            .unwrap_or(Ordering::Equal),
        _ => cell_text(left).cmp(&cell_text(right)),
    }
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// SQLite LIKE: `%` any run, `_` one character, ASCII case-insensitive.
fn like(cell: &Value, pattern: &Value) -> bool {
    if cell.is_null() {
        return false;
    }
    let text: Vec<char> = cell_text(cell).to_ascii_lowercase().chars().collect();
    let pattern: Vec<char> = cell_text(pattern).to_ascii_lowercase().chars().collect();
    like_from(&text, &pattern)
}

fn like_from(text: &[char], pattern: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('%', rest)) => (0..=text.len()).any(|skip| like_from(&text[skip..], rest)),
        Some(('_', rest)) => !text.is_empty() && like_from(&text[1..], rest),
        Some((expected, rest)) => text.first() == Some(expected) && like_from(&text[1..], rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{initial_audit_log, initial_tenants, management_tables};

    fn run(sql: &str) -> Result<QueryResult, SqlError> {
        let tables = management_tables(&initial_tenants("http://db.test"), &initial_audit_log());
        execute(sql, &tables)
    }

    #[test]
    fn tenant_database_url_query_returns_one_url() {
        let result = run("SELECT db_url FROM tenants WHERE id = ? LIMIT 1").expect("query runs");
        assert_eq!(result.columns, ["db_url"]);
        assert_eq!(result.rows, [[json!("http://db.test")]]);
    }

    #[test]
    fn counts_with_and_without_alias() {
        let plain = run("SELECT COUNT(*) FROM tenants").expect("query runs");
        assert_eq!(plain.columns, ["COUNT(*)"]);
        assert_eq!(plain.rows, [[json!(3)]]);
        let aliased = run("SELECT COUNT(*) as tenant_count FROM tenants").expect("query runs");
        assert_eq!(aliased.columns, ["tenant_count"]);
    }

    #[test]
    fn filters_orders_and_limits() {
        let result = run(
            "SELECT * FROM audit_log WHERE action = 'webhook' ORDER BY created_at DESC LIMIT 2",
        )
        .expect("query runs");
        assert_eq!(result.rows.len(), 2);
        assert!(result.rows.iter().all(|row| row[2] == json!("webhook")));
        assert!(cell_text(&result.rows[0][4]) > cell_text(&result.rows[1][4]));
        let liked = run("SELECT id FROM audit_log WHERE action LIKE '%WEBHOOK%'").expect("runs");
        assert_eq!(liked.rows.len(), 3);
    }

    #[test]
    fn lists_tables_from_sqlite_master() {
        let result = run("SELECT name FROM sqlite_master WHERE type='table'").expect("runs");
        assert!(result.rows.contains(&vec![json!("tenants")]));
        assert!(result.rows.contains(&vec![json!("audit_log")]));
    }

    #[test]
    fn reports_sqlite_errors() {
        assert_eq!(
            run("SELECT * FROM sqlite_stat WHERE name = 'db'"),
            Err(SqlError("SQLITE_ERROR: no such table: sqlite_stat".into()))
        );
        assert_eq!(
            run("SELECT nope FROM tenants"),
            Err(SqlError("SQLITE_ERROR: no such column: nope".into()))
        );
        assert!(run("FROB tenants").is_err());
        assert!(run("  ;; ").is_err());
        assert!(run("SELECT id FROM tenants WHERE id > 3").is_err());
    }

    #[test]
    fn acknowledges_writes_and_maintenance() {
        let update = run("UPDATE tenants SET rate_limit_override = 10 WHERE id = 'tenant-acme'")
            .expect("runs");
        assert_eq!(update.rows_affected, 1);
        assert_eq!(run("VACUUM").expect("runs"), QueryResult::empty());
        let pragma = run("PRAGMA database_list").expect("runs");
        assert_eq!(pragma.rows, [[json!(0), json!("main"), json!("")]]);
        assert!(run("UPDATE nowhere SET x = 1").is_err());
    }

    #[test]
    fn selects_literals_without_from() {
        let result = run("SELECT 1, 'it''s' AS word").expect("runs");
        assert_eq!(result.columns, ["1", "word"]);
        assert_eq!(result.rows, [[json!(1), json!("it's")]]);
    }
}
