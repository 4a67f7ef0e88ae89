//! OpenClaw's own credential store, read-only: a key onboarded with `openclaw onboard` lives in
//! OpenClaw's SQLite state database, and host-stub uses it without a second onboarding.
//!
//! Where the store is (as OpenClaw 2026.9.6 decides): `state/openclaw.sqlite`, row
//! `authProfiles.store` of `config_machine_state`, when its row `auth.sharedStore` says
//! `state-db`; otherwise the agent database `agents/main/agent/openclaw-agent.sqlite`, row
//! `primary` of `auth_profile_store`. Both hold the same document as host-stub's own store
//! (`{version, profiles}`). The database is opened read-only with a short busy timeout — never
//! written, never locked against OpenClaw — and a missing, locked, newer or corrupt database is
//! a store skipped with a one-line reason, never a failure.

use std::{path::Path, time::Duration};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::Value;

/// The newest schema versions (`PRAGMA user_version`) this reader knows: OpenClaw 2026.9.6's.
const STATE_SCHEMA: i64 = 18;
const AGENT_SCHEMA: i64 = 23;
/// How long to wait for OpenClaw to finish a write before skipping the store.
const BUSY_TIMEOUT: Duration = Duration::from_millis(1000);
/// The largest store document read.
const MAX_STORE_BYTES: usize = 16 * 1024 * 1024;

/// The store's document (`{version, profiles}`), or why it was skipped.
pub fn read(state_dir: &Path, agent_dir: &Path) -> Result<Value, String> {
    let state_db = state_dir.join("state").join("openclaw.sqlite");
    if !state_db.is_file() {
        return Err(format!(
            "no OpenClaw state database at {}",
            state_db.display()
        ));
    }
    let state = open(&state_db, STATE_SCHEMA)?;
    let shared = query(
        &state,
        "SELECT value_json FROM config_machine_state WHERE state_key = 'auth.sharedStore'",
        &state_db,
    )?;
    let in_state_db = match &shared {
        Some(text) => serde_json::from_str::<Value>(text)
            .ok()
            .is_some_and(|value| value["location"] == "state-db"),
        None => false,
    };
    let document = if in_state_db {
        query(
            &state,
            "SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.store'",
            &state_db,
        )?
    } else {
        let agent_db = agent_dir.join("openclaw-agent.sqlite");
        if !agent_db.is_file() {
            return Err(format!(
                "no OpenClaw agent database at {}",
                agent_db.display()
            ));
        }
        let agent = open(&agent_db, AGENT_SCHEMA)?;
        query(
            &agent,
            "SELECT store_json FROM auth_profile_store WHERE store_key = 'primary'",
            &agent_db,
        )?
    };
    let Some(text) = document else {
        return Ok(serde_json::json!({"version": 1, "profiles": {}}));
    };
    if text.len() > MAX_STORE_BYTES {
        return Err(format!(
            "OpenClaw's credential store is over {} MiB",
            MAX_STORE_BYTES >> 20
        ));
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|err| format!("OpenClaw's credential store is not valid JSON ({err})"))?;
    if value["version"].as_i64().is_some_and(|version| version > 1) {
        return Err(format!(
            "OpenClaw's credential store has version {}, newer than this host reads (1)",
            value["version"]
        ));
    }
    Ok(value)
}

/// Opens `path` read-only and checks its schema is one this reader knows.
fn open(path: &Path, newest: i64) -> Result<Connection, String> {
    let reason =
        |err: rusqlite::Error| format!("cannot read {}: {}", path.display(), one_line(&err));
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(reason)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(reason)?;
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(reason)?;
    if version > newest {
        return Err(format!(
            "{} has schema version {version}, newer than this host reads ({newest})",
            path.display()
        ));
    }
    Ok(connection)
}

/// The one text cell `sql` selects, if a row matches.
fn query(connection: &Connection, sql: &str, path: &Path) -> Result<Option<String>, String> {
    connection
        .query_row(sql, [], |row| row.get::<_, String>(0))
        .optional()
        .map_err(|err| format!("cannot read {}: {}", path.display(), one_line(&err)))
}

fn one_line(err: &rusqlite::Error) -> String {
    provider_host::display::one_line(&err.to_string()).into_owned()
}
