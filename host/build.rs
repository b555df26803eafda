//! Rebuilds the host when a migration is added or edited: `sqlx::migrate!`
//! embeds the migration folders at compile time, and Cargo does not see new
//! files there on its own.
//!
//! Also picks the web console the binary embeds (`api/console.rs`): the
//! built `console/dist` when `cargo xtask` has built it, otherwise a one-page
//! placeholder, so a fresh clone still builds with plain `cargo build`.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = Path::new(&manifest).join("../console/dist");
    let dir = if dist.join("index.html").is_file() {
        println!("cargo:rerun-if-changed={}", dist.display());
        dist
    } else {
        // The whole folder, so that the first console build is noticed.
        println!(
            "cargo:rerun-if-changed={}",
            dist.parent().unwrap_or(&dist).display()
        );
        let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
            .join("console-placeholder");
        std::fs::create_dir_all(&out).expect("create the placeholder console");
        std::fs::write(out.join("index.html"), PLACEHOLDER).expect("write the placeholder");
        out
    };
    println!("cargo:rustc-env=BAZAAR_CONSOLE_DIR={}", dir.display());
}

const PLACEHOLDER: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Bazaar</title><body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\">\
<h1>Bazaar</h1><p>This binary was built without the web console. Run \
<code>cargo xtask serve</code>, which builds it (<code>console/</code>, npm) before the \
service; the API is at <a href=\"/v1/openapi.json\">/v1</a>.</p></body></html>\n";
