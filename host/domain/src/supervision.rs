//! Service supervision for one order (seller guide §6.1–§6.3, FAQ 11.13).
//!
//! After payment the customer submits its request, the seller accepts or
//! rejects it, delivers, and the customer accepts or rejects the delivery.
//! A deadlocked or stalled flow can be appealed; the flow is then frozen
//! until the operator resumes or closes it. The order's bill waits for the
//! flow to complete, and a yearly/monthly product's usage starts when the
//! customer accepts the delivery.
//!
//! The module is pure: time comes in as `now_ms` (unix milliseconds) and the
//! whole [`Flow`] is stored as kebab-case JSON.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A party may appeal once the other side has held its turn for more than this many days.
pub const IDLE_DAYS_FOR_APPEAL: i64 = 5;
/// Rejections after which the flow counts as deadlocked and may be appealed.
pub const REJECTIONS_FOR_APPEAL: u32 = 3;
/// The order turns Completed this long after the customer accepts the delivery.
pub const COMPLETION_DELAY_MS: i64 = 3 * HOUR_MS;
/// Longest request, delivery, reason or note text, in characters (the
/// console's "maximum of 1,000 characters" for results and appeal reasons).
pub const MAX_TEXT_CHARS: usize = 1_000;

const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Who performs an action on the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    /// The buyer of the order.
    Customer,
    /// The seller delivering the product or service.
    Seller,
    /// The marketplace operations manager who handles appeals.
    Operator,
}

impl Party {
    /// The kebab-case name used in JSON and messages.
    pub fn name(self) -> &'static str {
        match self {
            Party::Customer => "customer",
            Party::Seller => "seller",
            Party::Operator => "operator",
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the service flow of an order stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum FlowState {
    /// The order is paid; the customer must submit its request.
    AwaitingRequest,
    /// The seller must accept or reject the customer's request.
    Requested,
    /// The seller accepted the request and is delivering.
    Accepted,
    /// The customer must accept or reject the delivery.
    Delivered,
    /// The customer accepted the delivery; the order can be billed.
    Completed,
    /// Frozen by an appeal; only the operator can act.
    Appealed {
        /// The state the flow was in when the appeal was lodged.
        from: Box<FlowState>,
    },
    /// The operator resolved an appeal by closing (refunding) the order.
    Closed,
}

impl FlowState {
    /// The kebab-case name used in JSON, history and messages.
    pub fn name(&self) -> &'static str {
        match self {
            FlowState::AwaitingRequest => "awaiting-request",
            FlowState::Requested => "requested",
            FlowState::Accepted => "accepted",
            FlowState::Delivered => "delivered",
            FlowState::Completed => "completed",
            FlowState::Appealed { .. } => "appealed",
            FlowState::Closed => "closed",
        }
    }
}

impl fmt::Display for FlowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something a party does to the flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Customer: submit (or resubmit) the service request.
    SubmitRequest {
        /// What the customer needs.
        details: String,
    },
    /// Seller: accept the request and start delivering.
    AcceptRequest,
    /// Seller: send the request back to the customer for modification.
    RejectRequest {
        /// Why the request is not acceptable.
        reason: String,
    },
    /// Seller: report the delivery and wait for the customer's acceptance.
    Deliver {
        /// The service result description.
        details: String,
    },
    /// Customer: accept the delivery, completing the flow.
    AcceptDelivery,
    /// Customer: send the delivery back to the seller.
    RejectDelivery {
        /// What is wrong with the delivery.
        reason: String,
    },
    /// Customer or seller: freeze the flow for the operator to judge.
    Appeal {
        /// Why the operator should step in.
        reason: String,
    },
    /// Operator: end an appeal.
    ResolveAppeal {
        /// `true` returns to the state the flow was appealed from; `false` closes it.
        resume: bool,
        /// The operator's ruling.
        note: String,
    },
}

impl Action {
    /// The kebab-case name used in JSON and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Action::SubmitRequest { .. } => "submit-request",
            Action::AcceptRequest => "accept-request",
            Action::RejectRequest { .. } => "reject-request",
            Action::Deliver { .. } => "deliver",
            Action::AcceptDelivery => "accept-delivery",
            Action::RejectDelivery { .. } => "reject-delivery",
            Action::Appeal { .. } => "appeal",
            Action::ResolveAppeal { .. } => "resolve-appeal",
        }
    }

    /// The free text the action carries, with its field name.
    fn text(&self) -> Option<(&'static str, &str)> {
        match self {
            Action::SubmitRequest { details } | Action::Deliver { details } => {
                Some(("details", details))
            }
            Action::RejectRequest { reason }
            | Action::RejectDelivery { reason }
            | Action::Appeal { reason } => Some(("reason", reason)),
            Action::ResolveAppeal { note, .. } => Some(("note", note)),
            Action::AcceptRequest | Action::AcceptDelivery => None,
        }
    }

    /// Trim the free text so history stores what the limits were checked against.
    fn trimmed(mut self) -> Action {
        if let Action::SubmitRequest { details: t }
        | Action::Deliver { details: t }
        | Action::RejectRequest { reason: t }
        | Action::RejectDelivery { reason: t }
        | Action::Appeal { reason: t }
        | Action::ResolveAppeal { note: t, .. } = &mut self
        {
            let trimmed = t.trim();
            if trimmed.len() != t.len() {
                *t = trimmed.to_owned();
            }
        }
        self
    }
}

/// One accepted action, kept so the console can show the flow's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Step {
    /// When the action was taken (unix millis).
    pub at_ms: i64,
    /// Who took it.
    pub party: Party,
    /// The action, with its text trimmed.
    pub action: Action,
    /// Name of the state before the action.
    pub from: String,
    /// Name of the state after the action.
    pub to: String,
}

/// Why an action was refused; the flow is unchanged whenever one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// The action fits the state, but another party must take it.
    #[error("the {party} cannot {action} while the flow is {state}")]
    NotYourTurn {
        /// Who tried.
        party: Party,
        /// What was tried.
        action: &'static str,
        /// The flow's state.
        state: &'static str,
    },
    /// Nobody can take this action in the current state.
    #[error("cannot {action} while the flow is {state}")]
    InvalidInState {
        /// What was tried.
        action: &'static str,
        /// The flow's state.
        state: &'static str,
    },
    /// An appeal froze the flow and the caller is not the operator.
    #[error("the flow is frozen by an appeal; only the operator can act")]
    Frozen,
    /// Neither the rejection nor the idle condition for an appeal holds.
    #[error("appeal not allowed: {reason}")]
    AppealNotAllowed {
        /// Which condition failed.
        reason: String,
    },
    /// A required text is blank.
    #[error("{field} must not be empty")]
    EmptyText {
        /// The offending field.
        field: &'static str,
    },
    /// A text exceeds [`MAX_TEXT_CHARS`].
    #[error("{field} must be at most {max} characters")]
    TooLong {
        /// The offending field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
}

impl FlowError {
    /// The input field at fault, for forms that highlight it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FlowError::EmptyText { field } | FlowError::TooLong { field, .. } => Some(field),
            FlowError::AppealNotAllowed { .. } => Some("reason"),
            _ => None,
        }
    }
}

/// The service flow of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Flow {
    /// Where the flow stands.
    pub state: FlowState,
    /// Requests the seller rejected since the flow began or last resumed.
    pub seller_rejections: u32,
    /// Deliveries the customer rejected since the flow began or last resumed.
    pub customer_rejections: u32,
    /// When anyone last acted (payment, at first); the idle clock runs from here.
    pub last_activity_ms: i64,
    /// When the customer accepted delivery; a yearly/monthly product's usage starts here.
    pub accepted_at_ms: Option<i64>,
    /// Every accepted action, oldest first.
    pub history: Vec<Step>,
}

impl Flow {
    /// A flow for an order paid at `now_ms`, waiting for the customer's request.
    pub fn new(now_ms: i64) -> Flow {
        Flow {
            state: FlowState::AwaitingRequest,
            seller_rejections: 0,
            customer_rejections: 0,
            last_activity_ms: now_ms,
            accepted_at_ms: None,
            history: Vec::new(),
        }
    }

    /// Who must act next: `None` once the flow has ended.
    pub fn whose_turn(&self) -> Option<Party> {
        match self.state {
            FlowState::AwaitingRequest | FlowState::Delivered => Some(Party::Customer),
            FlowState::Requested | FlowState::Accepted => Some(Party::Seller),
            FlowState::Appealed { .. } => Some(Party::Operator),
            FlowState::Completed | FlowState::Closed => None,
        }
    }

    /// Whether the customer accepted the delivery.
    pub fn is_complete(&self) -> bool {
        self.state == FlowState::Completed
    }

    /// Whether the order's bill may be generated: only after the flow completes.
    pub fn billable(&self) -> bool {
        self.is_complete()
    }

    /// When the order itself turns Completed, if the flow has completed.
    pub fn order_completes_at_ms(&self) -> Option<i64> {
        match self.state {
            FlowState::Completed => self.accepted_at_ms.map(|at| at + COMPLETION_DELAY_MS),
            _ => None,
        }
    }

    /// Whether `party` may appeal at `now_ms`; `Err` explains why not.
    ///
    /// The seller may appeal after the customer rejected three deliveries or
    /// after it rejected three requests itself (§6.2 "Appeal"); the customer
    /// after the seller rejected three requests. Either may appeal when the
    /// other side has held its turn for more than [`IDLE_DAYS_FOR_APPEAL`] days.
    pub fn appeal_allowed(&self, party: Party, now_ms: i64) -> Result<(), String> {
        let (other, deadlocked) = match party {
            Party::Seller => (
                Party::Customer,
                self.customer_rejections >= REJECTIONS_FOR_APPEAL
                    || self.seller_rejections >= REJECTIONS_FOR_APPEAL,
            ),
            Party::Customer => (
                Party::Seller,
                self.seller_rejections >= REJECTIONS_FOR_APPEAL,
            ),
            Party::Operator => return Err("only the customer or the seller can appeal".into()),
        };
        let turn = match self.whose_turn() {
            Some(p @ (Party::Customer | Party::Seller)) => p,
            _ => return Err(format!("the flow is {}, not in progress", self.state)),
        };
        if deadlocked {
            return Ok(());
        }
        if turn != other {
            return Err(format!(
                "too few rejections, and it is the {party}'s own turn to act"
            ));
        }
        // Saturating, so a clock that went backwards reads as "not idle".
        let idle_ms = now_ms.saturating_sub(self.last_activity_ms);
        if idle_ms > IDLE_DAYS_FOR_APPEAL * DAY_MS {
            Ok(())
        } else {
            Err(format!(
                "too few rejections, and the {other} has not been idle for more than {IDLE_DAYS_FOR_APPEAL} days"
            ))
        }
    }

    /// Let `party` take `action` at `now_ms`; on error nothing changes.
    pub fn apply(&mut self, party: Party, action: Action, now_ms: i64) -> Result<(), FlowError> {
        let action = action.trimmed();
        let to = self.target(party, &action, now_ms)?;
        match &action {
            Action::RejectRequest { .. } => {
                self.seller_rejections = self.seller_rejections.saturating_add(1)
            }
            Action::RejectDelivery { .. } => {
                self.customer_rejections = self.customer_rejections.saturating_add(1)
            }
            Action::AcceptDelivery => self.accepted_at_ms = Some(now_ms),
            // The operator has ruled on the dispute the rejections raised, so
            // they must not let either side appeal again straight away.
            Action::ResolveAppeal { resume: true, .. } => {
                self.seller_rejections = 0;
                self.customer_rejections = 0;
            }
            _ => {}
        }
        let from = std::mem::replace(&mut self.state, to);
        self.history.push(Step {
            at_ms: now_ms,
            party,
            action,
            from: from.name().to_owned(),
            to: self.state.name().to_owned(),
        });
        self.last_activity_ms = now_ms;
        Ok(())
    }

    /// Validate without mutating and return the state the action leads to.
    fn target(&self, party: Party, action: &Action, now_ms: i64) -> Result<FlowState, FlowError> {
        use FlowState as S;
        if matches!(self.state, S::Appealed { .. }) && party != Party::Operator {
            return Err(FlowError::Frozen);
        }
        let state = self.state.name();
        let (actor_ok, to) = match (action, &self.state) {
            (Action::SubmitRequest { .. }, S::AwaitingRequest) => {
                (party == Party::Customer, S::Requested)
            }
            (Action::AcceptRequest, S::Requested) => (party == Party::Seller, S::Accepted),
            (Action::RejectRequest { .. }, S::Requested) => {
                (party == Party::Seller, S::AwaitingRequest)
            }
            (Action::Deliver { .. }, S::Accepted) => (party == Party::Seller, S::Delivered),
            (Action::AcceptDelivery, S::Delivered) => (party == Party::Customer, S::Completed),
            (Action::RejectDelivery { .. }, S::Delivered) => {
                (party == Party::Customer, S::Accepted)
            }
            (
                Action::Appeal { .. },
                S::AwaitingRequest | S::Requested | S::Accepted | S::Delivered,
            ) => (
                party != Party::Operator,
                S::Appealed {
                    from: Box::new(self.state.clone()),
                },
            ),
            (Action::ResolveAppeal { resume, .. }, S::Appealed { from }) => (
                party == Party::Operator,
                if *resume { (**from).clone() } else { S::Closed },
            ),
            _ => {
                return Err(FlowError::InvalidInState {
                    action: action.name(),
                    state,
                });
            }
        };
        if !actor_ok {
            return Err(FlowError::NotYourTurn {
                party,
                action: action.name(),
                state,
            });
        }
        if let Some((field, text)) = action.text() {
            if text.is_empty() {
                return Err(FlowError::EmptyText { field });
            }
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(FlowError::TooLong {
                    field,
                    max: MAX_TEXT_CHARS,
                });
            }
        }
        if let Action::Appeal { .. } = action {
            self.appeal_allowed(party, now_ms)
                .map_err(|reason| FlowError::AppealNotAllowed { reason })?;
        }
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Party::{Customer, Operator, Seller};

    const T0: i64 = 1_700_000_000_000;

    fn text(s: &str) -> String {
        s.to_owned()
    }
    fn submit() -> Action {
        Action::SubmitRequest {
            details: text("set up 10 seats"),
        }
    }
    fn reject_req() -> Action {
        Action::RejectRequest {
            reason: text("unclear"),
        }
    }
    fn deliver() -> Action {
        Action::Deliver {
            details: text("done"),
        }
    }
    fn reject_del() -> Action {
        Action::RejectDelivery {
            reason: text("broken"),
        }
    }
    fn appeal() -> Action {
        Action::Appeal {
            reason: text("stuck"),
        }
    }
    fn resolve(resume: bool) -> Action {
        Action::ResolveAppeal {
            resume,
            note: text("ruled"),
        }
    }
    fn all_actions() -> Vec<Action> {
        vec![
            submit(),
            Action::AcceptRequest,
            reject_req(),
            deliver(),
            Action::AcceptDelivery,
            reject_del(),
            appeal(),
            resolve(true),
        ]
    }

    /// Drive a fresh flow through `steps`, one minute apart.
    fn flow_after(steps: &[(Party, Action)]) -> Flow {
        let mut f = Flow::new(T0);
        for (i, (p, a)) in steps.iter().enumerate() {
            f.apply(*p, a.clone(), T0 + 60_000 * (i as i64 + 1))
                .unwrap();
        }
        f
    }

    /// One flow in every state, the appealed one with customer rejections to permit it.
    fn flows_in_every_state() -> Vec<Flow> {
        let to_delivered = [
            (Customer, submit()),
            (Seller, Action::AcceptRequest),
            (Seller, deliver()),
        ];
        let mut appealed = to_delivered.to_vec();
        for _ in 0..REJECTIONS_FOR_APPEAL {
            appealed.extend([(Customer, reject_del()), (Seller, deliver())]);
        }
        appealed.push((Seller, appeal()));
        let mut closed = appealed.clone();
        closed.push((Operator, resolve(false)));
        vec![
            flow_after(&[]),
            flow_after(&to_delivered[..1]),
            flow_after(&to_delivered[..2]),
            flow_after(&to_delivered),
            flow_after(
                &[
                    to_delivered.as_slice(),
                    &[(Customer, Action::AcceptDelivery)],
                ]
                .concat(),
            ),
            flow_after(&appealed),
            flow_after(&closed),
        ]
    }

    #[test]
    fn happy_path() {
        let f = flow_after(&[
            (Customer, submit()),
            (Seller, Action::AcceptRequest),
            (Seller, deliver()),
            (Customer, Action::AcceptDelivery),
        ]);
        assert!(f.is_complete() && f.billable());
        assert_eq!(f.whose_turn(), None);
        assert_eq!(f.accepted_at_ms, Some(T0 + 240_000));
        assert_eq!(f.order_completes_at_ms(), Some(T0 + 240_000 + 3 * HOUR_MS));
        let path: Vec<_> = f.history.iter().map(|s| s.to.as_str()).collect();
        assert_eq!(path, ["requested", "accepted", "delivered", "completed"]);
        assert_eq!(f.history[0].from, "awaiting-request");
    }

    #[test]
    fn bill_waits_for_completion() {
        for f in flows_in_every_state() {
            assert_eq!(f.billable(), f.state == FlowState::Completed, "{}", f.state);
            assert_eq!(f.order_completes_at_ms().is_some(), f.billable());
        }
    }

    #[test]
    fn wrong_party_and_wrong_state() {
        for f in flows_in_every_state() {
            for action in all_actions() {
                for party in [Customer, Seller, Operator] {
                    let mut g = f.clone();
                    let res = g.apply(party, action.clone(), T0 + 10 * DAY_MS);
                    let frozen = matches!(f.state, FlowState::Appealed { .. });
                    let expected = match (&action, f.state.name()) {
                        (Action::SubmitRequest { .. }, "awaiting-request") => Some(Customer),
                        (Action::AcceptRequest | Action::RejectRequest { .. }, "requested") => {
                            Some(Seller)
                        }
                        (Action::Deliver { .. }, "accepted") => Some(Seller),
                        (Action::AcceptDelivery | Action::RejectDelivery { .. }, "delivered") => {
                            Some(Customer)
                        }
                        (Action::ResolveAppeal { .. }, "appealed") => Some(Operator),
                        _ => None,
                    };
                    let ctx = format!("{party} {} in {}", action.name(), f.state);
                    match res {
                        Ok(()) if matches!(action, Action::Appeal { .. }) => {
                            assert!(party != Operator && !frozen, "{ctx}")
                        }
                        Ok(()) => assert_eq!(expected, Some(party), "{ctx}"),
                        Err(FlowError::Frozen) => assert!(frozen && party != Operator, "{ctx}"),
                        Err(FlowError::NotYourTurn { .. }) => {
                            assert!(
                                expected.is_some_and(|p| p != party) || party == Operator,
                                "{ctx}"
                            )
                        }
                        Err(FlowError::InvalidInState { .. }) => {
                            assert!(expected.is_none(), "{ctx}")
                        }
                        Err(FlowError::AppealNotAllowed { .. }) => {
                            assert!(matches!(action, Action::Appeal { .. }), "{ctx}")
                        }
                        Err(e) => panic!("{ctx}: {e}"),
                    }
                    if res.is_err() {
                        assert_eq!(g, f, "{ctx} mutated on error");
                    }
                }
            }
        }
    }

    #[test]
    fn specific_errors() {
        let mut f = Flow::new(T0);
        let err = f.apply(Seller, Action::AcceptRequest, T0).unwrap_err();
        assert_eq!(
            err,
            FlowError::InvalidInState {
                action: "accept-request",
                state: "awaiting-request"
            }
        );
        let err = f.apply(Seller, submit(), T0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the seller cannot submit-request while the flow is awaiting-request"
        );
        assert_eq!(
            f.apply(Operator, appeal(), T0 + 6 * DAY_MS)
                .unwrap_err()
                .field(),
            None
        );
    }

    #[test]
    fn rejected_request_returns_to_customer() {
        let f = flow_after(&[(Customer, submit()), (Seller, reject_req())]);
        assert_eq!(f.state, FlowState::AwaitingRequest);
        assert_eq!((f.seller_rejections, f.whose_turn()), (1, Some(Customer)));
        let f = flow_after(&[
            (Customer, submit()),
            (Seller, Action::AcceptRequest),
            (Seller, deliver()),
            (Customer, reject_del()),
        ]);
        assert_eq!(
            (f.state.clone(), f.customer_rejections),
            (FlowState::Accepted, 1)
        );
    }

    #[test]
    fn three_delivery_rejections_let_only_the_seller_appeal() {
        let mut steps = vec![(Customer, submit()), (Seller, Action::AcceptRequest)];
        for _ in 0..REJECTIONS_FOR_APPEAL {
            steps.extend([(Seller, deliver()), (Customer, reject_del())]);
        }
        let f = flow_after(&steps[..steps.len() - 1]);
        assert!(
            f.appeal_allowed(Seller, T0).is_err(),
            "two rejections are not enough"
        );
        let f = flow_after(&steps);
        let now = f.last_activity_ms + 1;
        assert_eq!(f.appeal_allowed(Seller, now), Ok(()));
        assert!(f.appeal_allowed(Customer, now).is_err());
        assert!(f.appeal_allowed(Operator, now).is_err());
        let mut g = f.clone();
        let err = g.apply(Customer, appeal(), now).unwrap_err();
        assert!(matches!(err, FlowError::AppealNotAllowed { .. }));
        assert_eq!(err.field(), Some("reason"));
        g.apply(Seller, appeal(), now).unwrap();
        assert_eq!(g.whose_turn(), Some(Operator));
    }

    #[test]
    fn three_request_rejections_let_the_customer_appeal() {
        let mut steps = Vec::new();
        for _ in 0..REJECTIONS_FOR_APPEAL {
            steps.extend([(Customer, submit()), (Seller, reject_req())]);
        }
        let f = flow_after(&steps);
        let now = f.last_activity_ms + 1;
        assert_eq!(f.appeal_allowed(Customer, now), Ok(()));
        // §6.2 also lets the seller appeal after rejecting three requests itself.
        assert_eq!(f.appeal_allowed(Seller, now), Ok(()));
    }

    #[test]
    fn idle_for_more_than_five_days() {
        let f = Flow::new(T0);
        let five_days = T0 + IDLE_DAYS_FOR_APPEAL * DAY_MS;
        assert!(f.appeal_allowed(Seller, five_days).is_err());
        assert_eq!(f.appeal_allowed(Seller, five_days + 1), Ok(()));
        assert!(
            f.appeal_allowed(Customer, five_days + 1).is_err(),
            "own turn"
        );
        assert!(
            f.appeal_allowed(Seller, T0 - DAY_MS).is_err(),
            "clock went back"
        );

        let f = flow_after(&[(Customer, submit())]);
        let since = f.last_activity_ms + IDLE_DAYS_FOR_APPEAL * DAY_MS;
        assert!(f.appeal_allowed(Customer, since).is_err());
        assert_eq!(f.appeal_allowed(Customer, since + 1), Ok(()));
        assert!(f.appeal_allowed(Seller, since + 1).is_err());
    }

    #[test]
    fn appeal_freezes_then_resume_or_close() {
        let mut f = Flow::new(T0);
        let t = T0 + IDLE_DAYS_FOR_APPEAL * DAY_MS + 1;
        f.apply(Seller, appeal(), t).unwrap();
        assert_eq!(
            f.state,
            FlowState::Appealed {
                from: Box::new(FlowState::AwaitingRequest)
            }
        );
        for party in [Customer, Seller] {
            for action in all_actions() {
                assert_eq!(f.apply(party, action, t), Err(FlowError::Frozen));
            }
        }
        let mut closed = f.clone();
        closed.apply(Operator, resolve(false), t + 1).unwrap();
        assert_eq!(
            (closed.state.clone(), closed.whose_turn()),
            (FlowState::Closed, None)
        );

        f.apply(Operator, resolve(true), t + 1).unwrap();
        assert_eq!(f.state, FlowState::AwaitingRequest);
        assert_eq!(f.last_activity_ms, t + 1, "idle clock restarts");
        f.apply(Customer, submit(), t + 2).unwrap();

        let mut g = flows_in_every_state().swap_remove(5);
        g.apply(Operator, resolve(true), T0 + DAY_MS).unwrap();
        assert_eq!(g.state, FlowState::Delivered);
        assert_eq!(
            g.customer_rejections, 0,
            "the ruling settles earlier rejections"
        );
        assert!(g.appeal_allowed(Seller, T0 + DAY_MS + 1).is_err());
    }

    #[test]
    fn text_is_trimmed_and_limited() {
        let mut f = Flow::new(T0);
        for (details, field_err) in [
            (text("  \n"), FlowError::EmptyText { field: "details" }),
            (
                "x".repeat(MAX_TEXT_CHARS + 1),
                FlowError::TooLong {
                    field: "details",
                    max: MAX_TEXT_CHARS,
                },
            ),
        ] {
            let err = f
                .apply(Customer, Action::SubmitRequest { details }, T0)
                .unwrap_err();
            assert_eq!(err.field(), Some("details"));
            assert_eq!(err, field_err);
        }
        assert_eq!(f, Flow::new(T0));
        let padded = format!(" {} ", "é".repeat(MAX_TEXT_CHARS));
        f.apply(Customer, Action::SubmitRequest { details: padded }, T0)
            .unwrap();
        assert_eq!(
            f.history[0].action,
            Action::SubmitRequest {
                details: "é".repeat(MAX_TEXT_CHARS)
            }
        );
    }

    #[test]
    fn json_round_trip() {
        let f = flows_in_every_state().swap_remove(5);
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains(r#""state":{"state":"appealed","from":{"state":"delivered"}}"#));
        assert!(json.contains(r#""customer-rejections":3"#));
        assert!(json.contains(r#""action":{"action":"reject-delivery","reason":"broken"}"#));
        assert_eq!(serde_json::from_str::<Flow>(&json).unwrap(), f);
        let action: Action =
            serde_json::from_str(r#"{"action":"resolve-appeal","resume":false,"note":"n"}"#)
                .unwrap();
        assert_eq!(
            action,
            Action::ResolveAppeal {
                resume: false,
                note: text("n")
            }
        );
    }
}
