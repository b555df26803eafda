//! How the API shows the feed, service flows, the clock, balances, charges, packages and usage.
