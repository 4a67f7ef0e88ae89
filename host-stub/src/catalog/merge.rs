//! Merging a fresh catalog with what the user set, so nothing the user chose is ever lost.
//!
//! Two places hold user choices: the configuration's `models.providers.<id>.models[]` entries,
//! and hand edits to rows of the persisted `models.json`. Edits to `models.json` are told apart
//! from generated values by the snapshot stored beside the rows (`generated`: what the host
//! filled into each row last time): a filled field whose value differs from its snapshot, or a
//! key the host never fills (an `alias`, a model option), is the user's.
//!
//! The result, in order: every fresh row, with the user's fields laid over it (configuration
//! over `models.json` edits); then configured ids the catalog does not list (filled with the
//! plugin's defaults for them); then rows the user added or edited in `models.json` whose model
//! left the catalog, kept as they were. Rows with no user fields whose model left the catalog
//! are dropped (the model was retired).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};

use super::rows::{Filled, Row, Snapshot};

/// What the host filled into each row, by id, as read back from `models.json`.
pub type Snapshots = BTreeMap<String, Filled>;

/// The merged rows; each carries its snapshot.
#[derive(Debug, Default, PartialEq)]
pub struct Merged {
    pub rows: Vec<Row>,
}

/// The user's fields for one id.
#[derive(Clone, Debug, Default)]
pub struct Edit {
    pub filled: Filled,
    pub extra: Map<String, Value>,
}

impl Edit {
    fn is_empty(&self) -> bool {
        self.filled.is_empty() && self.extra.is_empty()
    }

    fn merge_over(&mut self, other: &Edit) {
        self.filled.overlay(&other.filled);
        self.extra.extend(other.extra.clone());
    }

    /// Lays the user's fields over a generated row, keeping what was generated as its
    /// snapshot.
    fn apply(&self, row: &mut Row) {
        if self.is_empty() {
            return;
        }
        if self.filled.is_empty() {
            row.snapshot = Snapshot::Same;
        } else {
            row.snapshot = Snapshot::Stored(Box::new(row.filled.clone()));
            row.filled.overlay(&self.filled);
        }
        row.extra.extend(self.extra.clone());
    }
}

/// What the user changed in the rows of the last `models.json`, and the rows they touched (kept
/// if their model leaves the catalog).
#[derive(Debug, Default)]
pub struct PreviousEdits {
    pub edits: HashMap<String, Edit>,
    pub touched: Vec<(Row, Option<Filled>)>,
}

impl PreviousEdits {
    /// Finds the user's edits in persisted rows, given their snapshots.
    #[cfg(test)]
    pub fn find(rows: &[Row], generated: &Snapshots) -> Self {
        let mut found = Self::default();
        for row in rows {
            found.record(row, || Some(row.clone()), generated);
        }
        found
    }

    /// Records the edits in `user_part` (a row without its regenerated keys); `full` gives the
    /// whole row, only needed when there are edits.
    pub fn record(
        &mut self,
        user_part: &Row,
        full: impl FnOnce() -> Option<Row>,
        generated: &Snapshots,
    ) {
        let snapshot = generated.get(&user_part.id);
        if let Some(edit) = edit_of(user_part, snapshot)
            && let Some(row) = full()
        {
            self.edits.insert(row.id.clone(), edit);
            self.touched.push((row, snapshot.cloned()));
        }
    }
}

/// The user's part of one persisted row, if any.
pub fn edit_of(row: &Row, snapshot: Option<&Filled>) -> Option<Edit> {
    if row.id.is_empty() {
        return None;
    }
    let edit = Edit {
        // A row the host never generated is the user's entirely.
        filled: match snapshot {
            Some(snapshot) => row.filled.edits_against(snapshot),
            None => row.filled.clone(),
        },
        extra: row.extra.clone(),
    };
    (!edit.is_empty()).then_some(edit)
}

/// Merges as the module docs describe. `defaults_for` gives a default row for a configured id
/// the fresh catalog lacks.
pub fn merge(
    fresh: Vec<Row>,
    configured: &[Row],
    previous: &PreviousEdits,
    defaults_for: &dyn Fn(&str) -> Row,
) -> Merged {
    // The user's fields per id: models.json edits, then the configuration over them.
    let mut edits: HashMap<&str, Edit> = previous
        .edits
        .iter()
        .map(|(id, edit)| (id.as_str(), edit.clone()))
        .collect();
    for entry in configured.iter().filter(|entry| !entry.id.is_empty()) {
        let edit = Edit {
            filled: entry.filled.clone(),
            extra: entry.extra.clone(),
        };
        edits.entry(&entry.id).or_default().merge_over(&edit);
    }

    let mut merged = Merged {
        rows: Vec::with_capacity(fresh.len() + configured.len()),
    };
    let mut placed: HashSet<String> = HashSet::with_capacity(fresh.len());
    for mut row in fresh {
        if row.id.is_empty() || !placed.insert(row.id.clone()) {
            continue;
        }
        row.snapshot = Snapshot::Same;
        if let Some(edit) = edits.get(row.id.as_str()) {
            edit.apply(&mut row);
        }
        merged.rows.push(row);
    }
    // Configured ids the catalog does not list.
    for entry in configured {
        if entry.id.is_empty() || !placed.insert(entry.id.clone()) {
            continue;
        }
        let mut row = defaults_for(&entry.id);
        row.id = entry.id.clone();
        row.source = Some("configured".into());
        row.snapshot = Snapshot::Same;
        if let Some(edit) = edits.get(entry.id.as_str()) {
            edit.apply(&mut row);
        }
        merged.rows.push(row);
    }
    // Rows the user touched in models.json whose model left the catalog: kept as they were.
    for (row, snapshot) in &previous.touched {
        if !placed.insert(row.id.clone()) {
            continue;
        }
        let mut kept = row.clone();
        kept.source = Some("kept".into());
        kept.snapshot = match snapshot {
            Some(snapshot) => Snapshot::Stored(Box::new(snapshot.clone())),
            None => Snapshot::None,
        };
        merged.rows.push(kept);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> Row {
        Row::from_object(value.as_object().unwrap())
    }

    fn defaults(id: &str) -> Row {
        row(json!({"id": id, "name": format!("Default {id}"), "contextWindow": 131072}))
    }

    /// The snapshots as `models.json` records them.
    fn snapshots(rows: &[Row]) -> Snapshots {
        rows.iter()
            .filter_map(|row| row.generated().map(|g| (row.id.clone(), g.clone())))
            .collect()
    }

    fn run(
        fresh: Vec<Value>,
        configured: Vec<Value>,
        previous: &[Row],
        generated: &Snapshots,
    ) -> Merged {
        let configured: Vec<Row> = configured.into_iter().map(row).collect();
        let edits = PreviousEdits::find(previous, generated);
        merge(
            fresh.into_iter().map(row).collect(),
            &configured,
            &edits,
            &defaults,
        )
    }

    /// A refresh after `previous` was written.
    fn again(fresh: Vec<Value>, configured: Vec<Value>, previous: &Merged) -> Merged {
        run(
            fresh,
            configured,
            &previous.rows,
            &snapshots(&previous.rows),
        )
    }

    fn ids(merged: &Merged) -> Vec<&str> {
        merged.rows.iter().map(|r| r.id.as_str()).collect()
    }

    fn field(row: &Row, key: &str) -> Value {
        serde_json::to_value(row).unwrap()[key].clone()
    }

    #[test]
    fn configured_fields_win_and_missing_ids_are_filled() {
        let merged = again(
            vec![json!({"id": "a", "name": "A", "contextWindow": 1000, "source": "live"})],
            vec![
                json!({"id": "a", "name": "My A", "alias": "fav", "temperature": 0.2}),
                json!({"id": "b:cheapest", "maxTokens": 5}),
            ],
            &Merged::default(),
        );
        assert_eq!(ids(&merged), ["a", "b:cheapest"]);
        assert_eq!(field(&merged.rows[0], "name"), "My A");
        assert_eq!(field(&merged.rows[0], "contextWindow"), 1000);
        assert_eq!(field(&merged.rows[0], "temperature"), 0.2);
        assert_eq!(field(&merged.rows[1], "name"), "Default b:cheapest");
        assert_eq!(field(&merged.rows[1], "maxTokens"), 5);
        assert_eq!(field(&merged.rows[1], "source"), "configured");
        // The snapshot holds what the host filled, not the user's values.
        let generated = snapshots(&merged.rows);
        assert_eq!(generated["a"].name.as_deref(), Some("A"));
        assert_eq!(generated["b:cheapest"].max_tokens, None);
    }

    #[test]
    fn hand_edits_to_models_json_survive_refreshes() {
        let first = again(
            vec![
                json!({"id": "a", "name": "A", "contextWindow": 1000}),
                json!({"id": "gone", "name": "Gone"}),
                json!({"id": "edited-gone", "name": "EG"}),
            ],
            vec![],
            &Merged::default(),
        );
        // The user edits models.json by hand (the snapshot on disk stays as written).
        let generated = snapshots(&first.rows);
        let mut edited = first.rows.clone();
        edited[0].filled.name = Some("Renamed".into());
        edited[0].extra.insert("alias".into(), "short".into());
        edited[2].filled.max_tokens = Some(77);
        edited.push(row(json!({"id": "added", "name": "Added by hand"})));

        // The next refresh changes the catalog's figures and drops two models.
        let second = run(
            vec![json!({"id": "a", "name": "A", "contextWindow": 2000})],
            vec![],
            &edited,
            &generated,
        );
        assert_eq!(ids(&second), ["a", "edited-gone", "added"]);
        assert_eq!(field(&second.rows[0], "name"), "Renamed");
        assert_eq!(field(&second.rows[0], "alias"), "short");
        assert_eq!(
            field(&second.rows[0], "contextWindow"),
            2000,
            "generated figures refresh"
        );
        assert_eq!(field(&second.rows[1], "source"), "kept");
        assert_eq!(field(&second.rows[1], "maxTokens"), 77);
        assert_eq!(field(&second.rows[2], "name"), "Added by hand");

        // And a third refresh keeps all of it again (the snapshots still tell edits apart).
        let third = again(
            vec![json!({"id": "a", "name": "A2", "contextWindow": 3000})],
            vec![],
            &second,
        );
        assert_eq!(ids(&third), ["a", "edited-gone", "added"]);
        assert_eq!(field(&third.rows[0], "name"), "Renamed");
        assert_eq!(field(&third.rows[0], "contextWindow"), 3000);
    }

    #[test]
    fn unedited_rows_follow_the_catalog() {
        let first = again(
            vec![json!({"id": "a", "name": "A"})],
            vec![],
            &Merged::default(),
        );
        let second = again(vec![json!({"id": "a", "name": "A new"})], vec![], &first);
        assert_eq!(field(&second.rows[0], "name"), "A new");
        assert_eq!(second.rows.len(), 1);
    }

    #[test]
    fn duplicates_and_rows_without_ids_are_ignored() {
        let merged = again(
            vec![
                json!({"id": "a"}),
                json!({"id": "a", "name": "dup"}),
                json!({"name": "no id"}),
            ],
            vec![],
            &Merged::default(),
        );
        assert_eq!(ids(&merged), ["a"]);
        assert!(merged.rows[0].filled.name.is_none());
    }
}
