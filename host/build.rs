//! Rebuilds the host when a migration is added or edited: `sqlx::migrate!`
//! embeds the migration folders at compile time, and Cargo does not see new
//! files there on its own.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
