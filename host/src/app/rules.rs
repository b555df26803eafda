//! Platform rule plugins without a redeploy: operators upload a review,
//! pricing or settlement (tax) rule as a plugin, then activate a version
//! under a rule name. The next review uses the active review rules, the next
//! bill the active settlement rules; activating an older version rolls back.

use super::{App, AppError, Caller};
use crate::runtime::World;
use crate::store::{Role, RuleActivation};
use serde::Deserialize;

/// The world a rule kind's plugins must export.
fn world_of(kind: &str) -> Result<World, AppError> {
    match kind {
        "review" => Ok(World::Review),
        "pricing" => Ok(World::Pricing),
        "settlement" => Ok(World::Settlement),
        other => Err(AppError::bad(
            "kind",
            format!("unknown rule kind `{other}`; expected review, pricing or settlement"),
        )),
    }
}

/// Checks a rule's kind and name; answers the world its plugins export.
pub fn check_rule(kind: &str, name: &str) -> Result<World, AppError> {
    let world = world_of(kind)?;
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(world)
    } else {
        Err(AppError::bad("name", "1 to 64 letters, digits, `-` or `_`"))
    }
}

/// The active rules and every activation, oldest first.
pub async fn list(
    app: &App,
    caller: &Caller,
) -> Result<(Vec<RuleActivation>, Vec<RuleActivation>), AppError> {
    caller.require(&[Role::Operator])?;
    let active = app.store.active_rules(None).await?;
    let history = app.store.rule_history().await?;
    Ok((active, history))
}

/// `POST /v1/rules/{kind}/{name}/activate`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Activation {
    /// sha256 of an uploaded plugin version.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub plugin: String,
}

/// An operator activates `req.plugin` as rule `name` of `kind`; answers
/// the activation time.
pub async fn activate(
    app: &App,
    caller: &Caller,
    kind: &str,
    name: &str,
    req: &Activation,
) -> Result<i64, AppError> {
    caller.require(&[Role::Operator])?;
    let world = check_rule(kind, name)?;
    let plugin = app.runtime.get(&req.plugin).ok_or_else(|| {
        AppError::NotFound(format!("no plugin version {}; upload it first", req.plugin))
    })?;
    if !plugin.worlds.contains(&world) {
        return Err(AppError::bad(
            "plugin",
            format!(
                "plugin {} does not export the {} world a {kind} rule needs",
                req.plugin,
                world.interface()
            ),
        ));
    }
    let now = app.clock.now_ms();
    app.store
        .activate_rule(kind, name, Some(&req.plugin), &caller.id, now)
        .await?;
    Ok(now)
}

/// An operator deactivates the active rule `name` of `kind`; answers the
/// time.
pub async fn deactivate(
    app: &App,
    caller: &Caller,
    kind: &str,
    name: &str,
) -> Result<i64, AppError> {
    caller.require(&[Role::Operator])?;
    check_rule(kind, name)?;
    let active = app.store.active_rules(Some(kind)).await?;
    if !active.iter().any(|r| r.name == name) {
        return Err(AppError::NotFound(format!("no active {kind} rule {name}")));
    }
    let now = app.clock.now_ms();
    app.store
        .activate_rule(kind, name, None, &caller.id, now)
        .await?;
    Ok(now)
}
