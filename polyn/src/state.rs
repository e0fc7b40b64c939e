//! [`State<S>`]: shared application state handed to handlers.

/// Shared application state, as a handler argument: `#[polyn::handler]`
/// functions take `State(db): State<Db>` and [`Client::serve_with`](crate::Client::serve_with)
/// passes a clone of its state to every call.
///
/// ```
/// let polyn::State(count) = polyn::State(3);
/// assert_eq!(count, 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State<S>(pub S);
