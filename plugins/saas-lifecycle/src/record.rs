//! The instance record kept in KV under `instance/<instance-id>`, and its
//! text encoding.
//!
//! The encoding is one `key=value` line per field, with `\` and newlines
//! escaped, so records stay readable in the host's KV dumps without pulling a
//! JSON library into the component.

use bazaar_sdk::{Decimal, PluginError, Timestamp, decimal};

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Running,
    Frozen,
    Released,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Frozen => "frozen",
            Self::Released => "released",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "running" => Some(Self::Running),
            "frozen" => Some(Self::Frozen),
            "released" => Some(Self::Released),
            _ => None,
        }
    }
}

/// Everything the plugin remembers about one instance. The password is not
/// among it: it is handed to the host once (which keeps it encrypted for the
/// customer) and a plugin has no reason to hold a credential it issued. A
/// record written by an older version with a `password` line still decodes
/// (the line is ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstanceRecord {
    pub instance_id: String,
    pub order_id: String,
    pub state: State,
    pub expires_at: Option<Timestamp>,
    pub sku: String,
    pub quantity: Decimal,
    pub trial: bool,
    pub frontend_url: String,
    pub username: String,
    /// The freeze reason (`expired`, `arrears`...) while frozen.
    pub frozen_for: Option<String>,
    /// The release reason once released.
    pub released_for: Option<String>,
}

impl InstanceRecord {
    pub(crate) fn encode(&self) -> String {
        let fields = [
            ("instance-id", Some(self.instance_id.clone())),
            ("order-id", Some(self.order_id.clone())),
            ("state", Some(self.state.as_str().to_owned())),
            ("expires-at", self.expires_at.map(|t| t.to_string())),
            ("sku", Some(self.sku.clone())),
            ("quantity", Some(decimal::format(self.quantity))),
            ("trial", Some(self.trial.to_string())),
            ("frontend-url", Some(self.frontend_url.clone())),
            ("username", Some(self.username.clone())),
            ("frozen-for", self.frozen_for.clone()),
            ("released-for", self.released_for.clone()),
        ];
        let mut out = String::new();
        for (key, value) in fields {
            if let Some(value) = value {
                out.push_str(key);
                out.push('=');
                out.push_str(&escape(&value));
                out.push('\n');
            }
        }
        out
    }

    /// Decodes a record written by [`encode`](Self::encode). A record that
    /// does not decode is corrupt state: retrying will not fix it, so the
    /// error refuses.
    pub(crate) fn decode(key: &str, text: &str) -> Result<Self, PluginError> {
        let corrupt = |what: &str| PluginError::refused(format!("corrupt record `{key}`: {what}"));
        let mut fields = std::collections::BTreeMap::new();
        for line in text.lines() {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| corrupt("a line without `=`"))?;
            fields.insert(k, unescape(v));
        }
        let mut take = |k: &str| fields.remove(k);
        let required = |v: Option<String>, k: &str| v.ok_or_else(|| corrupt(&format!("no {k}")));
        Ok(Self {
            instance_id: required(take("instance-id"), "instance-id")?,
            order_id: required(take("order-id"), "order-id")?,
            state: State::parse(&required(take("state"), "state")?)
                .ok_or_else(|| corrupt("unknown state"))?,
            expires_at: take("expires-at")
                .map(|t| t.parse().map_err(|_| corrupt("bad expires-at")))
                .transpose()?,
            sku: required(take("sku"), "sku")?,
            quantity: decimal::parse("quantity", &required(take("quantity"), "quantity")?)
                .map_err(|_| corrupt("bad quantity"))?,
            trial: required(take("trial"), "trial")? == "true",
            frontend_url: required(take("frontend-url"), "frontend-url")?,
            username: required(take("username"), "username")?,
            frozen_for: take("frozen-for"),
            released_for: take("released-for"),
        })
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> InstanceRecord {
        InstanceRecord {
            instance_id: "inst-0011223344556677".into(),
            order_id: "order\nwith=odd\\chars".into(),
            state: State::Frozen,
            expires_at: Some(1_700_000_000_000),
            sku: "sku-basic".into(),
            quantity: Decimal::new(1250, 2),
            trial: true,
            frontend_url: "https://app.example.com/t/inst-0011223344556677".into(),
            username: "admin".into(),
            frozen_for: Some("arrears".into()),
            released_for: None,
        }
    }

    #[test]
    fn round_trips() {
        let r = record();
        assert_eq!(InstanceRecord::decode("k", &r.encode()), Ok(r));
    }

    #[test]
    fn records_of_older_versions_with_a_password_still_decode() {
        let r = record();
        let old = format!("{}password=abcdEFGH2345jkmn\n", r.encode());
        assert_eq!(InstanceRecord::decode("k", &old), Ok(r.clone()));
        assert!(!r.encode().contains("password"));
    }

    #[test]
    fn corrupt_records_are_refused() {
        let error = InstanceRecord::decode("instance/x", "state=running\n").unwrap_err();
        assert!(matches!(error, PluginError::Refused(m) if m.contains("instance/x")));
    }
}
