//! Precompiled components on disk, so a restart does not recompile.
//!
//! Artifacts are keyed by the component's sha256 and by a hash of everything
//! about the engine that affects compiled code (wasmtime's own compatibility
//! hash), so an upgrade of wasmtime or a change of engine settings simply
//! misses the cache instead of loading incompatible code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of precompiled components for one engine configuration.
pub struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
}

impl ArtifactCache {
    /// Opens (and creates) the cache in `dir` for `engine`.
    pub fn open(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        // SipHash with fixed keys: stable across runs of the same build, which
        // is all the key needs (a different build gets a different wasmtime
        // hash anyway, and deserialisation re-checks compatibility).
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("{:016x}", hasher.finish());
        Ok(Self {
            dir: dir.to_path_buf(),
            engine_key,
        })
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// Whether an artifact for `sha256` of this engine is on disk.
    pub fn has(&self, sha256: &str) -> bool {
        self.path(sha256).exists()
    }

    /// The cached component for `sha256`, if a compatible one is on disk.
    pub fn load(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let path = self.path(sha256);
        if !path.exists() {
            return None;
        }
        // SAFETY: the file is one this cache wrote with `precompile_component`
        // of this same engine configuration (the name carries both the source
        // hash and the engine's compatibility hash) into the host's private
        // data directory; wasmtime additionally checks the header and engine
        // settings before using it.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "discarding unusable cached artifact");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores a precompiled artifact, atomically: readers see the whole file
    /// or none, and a file once in place never changes (a loaded component
    /// maps it into memory).
    pub fn store(&self, sha256: &str, artifact: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        use std::sync::atomic::{AtomicU64, Ordering};
        // The temporary name is unique per writer, not just per process: two
        // runtimes of one process (the tests run many) storing the same
        // component would otherwise write into one file, and the first rename
        // would put a file in place that the second is still writing.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = self.path(sha256);
        let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut file| file.write_all(artifact));
        match written.and_then(|()| std::fs::rename(&tmp, &path)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writers racing on one component leave one writer's whole file, never
    /// a mix or a truncation (the tests' shared cache does exactly this).
    #[test]
    fn racing_writers_of_one_component_leave_one_whole_file() {
        let dir = std::env::temp_dir().join(format!("bazaar-cache-race-{}", std::process::id()));
        let cache = std::sync::Arc::new(ArtifactCache::open(&dir, &Engine::default()).unwrap());
        let payloads: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 256 * 1024 + i as usize]).collect();
        std::thread::scope(|s| {
            for payload in &payloads {
                let cache = cache.clone();
                s.spawn(move || {
                    for _ in 0..20 {
                        cache.store("race", payload).unwrap();
                    }
                });
            }
        });
        let stored = std::fs::read(cache.path("race")).unwrap();
        assert!(
            payloads.contains(&stored),
            "a mixed file of {} bytes",
            stored.len()
        );
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "temporary files left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
