//! The host side of the plugin imports (`host`, `kv`, `config`), recorded
//! call by call in the transcript, implementing the import traits generated
//! in [`crate::wit::latest`] (older versions' traits forward to these).

use super::sandbox::{CallState, HostState};
use super::transcript::{HostCall, LogLine};
use crate::wit::latest::bazaar;
use rand_chacha::rand_core::RngCore;

use bazaar::plugin::host::LogLevel;
use bazaar::plugin::kv::KvError;

/// The largest `random-bytes` request honoured.
const MAX_RANDOM_BYTES: u32 = 4096;

/// Registers the Bazaar imports of every supported version with a linker.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> wasmtime::Result<()> {
    bazaar::plugin::host::add_to_linker::<CallState, HostData>(linker, host_state)?;
    bazaar::plugin::kv::add_to_linker::<CallState, HostData>(linker, host_state)?;
    bazaar::plugin::config::add_to_linker::<CallState, HostData>(linker, host_state)?;
    use crate::wit::since_v0_1_0::bazaar::plugin as v0_1;
    v0_1::host::add_to_linker::<CallState, HostData>(linker, host_state)?;
    v0_1::kv::add_to_linker::<CallState, HostData>(linker, host_state)?;
    v0_1::config::add_to_linker::<CallState, HostData>(linker, host_state)?;
    Ok(())
}

struct HostData;

impl wasmtime::component::HasData for HostData {
    type Data<'a> = &'a mut HostState;
}

fn host_state(state: &mut CallState) -> &mut HostState {
    &mut state.host
}

impl HostState {
    /// Counts a host call against the budget; past it, the call traps.
    fn charge(&mut self) -> wasmtime::Result<()> {
        if self.transcript.len() >= self.limits.host_calls as usize {
            self.host_calls_exceeded = true;
            wasmtime::bail!("too many host calls");
        }
        Ok(())
    }

    fn record(&mut self, call: HostCall) {
        self.transcript.push(call);
    }

    /// When replaying, the recorded answer to the question `asked` builds
    /// (already appended to the transcript); `None` when the call runs live,
    /// which then never builds the question: live, the answer is recorded.
    fn replayed(&mut self, asked: impl FnOnce() -> HostCall) -> wasmtime::Result<Option<HostCall>> {
        let Some(replay) = self.replay.as_mut() else {
            return Ok(None);
        };
        let answer = replay.answer(&asked())?;
        self.transcript.push(answer.clone());
        Ok(Some(answer))
    }

    fn check_key(&self, key: &str) -> Result<(), KvError> {
        if key.len() > self.limits.kv_key_bytes as usize {
            return Err(KvError::TooLarge(format!(
                "key is {} bytes; the limit is {}",
                key.len(),
                self.limits.kv_key_bytes
            )));
        }
        Ok(())
    }
}

fn kv_err_text(e: &KvError) -> String {
    match e {
        KvError::TooLarge(m) => format!("too-large: {m}"),
        KvError::QuotaExceeded(m) => format!("quota-exceeded: {m}"),
    }
}

/// The inverse of [`kv_err_text`], for answers replayed from a recording.
fn kv_err_from_text(text: &str) -> KvError {
    match text.split_once(": ") {
        Some(("quota-exceeded", m)) => KvError::QuotaExceeded(m.to_string()),
        Some(("too-large", m)) => KvError::TooLarge(m.to_string()),
        _ => KvError::TooLarge(text.to_string()),
    }
}

/// Lower-case hex, as `hex::encode` spells it, through its table-driven
/// slice encoder: `hex::encode` goes char by char, and a call's transcript
/// hex-encodes every value it reads and writes.
fn to_hex(bytes: &[u8]) -> String {
    let mut buf = vec![0u8; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut buf).expect("twice the length");
    String::from_utf8(buf).expect("hex is ASCII")
}

fn unhex(s: &str) -> wasmtime::Result<Vec<u8>> {
    hex::decode(s).map_err(|e| wasmtime::format_err!("recorded bytes are not hex: {e}"))
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Trace => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

impl bazaar::plugin::types::Host for HostState {}

impl bazaar::plugin::host::Host for HostState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        self.charge()?;
        let level = level_name(level).to_string();
        let call = HostCall::Log {
            level: level.clone(),
            message: message.clone(),
        };
        if self.replayed(|| call.clone())?.is_none() {
            self.record(call);
        }
        if self.logs.len() < self.limits.log_lines as usize {
            self.logs.push(LogLine { level, message });
        } else {
            self.dropped_logs += 1;
        }
        Ok(())
    }

    fn now(&mut self) -> wasmtime::Result<i64> {
        self.charge()?;
        if let Some(HostCall::Now { result }) = self.replayed(|| HostCall::Now { result: 0 })? {
            return Ok(result);
        }
        let result = self.ctx.now_ms;
        self.record(HostCall::Now { result });
        Ok(result)
    }

    fn random_u64(&mut self) -> wasmtime::Result<u64> {
        self.charge()?;
        if let Some(HostCall::RandomU64 { result }) =
            self.replayed(|| HostCall::RandomU64 { result: 0 })?
        {
            return Ok(result);
        }
        let result = self.rng.next_u64();
        self.record(HostCall::RandomU64 { result });
        Ok(result)
    }

    fn random_bytes(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        self.charge()?;
        let mut buf = vec![0u8; len.min(MAX_RANDOM_BYTES) as usize];
        // The question a replay compares: how many bytes were asked for.
        let asked = || HostCall::RandomBytes {
            result: to_hex(&buf),
        };
        if let Some(HostCall::RandomBytes { result }) = self.replayed(asked)? {
            return unhex(&result);
        }
        self.rng.fill_bytes(&mut buf);
        self.record(HostCall::RandomBytes {
            result: to_hex(&buf),
        });
        Ok(buf)
    }
}

impl HostState {
    /// Accounts for `key` taking `new_len` bytes of value (`None`: deleted)
    /// against the namespace's quota of keys and bytes. A write that makes
    /// the state grow past either is refused with `quota-exceeded`; one that
    /// keeps or shrinks it always passes, so a full plugin can clean up.
    fn charge_quota(
        &mut self,
        key: &str,
        new_len: Option<usize>,
    ) -> wasmtime::Result<Result<(), KvError>> {
        let usage = match self.kv_usage {
            Some(u) => u,
            None => self.ctx.kv.usage()?,
        };
        let before = self
            .overlay
            .get(self.ctx.kv.as_ref(), key)?
            .map(|v| (key.len() + v.len()) as u64);
        let after = new_len.map(|n| (key.len() + n) as u64);
        let next = crate::kv::KvUsage {
            keys: usage.keys + u64::from(after.is_some()) - u64::from(before.is_some()),
            bytes: (usage.bytes + after.unwrap_or(0)).saturating_sub(before.unwrap_or(0)),
        };
        let grows = after.unwrap_or(0) > before.unwrap_or(0) || next.keys > usage.keys;
        if grows && next.keys > self.limits.kv_keys {
            return Ok(Err(KvError::QuotaExceeded(format!(
                "the state would hold {} keys; the quota is {}",
                next.keys, self.limits.kv_keys
            ))));
        }
        if grows && next.bytes > self.limits.kv_state_bytes {
            return Ok(Err(KvError::QuotaExceeded(format!(
                "the state would hold {} bytes; the quota is {}",
                next.bytes, self.limits.kv_state_bytes
            ))));
        }
        self.kv_usage = Some(next);
        Ok(Ok(()))
    }
}

impl bazaar::plugin::kv::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, KvError>> {
        self.charge()?;
        let asked = || HostCall::KvGet {
            key: key.clone(),
            result: Ok(None),
        };
        if let Some(HostCall::KvGet { result, .. }) = self.replayed(asked)? {
            return Ok(match result {
                Ok(Some(v)) => Ok(Some(unhex(&v)?)),
                Ok(None) => Ok(None),
                Err(e) => Err(kv_err_from_text(&e)),
            });
        }
        let result = match self.check_key(&key) {
            Ok(()) => Ok(self.overlay.get(self.ctx.kv.as_ref(), &key)?),
            Err(e) => Err(e),
        };
        self.record(HostCall::KvGet {
            key,
            result: match &result {
                Ok(v) => Ok(v.as_deref().map(to_hex)),
                Err(e) => Err(kv_err_text(e)),
            },
        });
        Ok(result)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), KvError>> {
        self.charge()?;
        let value_hex = to_hex(&value);
        let asked = || HostCall::KvSet {
            key: key.clone(),
            value: value_hex.clone(),
            result: Ok(()),
        };
        if let Some(HostCall::KvSet { result, .. }) = self.replayed(asked)? {
            return Ok(result.map_err(|e| kv_err_from_text(&e)));
        }
        let result = self.check_key(&key).and_then(|()| {
            if value.len() > self.limits.kv_value_bytes as usize {
                return Err(KvError::TooLarge(format!(
                    "value is {} bytes; the limit is {}",
                    value.len(),
                    self.limits.kv_value_bytes
                )));
            }
            Ok(())
        });
        let result = match result {
            Ok(()) => self.charge_quota(&key, Some(value.len()))?,
            Err(e) => Err(e),
        };
        self.record(HostCall::KvSet {
            key: key.clone(),
            value: value_hex,
            result: result.as_ref().map(|_| ()).map_err(kv_err_text),
        });
        if result.is_ok() {
            self.overlay.set(key, Some(value));
        }
        Ok(result)
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, KvError>> {
        self.charge()?;
        let asked = || HostCall::KvDelete {
            key: key.clone(),
            result: Ok(false),
        };
        if let Some(HostCall::KvDelete { result, .. }) = self.replayed(asked)? {
            return Ok(result.map_err(|e| kv_err_from_text(&e)));
        }
        let result = match self.check_key(&key) {
            Ok(()) => {
                let existed = self.overlay.get(self.ctx.kv.as_ref(), &key)?.is_some();
                if existed {
                    // Shrinking is always allowed.
                    let _ = self.charge_quota(&key, None)?;
                }
                self.overlay.set(key.clone(), None);
                Ok(existed)
            }
            Err(e) => Err(e),
        };
        self.record(HostCall::KvDelete {
            key,
            result: result.as_ref().copied().map_err(kv_err_text),
        });
        Ok(result)
    }

    fn list_keys(
        &mut self,
        prefix: String,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<String>, KvError>> {
        self.charge()?;
        let asked = || HostCall::KvListKeys {
            prefix: prefix.clone(),
            limit,
            result: Ok(Vec::new()),
        };
        if let Some(HostCall::KvListKeys { result, .. }) = self.replayed(asked)? {
            return Ok(result.map_err(|e| kv_err_from_text(&e)));
        }
        let result = match self.check_key(&prefix) {
            Ok(()) => Ok(self.overlay.list_keys(
                self.ctx.kv.as_ref(),
                &prefix,
                limit.min(10_000) as usize,
            )?),
            Err(e) => Err(e),
        };
        self.record(HostCall::KvListKeys {
            prefix,
            limit,
            result: result.clone().map_err(|e| kv_err_text(&e)),
        });
        Ok(result)
    }
}

impl bazaar::plugin::config::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.charge()?;
        let asked = || HostCall::ConfigGet {
            key: key.clone(),
            result: None,
        };
        if let Some(HostCall::ConfigGet { result, .. }) = self.replayed(asked)? {
            return Ok(result);
        }
        let result = self.ctx.config.get(&key).cloned();
        self.record(HostCall::ConfigGet {
            key,
            result: result.clone(),
        });
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn to_hex_spells_bytes_as_hex_encode_does() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(super::to_hex(&bytes), hex::encode(&bytes));
        assert_eq!(super::to_hex(&[]), "");
    }
}
