//! The balance upsert shared by charging (`billing`) and package purchases
//! (`packages`); it lives below both so neither imports the other.

/// Sets a customer's balance (`$1` customer, `$2` amount, `$3` time).
pub(super) const SET_BALANCE: &str = "INSERT INTO balances (customer_id, amount, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (customer_id) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at";
