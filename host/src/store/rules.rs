//! Platform rule plugins (review and pricing) and their activation
//! history: activating appends a row, so the previous version is one
//! activation away and every change is on record.

use super::{Pool, Store, StoreError};
use serde::Serialize;

/// One activation (or, with no plugin, deactivation) of a rule.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "kebab-case")]
pub struct RuleActivation {
    /// Order of activations.
    pub id: i64,
    /// `review`, `pricing` or `settlement`.
    pub kind: String,
    /// The rule's name.
    pub name: String,
    /// The plugin version; `None` when the rule was deactivated.
    pub plugin: Option<String>,
    /// The operator.
    pub activated_by: String,
    /// When (ms).
    pub activated_at: i64,
}

const COLUMNS: &str = "id, kind, name, plugin, activated_by, activated_at";

impl Store {
    /// Records an activation (`plugin: None` deactivates).
    pub async fn activate_rule(
        &self,
        kind: &str,
        name: &str,
        plugin: Option<&str>,
        operator_id: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let q = "INSERT INTO rule_activations (kind, name, plugin, activated_by, activated_at) \
                 VALUES ($1, $2, $3, $4, $5)";
        let _turn = self.write_turn().await;
        on_pool!(self, pool => sqlx::query(q).bind(kind).bind(name).bind(plugin)
            .bind(operator_id).bind(now_ms).execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Every activation, oldest first.
    pub async fn rule_history(&self) -> Result<Vec<RuleActivation>, StoreError> {
        let q = format!("SELECT {COLUMNS} FROM rule_activations ORDER BY id");
        Ok(on_pool!(self, pool => sqlx::query_as(&q).fetch_all(pool).await)?)
    }

    /// The active rules (of `kind` if given): each name's latest
    /// activation, unless that was a deactivation; ordered by kind and name.
    pub async fn active_rules(
        &self,
        kind: Option<&str>,
    ) -> Result<Vec<RuleActivation>, StoreError> {
        let q = format!(
            "SELECT {COLUMNS} FROM rule_activations r WHERE ($1 IS NULL OR kind = $1) \
             AND id = (SELECT MAX(id) FROM rule_activations l WHERE l.kind = r.kind AND l.name = r.name) \
             AND plugin IS NOT NULL ORDER BY kind, name"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(kind).fetch_all(pool).await)?)
    }
}
