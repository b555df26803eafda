//! The marketplace's rules, free of I/O: the product catalogue and its
//! validation, the price model and money rounding below both, pricing, the instance state machine, and service supervision.

pub mod billing;
pub mod catalog;
pub mod instance;
pub mod money;
pub mod packages;
pub mod price_model;
pub mod pricing;
pub mod release_cases;
pub mod releases;
pub mod settlement;
pub mod supervision;
pub mod usage;
