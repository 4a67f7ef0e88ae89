//! The settings table of `docs/openclaw.md`, generated from the plugin's settings schema
//! (`plugin/src/config_schema.json`, which the manifest's `configSchema` carries to OpenClaw's
//! validator): one row per setting, with its type, bounds and description. The schema is the one
//! source; `cargo xtask settings` rewrites the table, and a test fails when they differ.

use std::path::Path;

use serde_json::Value;

/// The page holding the table, from the workspace root.
pub const PAGE: &str = "docs/openclaw.md";
/// The schema, from the workspace root.
pub const SCHEMA: &str = "plugin/src/config_schema.json";

const START: &str = "<!-- settings:start -->";
const END: &str = "<!-- settings:end -->";

/// Every setting of `schema`: its dotted path and its schema, depth first, in the schema's order.
pub fn settings(schema: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(prefix: &str, schema: &'a Value, out: &mut Vec<(String, &'a Value)>) {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, property) in properties {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            if property.get("properties").is_some() {
                walk(&path, property, out);
            } else {
                out.push((path, property));
            }
        }
    }
    let mut out = Vec::new();
    walk("", schema, &mut out);
    out
}

/// What a setting takes, for people: `integer 1–2147483647`, `"fastest" or "cheapest"`, …
fn kind(property: &Value) -> String {
    let strings = |values: &Value| -> Vec<String> {
        values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|value| format!("`{value}`"))
            .collect()
    };
    match property.get("type").and_then(Value::as_str) {
        Some("integer") => {
            let bound = |key| property.get(key).and_then(Value::as_u64);
            match (bound("minimum"), bound("maximum")) {
                (Some(low), Some(high)) => format!("integer {low}–{high}"),
                (Some(low), None) => format!("integer ≥ {low}"),
                _ => "integer".into(),
            }
        }
        Some("string") if property.get("enum").is_some() => strings(&property["enum"]).join(" or "),
        Some("array") => match property.pointer("/items/enum") {
            Some(values) => format!("list of {}", strings(values).join(", ")),
            None => "list".into(),
        },
        Some(other) => other.into(),
        None => "any".into(),
    }
}

/// The table for `schema`, between its markers.
pub fn render(schema: &Value) -> String {
    let mut table = format!(
        "{START}\n| setting (under `plugins.entries.huggingface.config`) | takes | what it does |\n\
         |---|---|---|\n"
    );
    for (path, property) in settings(schema) {
        let description = property
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace('|', "\\|");
        table.push_str(&format!(
            "| `{path}` | {} | {description} |\n",
            kind(property)
        ));
    }
    table.push_str(END);
    table
}

/// The page with its table rewritten from the schema; an error when the page has no markers.
pub fn rewrite(page: &str, schema: &Value) -> Result<String, String> {
    let start = page
        .find(START)
        .ok_or_else(|| format!("{PAGE} has no {START} marker"))?;
    let end = page[start..]
        .find(END)
        .map(|at| start + at + END.len())
        .ok_or_else(|| format!("{PAGE} has no {END} marker after its start"))?;
    Ok(format!(
        "{}{}{}",
        &page[..start],
        render(schema),
        &page[end..]
    ))
}

/// Rewrites the table in the workspace at `root`.
pub fn write(root: &Path) -> Result<(), String> {
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).map_err(|err| format!("cannot read {path}: {err}"))
    };
    let schema: Value = serde_json::from_str(&read(SCHEMA)?)
        .map_err(|err| format!("{SCHEMA} is not JSON: {err}"))?;
    let page = rewrite(&read(PAGE)?, &schema)?;
    std::fs::write(root.join(PAGE), page).map_err(|err| format!("cannot write {PAGE}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    #[test]
    fn the_documented_settings_are_the_schemas() {
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(root().join(SCHEMA)).unwrap()).unwrap();
        let page = std::fs::read_to_string(root().join(PAGE)).unwrap();
        assert_eq!(
            rewrite(&page, &schema).unwrap(),
            page,
            "{PAGE}'s settings table differs from {SCHEMA}: run `cargo xtask settings`"
        );
    }

    #[test]
    fn rows_say_types_and_bounds() {
        let schema = serde_json::json!({"properties": {
            "a": {"type": "integer", "minimum": 1, "maximum": 9, "description": "x|y"},
            "b": {"properties": {"c": {"type": "string", "enum": ["p", "q"]}}},
            "d": {"type": "array", "items": {"enum": ["u"]}}
        }});
        let table = render(&schema);
        assert!(table.contains("| `a` | integer 1–9 | x\\|y |"), "{table}");
        assert!(table.contains("| `b.c` | `p` or `q` |"), "{table}");
        assert!(table.contains("| `d` | list of `u` |"), "{table}");
    }
}
