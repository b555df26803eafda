//! What the host's integration tests share. Under `support/` and pulled in
//! with `#[path]`, because a plain `tests/common.rs` would become a test
//! target of its own.

use std::path::PathBuf;

/// The built plugin `name` (`BAZAAR_PLUGINS_DIR` or `target/plugins`, then
/// its `fixtures/`).
pub fn plugin(name: &str) -> PathBuf {
    let dir = std::env::var_os("BAZAAR_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"));
    let file = format!("{name}.wasm");
    let path = if dir.join(&file).exists() {
        dir.join(&file)
    } else {
        dir.join("fixtures").join(&file)
    };
    assert!(
        path.exists(),
        "{} is missing: build the plugins with `cargo xtask plugins`",
        path.display()
    );
    path
}
