//! How much of a call's logs, transcript and key-value writes an answer
//! carries. The runtime records everything a call did, because a saved case
//! needs all of it to replay, and that can be tens of megabytes: a thousand
//! log lines of any length, up to 100,000 host calls each holding its message
//! or value. An answer shows the first [`SHOWN_BYTES`] of each stream and
//! counts the bytes it left out in `cut-bytes`, so a failing call's `422` is
//! not a download. The last entry shown of a stream may be cut short; the
//! entries after it are left out.

use crate::runtime::{CallFailure, CallOutcome, HostCall, KvWrite, LogLine};
use serde::Serialize;
use serde_json::Value;

/// Bytes of each stream an answer shows: log messages per source (`host.log`,
/// stdout, stderr), and the JSON of the transcript and of the key-value
/// writes.
pub const SHOWN_BYTES: usize = 64 << 10;

/// The bytes of each stream an answer left out (0 when it shows all).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CutBytes {
    /// Of the `host.log` messages.
    pub log: u64,
    /// Of what the plugin printed to stdout.
    pub stdout: u64,
    /// Of what the plugin printed to stderr.
    pub stderr: u64,
    /// Of the transcript's JSON.
    pub transcript: u64,
    /// Of the key-value writes' JSON.
    pub kv_writes: u64,
}

/// What an answer shows of a call.
#[derive(Debug)]
pub struct Shown {
    /// The log lines shown.
    pub logs: Vec<LogLine>,
    /// The host calls shown, as JSON.
    pub transcript: Vec<Value>,
    /// The key-value writes shown, as JSON.
    pub kv_writes: Vec<Value>,
    /// What was left out.
    pub cut: CutBytes,
}

impl Shown {
    /// What an answer shows of a call that returned.
    pub fn outcome(o: &CallOutcome) -> Self {
        Self::new(&o.logs, &o.transcript, &o.kv_writes)
    }

    /// What an answer shows of a call that failed (it wrote nothing).
    pub fn failure(f: &CallFailure) -> Self {
        Self::new(&f.logs, &f.transcript, &[])
    }

    fn new(logs: &[LogLine], transcript: &[HostCall], kv_writes: &[KvWrite]) -> Self {
        let mut cut = CutBytes::default();
        let logs = shown_logs(logs, &mut cut);
        let (transcript, t) = shown_json(transcript);
        let (kv_writes, k) = shown_json(kv_writes);
        cut.transcript = t;
        cut.kv_writes = k;
        Shown {
            logs,
            transcript,
            kv_writes,
            cut,
        }
    }
}

/// The failure of a call as `detail` of a `call-failed` error: its error,
/// fuel and time, and its logs and transcript as [`Shown`].
pub fn failure_detail(f: &CallFailure) -> Value {
    let shown = Shown::failure(f);
    serde_json::json!({
        "error": f.error,
        "logs": shown.logs,
        "transcript": shown.transcript,
        "cut-bytes": shown.cut,
        "fuel-used": f.fuel_used,
        "duration-us": f.duration_us,
    })
}

/// The log lines within each source's budget, the one crossing it cut short.
fn shown_logs(logs: &[LogLine], cut: &mut CutBytes) -> Vec<LogLine> {
    let (mut log, mut stdout, mut stderr) = (SHOWN_BYTES, SHOWN_BYTES, SHOWN_BYTES);
    let mut shown = Vec::new();
    for line in logs {
        let (room, dropped) = match line.level.as_str() {
            "stdout" => (&mut stdout, &mut cut.stdout),
            "stderr" => (&mut stderr, &mut cut.stderr),
            _ => (&mut log, &mut cut.log),
        };
        if *room == 0 {
            *dropped += line.message.len() as u64;
            continue;
        }
        let kept = prefix(&line.message, *room);
        *room -= kept.len();
        *dropped += (line.message.len() - kept.len()) as u64;
        shown.push(LogLine {
            level: line.level.clone(),
            message: kept.to_string(),
        });
    }
    shown
}

/// `items` as JSON within [`SHOWN_BYTES`], the item crossing it with its
/// strings cut short; and the bytes left out.
fn shown_json<T: Serialize>(items: &[T]) -> (Vec<Value>, u64) {
    let mut room = SHOWN_BYTES;
    let mut cut = 0u64;
    let mut shown = Vec::new();
    for item in items {
        let mut v = serde_json::to_value(item).unwrap_or(Value::Null);
        let size = json_len(&v);
        if room == 0 {
            cut += size as u64;
        } else if size <= room {
            room -= size;
            shown.push(v);
        } else {
            // What is not string content (keys, tags, numbers) stays.
            let mut strings = room.saturating_sub(size - string_bytes(&v).min(size));
            cut_strings(&mut v, &mut strings);
            cut += size.saturating_sub(json_len(&v)) as u64;
            room = 0;
            shown.push(v);
        }
    }
    (shown, cut)
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

fn string_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(string_bytes).sum(),
        Value::Object(fields) => fields.values().map(string_bytes).sum(),
        _ => 0,
    }
}

/// Strings this short (tags, levels, most keys) are never cut.
const SHORT: usize = 64;

/// Cuts the strings of `v`, in order, to what is left of `room`.
fn cut_strings(v: &mut Value, room: &mut usize) {
    match v {
        Value::String(s) if s.len() <= SHORT => *room = room.saturating_sub(s.len()),
        Value::String(s) => {
            let kept = prefix(s, *room).len();
            s.truncate(kept);
            *room -= kept;
        }
        Value::Array(items) => items.iter_mut().for_each(|i| cut_strings(i, room)),
        Value::Object(fields) => fields.values_mut().for_each(|f| cut_strings(f, room)),
        _ => {}
    }
}

/// The longest prefix of `s` of at most `max` bytes ending on a character.
fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut at = max;
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    &s[..at]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(level: &str, message: String) -> LogLine {
        LogLine {
            level: level.into(),
            message,
        }
    }

    #[test]
    fn each_source_of_logs_has_its_own_budget_and_cuts_are_counted() {
        let big = "é".repeat(SHOWN_BYTES); // two bytes each
        let logs = [
            line("stdout", big.clone()),
            line("info", "hello".into()),
            line("stdout", "more".into()),
        ];
        let shown = Shown::new(&logs, &[], &[]);
        assert_eq!(shown.logs.len(), 2);
        assert_eq!(shown.logs[0].message.len(), SHOWN_BYTES);
        assert_eq!(shown.logs[1].message, "hello");
        assert_eq!(shown.cut.stdout, (big.len() - SHOWN_BYTES + 4) as u64);
        assert_eq!(shown.cut.log, 0);
    }

    #[test]
    fn the_transcript_is_cut_inside_the_entry_crossing_the_budget() {
        let log = |n: usize| HostCall::Log {
            level: "info".into(),
            message: "x".repeat(n),
        };
        let calls = [log(10), log(SHOWN_BYTES), log(10)];
        let sizes: Vec<usize> = calls
            .iter()
            .map(|c| json_len(&serde_json::to_value(c).unwrap()))
            .collect();
        let shown = Shown::new(&[], &calls, &[]);
        assert_eq!(shown.transcript.len(), 2);
        let total: usize = sizes.iter().sum();
        let kept: usize = shown.transcript.iter().map(json_len).sum();
        assert!(kept <= SHOWN_BYTES, "{kept}");
        assert_eq!(shown.cut.transcript, (total - kept) as u64);
    }
}
