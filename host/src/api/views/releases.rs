//! How the API shows plugins, cases, release applications, reviews and rules.
