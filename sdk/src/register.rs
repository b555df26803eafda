//! The `register_*!` macros that turn a trait implementation into a
//! component's exports.
//!
//! Each macro expands wit-bindgen's `export!` macro of one world in the plugin
//! crate. That expansion carries the world's export metadata, so a component
//! exports exactly the interfaces of the macros it calls and nothing else;
//! the host detects what a plugin is from those exports.

use std::marker::PhantomData;

/// The type wit-bindgen's generated traits are implemented for: it forwards
/// each export to the plugin type `T`, converting between the generated WIT
/// types and the SDK's.
#[doc(hidden)]
pub struct Export<T: ?Sized>(PhantomData<fn() -> T>);

/// Exports `$plugin`, which implements [`Lifecycle`](crate::Lifecycle), as a
/// component of the `lifecycle-plugin` world.
///
/// ```ignore
/// struct MyPlugin;
/// impl bazaar_sdk::Lifecycle for MyPlugin { /* ... */ }
/// bazaar_sdk::register_lifecycle!(MyPlugin);
/// ```
#[macro_export]
macro_rules! register_lifecycle {
    ($plugin:ty) => {
        // The expansion declares the component's exports, which Rust spells
        // with `unsafe` attributes and `extern "C"` functions.
        #[allow(unsafe_code)]
        const _: () = {
            type __BazaarExport = $crate::__private::Export<$plugin>;
            $crate::__private::lifecycle_plugin::export!(
                __BazaarExport with_types_in $crate::__private::lifecycle_plugin
            );
        };
    };
}

/// Exports `$plugin`, which implements [`Metering`](crate::Metering), as a
/// component of the `metering-plugin` world.
#[macro_export]
macro_rules! register_metering {
    ($plugin:ty) => {
        // See `register_lifecycle!` for why `unsafe` is allowed.
        #[allow(unsafe_code)]
        const _: () = {
            type __BazaarExport = $crate::__private::Export<$plugin>;
            $crate::__private::metering_plugin::export!(
                __BazaarExport with_types_in $crate::__private::metering_plugin
            );
        };
    };
}

/// Exports `$plugin`, which implements [`Pricing`](crate::Pricing), as a
/// component of the `pricing-plugin` world.
#[macro_export]
macro_rules! register_pricing {
    ($plugin:ty) => {
        // See `register_lifecycle!` for why `unsafe` is allowed.
        #[allow(unsafe_code)]
        const _: () = {
            type __BazaarExport = $crate::__private::Export<$plugin>;
            $crate::__private::pricing_plugin::export!(
                __BazaarExport with_types_in $crate::__private::pricing_plugin
            );
        };
    };
}

/// Exports `$plugin`, which implements [`Review`](crate::Review), as a
/// component of the `review-plugin` world.
#[macro_export]
macro_rules! register_review {
    ($plugin:ty) => {
        // See `register_lifecycle!` for why `unsafe` is allowed.
        #[allow(unsafe_code)]
        const _: () = {
            type __BazaarExport = $crate::__private::Export<$plugin>;
            $crate::__private::review_plugin::export!(
                __BazaarExport with_types_in $crate::__private::review_plugin
            );
        };
    };
}

/// Exports `$plugin`, which implements [`Settlement`](crate::Settlement), as
/// a component of the `settlement-plugin` world.
#[macro_export]
macro_rules! register_settlement {
    ($plugin:ty) => {
        // See `register_lifecycle!` for why `unsafe` is allowed.
        #[allow(unsafe_code)]
        const _: () = {
            type __BazaarExport = $crate::__private::Export<$plugin>;
            $crate::__private::settlement_plugin::export!(
                __BazaarExport with_types_in $crate::__private::settlement_plugin
            );
        };
    };
}

/// Exports `$plugin`, which implements both [`Lifecycle`](crate::Lifecycle)
/// and [`Metering`](crate::Metering), as a component of the `saas-plugin`
/// world.
///
/// wit-bindgen cannot generate `saas-plugin` next to `lifecycle-plugin` in one
/// crate (both would define the same exported macro), so this expands the
/// exports of `lifecycle-plugin` and `metering-plugin` together; the
/// componentiser unions the two worlds, whose exports are then exactly
/// `saas-plugin`'s.
#[macro_export]
macro_rules! register_saas {
    ($plugin:ty) => {
        $crate::register_lifecycle!($plugin);
        $crate::register_metering!($plugin);
    };
}
