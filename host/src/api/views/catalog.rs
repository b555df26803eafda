//! How the API shows products and accounts.
