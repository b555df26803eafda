//! How the API shows the marketplace's records: one module per area, each
//! turning store rows and domain values into response bodies.

pub mod audit;
pub mod cases;
pub mod catalog;
pub mod operations;
pub mod ordering;
pub mod plugin_usage;
pub mod plugins;
pub mod releases;
pub mod shown;
pub mod tokens;
