//! Replaying a recorded transcript: during a replayed call every host import
//! is answered from the recording instead of the live clock, generator,
//! key-value store or configuration, and the request the plugin makes is
//! checked against the recorded one, so the first divergence is caught at
//! the host call where it happens rather than as a confusing output diff.

use super::transcript::HostCall;
use serde::Serialize;

/// The first host call where a replay parted from its recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Divergence {
    /// Position in the transcript (0-based).
    pub index: usize,
    /// The recorded call there; `None` when the plugin made more calls than
    /// were recorded.
    pub expected: Option<HostCall>,
    /// What the plugin asked for instead (the request, without an answer);
    /// `None` when it returned without making the recorded call.
    pub actual: Option<serde_json::Value>,
}

/// Stops the replayed call at a divergence; never seen by the plugin.
#[derive(Debug, thiserror::Error)]
#[error("host call {0} diverged from the recording")]
pub struct Diverged(pub usize);

/// Answers host calls from a recorded transcript, in order.
#[derive(Debug)]
pub struct Replayer {
    recorded: Vec<HostCall>,
    next: usize,
    divergence: Option<Divergence>,
}

impl Replayer {
    /// A replayer of `recorded`.
    pub fn new(recorded: Vec<HostCall>) -> Self {
        Self {
            recorded,
            next: 0,
            divergence: None,
        }
    }

    /// The recorded answer to `asked`, or a trap when the plugin asked for
    /// something else than it did when recorded.
    pub(crate) fn answer(&mut self, asked: &HostCall) -> wasmtime::Result<HostCall> {
        let index = self.next;
        match self.recorded.get(index) {
            Some(recorded) if recorded.same_request(asked) => {
                self.next += 1;
                Ok(recorded.clone())
            }
            recorded => {
                self.divergence = Some(Divergence {
                    index,
                    expected: recorded.cloned(),
                    actual: Some(asked.request_json()),
                });
                Err(Diverged(index).into())
            }
        }
    }

    /// The divergence, if any, once the call is over: a plugin that returned
    /// without making every recorded call diverged too.
    pub fn finish(self) -> Option<Divergence> {
        if self.divergence.is_some() {
            return self.divergence;
        }
        self.recorded.get(self.next).map(|recorded| Divergence {
            index: self.next,
            expected: Some(recorded.clone()),
            actual: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_order_and_reports_the_first_difference() {
        let recorded = vec![
            HostCall::Now { result: 7 },
            HostCall::KvGet {
                key: "a".into(),
                result: Ok(Some("01".into())),
            },
        ];
        let mut r = Replayer::new(recorded.clone());
        assert_eq!(r.answer(&HostCall::Now { result: 0 }).unwrap(), recorded[0]);
        let asked = HostCall::KvGet {
            key: "b".into(),
            result: Ok(None),
        };
        assert!(r.answer(&asked).is_err());
        let d = r.finish().unwrap();
        assert_eq!(d.index, 1);
        assert_eq!(d.expected, Some(recorded[1].clone()));
        assert_eq!(
            d.actual,
            Some(serde_json::json!({"call": "kv-get", "key": "b"}))
        );
    }

    #[test]
    fn a_call_that_stops_early_diverges_at_the_missing_call() {
        let r = Replayer::new(vec![HostCall::RandomU64 { result: 1 }]);
        let d = r.finish().unwrap();
        assert_eq!((d.index, d.actual), (0, None));
    }
}
