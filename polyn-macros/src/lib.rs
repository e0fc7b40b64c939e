//! `#[polyn::handler]`: use it through the `polyn` crate.

use proc_macro::TokenStream;

/// Turns an `async fn` taking a `polyn::Event<T>` into a handler that
/// `polyn::Client::serve` runs. See the `polyn` documentation.
#[proc_macro_attribute]
pub fn handler(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
