//! Who may start a plugin call now: the pool's threads are shared out with
//! a cap per seller (and a tighter one for debug calls), a reserve only the
//! lifecycle worker may use, and a queue that serves waiting sellers in
//! turn, so one seller's flood of calls waits behind its own cap instead of
//! in front of everyone else.

use super::{CallKind, PoolConfig, Ticket};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;

/// The lane the worker's calls queue in: one lane, whatever seller's
/// product they serve, since the worker already bounds its own concurrency.
const WORKER_LANE: &str = "";

/// The shared admission state.
pub(super) struct Admission {
    config: PoolConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Calls running, every kind.
    running: usize,
    /// Calls running that are not the worker's.
    running_shared: usize,
    /// Per queue lane (a seller, or [`WORKER_LANE`]).
    lanes: HashMap<String, Lane>,
    /// Lanes with waiters, in the order they are offered the next free thread.
    ring: VecDeque<String>,
    next_id: u64,
}

#[derive(Default)]
struct Lane {
    running: usize,
    debug: usize,
    waiting: VecDeque<Waiter>,
}

struct Waiter {
    id: u64,
    kind: CallKind,
    grant: oneshot::Sender<Permit>,
}

/// The right to run one call; gives its thread back when dropped.
pub(super) struct Permit {
    admission: Arc<Admission>,
    lane: String,
    kind: CallKind,
}

/// Removes a waiter that gave up (timed out, or its request was dropped).
struct Queued<'a> {
    admission: &'a Admission,
    lane: &'a str,
    id: u64,
}

impl Admission {
    pub(super) fn new(config: PoolConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits up to `patience` for a thread; `None` when none was free for
    /// this ticket in time.
    pub(super) async fn admit(
        self: &Arc<Self>,
        ticket: &Ticket,
        patience: Duration,
    ) -> Option<Permit> {
        let lane = lane_of(ticket).to_string();
        let (tx, mut rx) = oneshot::channel();
        let id = {
            let mut state = self.lock();
            let idle = state.lanes.get(&lane).is_none_or(|l| l.waiting.is_empty());
            if idle && self.eligible(&state, &lane, ticket.kind) {
                state.start(&lane, ticket.kind);
                return Some(self.permit(lane, ticket.kind));
            }
            let st = &mut *state;
            st.next_id += 1;
            let id = st.next_id;
            let entry = st.lanes.entry(lane.clone()).or_default();
            if entry.waiting.is_empty() {
                st.ring.push_back(lane.clone());
            }
            entry.waiting.push_back(Waiter {
                id,
                kind: ticket.kind,
                grant: tx,
            });
            // Another kind of call may wait in this lane ahead of this one
            // (a debug call past its cap): this one may still start now.
            self.dispatch(state);
            id
        };
        let queued = Queued {
            admission: self,
            lane: &lane,
            id,
        };
        match tokio::time::timeout(patience, &mut rx).await {
            Ok(Ok(permit)) => Some(permit),
            Ok(Err(_)) => None,
            Err(_) => {
                if queued.withdraw() {
                    None
                } else {
                    // Granted as the wait ran out: the permit is on its way.
                    rx.await.ok()
                }
            }
        }
    }

    fn permit(self: &Arc<Self>, lane: String, kind: CallKind) -> Permit {
        Permit {
            admission: self.clone(),
            lane,
            kind,
        }
    }

    /// Whether a call of `kind` in `lane` may start now.
    fn eligible(&self, state: &State, lane: &str, kind: CallKind) -> bool {
        let c = &self.config;
        if state.running >= c.threads {
            return false;
        }
        if kind == CallKind::Worker {
            return true;
        }
        let l = state.lanes.get(lane);
        let running = l.map_or(0, |l| l.running);
        let debug = l.map_or(0, |l| l.debug);
        state.running_shared < c.shared_threads()
            && running < c.seller_share
            && (kind != CallKind::Debug || debug < c.debug_per_seller)
    }

    /// Hands free threads to waiters, one lane at a time in turn; the
    /// grants are sent after the lock is released.
    fn dispatch(self: &Arc<Self>, mut state: MutexGuard<'_, State>) {
        let mut granted = Vec::new();
        let mut misses = 0;
        while misses < state.ring.len() && state.running < self.config.threads {
            let Some(lane) = state.ring.pop_front() else {
                break;
            };
            let pick = state.lanes.get(&lane).and_then(|l| {
                l.waiting
                    .iter()
                    .position(|w| self.eligible(&state, &lane, w.kind))
            });
            let Some(at) = pick else {
                state.ring.push_back(lane);
                misses += 1;
                continue;
            };
            misses = 0;
            let l = state.lanes.get_mut(&lane).expect("lane with waiters");
            let w = l.waiting.remove(at).expect("picked waiter");
            let more = !l.waiting.is_empty();
            state.start(&lane, w.kind);
            if more {
                state.ring.push_back(lane.clone());
            }
            granted.push((w.grant, self.permit(lane, w.kind)));
        }
        drop(state);
        for (grant, permit) in granted {
            // A waiter that left meanwhile drops the permit, which frees
            // the thread again.
            let _ = grant.send(permit);
        }
    }

    fn finish(self: &Arc<Self>, lane: &str, kind: CallKind) {
        let mut state = self.lock();
        state.running -= 1;
        if kind != CallKind::Worker {
            state.running_shared -= 1;
            if let Some(l) = state.lanes.get_mut(lane) {
                l.running -= 1;
                if kind == CallKind::Debug {
                    l.debug -= 1;
                }
            }
        }
        state.forget_if_idle(lane);
        self.dispatch(state);
    }

    /// Calls running and waiting in `lane`.
    pub(super) fn lane_load(&self, seller: &str) -> (usize, usize) {
        let state = self.lock();
        state
            .lanes
            .get(seller)
            .map_or((0, 0), |l| (l.running, l.waiting.len()))
    }
}

impl State {
    fn start(&mut self, lane: &str, kind: CallKind) {
        self.running += 1;
        if kind == CallKind::Worker {
            return;
        }
        self.running_shared += 1;
        let l = self.lanes.entry(lane.to_string()).or_default();
        l.running += 1;
        if kind == CallKind::Debug {
            l.debug += 1;
        }
    }

    /// Drops a lane's entry once nothing runs or waits in it, so the map
    /// holds only active sellers.
    fn forget_if_idle(&mut self, lane: &str) {
        if self
            .lanes
            .get(lane)
            .is_some_and(|l| l.running == 0 && l.waiting.is_empty())
        {
            self.lanes.remove(lane);
        }
    }
}

impl Queued<'_> {
    /// Takes the waiter out of its queue; false when it was already granted.
    fn withdraw(&self) -> bool {
        let mut state = self.admission.lock();
        let Some(l) = state.lanes.get_mut(self.lane) else {
            return false;
        };
        let Some(at) = l.waiting.iter().position(|w| w.id == self.id) else {
            return false;
        };
        l.waiting.remove(at);
        let empty = l.waiting.is_empty();
        if empty {
            state.ring.retain(|r| r != self.lane);
        }
        state.forget_if_idle(self.lane);
        true
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.withdraw();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.admission.finish(&self.lane, self.kind);
    }
}

fn lane_of(ticket: &Ticket) -> &str {
    match ticket.kind {
        CallKind::Worker => WORKER_LANE,
        _ => &ticket.seller,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PoolConfig {
        PoolConfig {
            threads: 4,
            worker_reserve: 1,
            seller_share: 2,
            debug_per_seller: 1,
            queue_wait: Duration::from_millis(50),
            nice: 0,
        }
    }

    fn ticket(seller: &str, kind: CallKind) -> Ticket {
        Ticket {
            seller: seller.into(),
            kind,
        }
    }

    #[tokio::test]
    async fn a_seller_waits_behind_its_own_share_not_in_front_of_others() {
        let a = Admission::new(config());
        let wait = Duration::from_millis(50);
        let d1 = a.admit(&ticket("s1", CallKind::Debug), wait).await;
        assert!(d1.is_some());
        // Debug calls of one seller: one at a time; its other calls still run.
        assert!(
            a.admit(&ticket("s1", CallKind::Debug), wait)
                .await
                .is_none()
        );
        let s1 = a.admit(&ticket("s1", CallKind::Seller), wait).await;
        assert!(s1.is_some());
        // The seller's share (2) is used up; another seller still gets the
        // last shared thread, and the worker its reserve.
        assert!(
            a.admit(&ticket("s1", CallKind::Seller), wait)
                .await
                .is_none()
        );
        let s2 = a.admit(&ticket("s2", CallKind::Debug), wait).await;
        assert!(s2.is_some());
        assert!(
            a.admit(&ticket("s3", CallKind::Seller), wait)
                .await
                .is_none()
        );
        let w = a.admit(&ticket("s1", CallKind::Worker), wait).await;
        assert!(w.is_some());
        assert!(
            a.admit(&ticket("s1", CallKind::Worker), wait)
                .await
                .is_none()
        );
        drop((d1, s1, s2, w));
        assert_eq!(a.lock().running, 0);
        assert!(a.lock().lanes.is_empty(), "idle lanes are forgotten");
    }

    #[tokio::test]
    async fn a_freed_thread_goes_to_the_next_seller_in_turn() {
        let a = Admission::new(PoolConfig {
            threads: 2,
            worker_reserve: 0,
            seller_share: 1,
            ..config()
        });
        let long = Duration::from_secs(5);
        let held = a.admit(&ticket("flood", CallKind::Seller), long).await;
        // Three more of the flooding seller queue, then one of another.
        let mut flood = Vec::new();
        for _ in 0..3 {
            let a = a.clone();
            flood.push(tokio::spawn(async move {
                a.admit(&ticket("flood", CallKind::Seller), long)
                    .await
                    .is_some()
            }));
        }
        while a.lane_load("flood").1 < 3 {
            tokio::task::yield_now().await;
        }
        let other = {
            let a = a.clone();
            tokio::spawn(async move { a.admit(&ticket("other", CallKind::Seller), long).await })
        };
        // `other` gets the second thread without waiting for the flood.
        let other = other.await.expect("task");
        assert!(other.is_some());
        assert_eq!(a.lane_load("flood"), (1, 3));
        drop(held);
        drop(other);
        for f in flood {
            assert!(f.await.expect("task"));
        }
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_the_queue() {
        let a = Admission::new(PoolConfig {
            threads: 2,
            worker_reserve: 0,
            ..config()
        });
        let _held = a
            .admit(&ticket("s", CallKind::Seller), Duration::ZERO)
            .await;
        let _held2 = a
            .admit(&ticket("s", CallKind::Seller), Duration::ZERO)
            .await;
        let late = a
            .admit(&ticket("s", CallKind::Seller), Duration::from_millis(10))
            .await;
        assert!(late.is_none());
        assert_eq!(a.lane_load("s"), (2, 0));
        assert!(a.lock().ring.is_empty());
    }
}
