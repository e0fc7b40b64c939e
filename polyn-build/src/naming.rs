//! Message names and the Rust names derived from them.
//!
//! The rule (`\A[a-z0-9]+(\.[a-z0-9]+)*\z`) comes from `polyn-naming`, the
//! dependency-free crate the runtime uses too, so build scripts apply the
//! very rule `polyn::naming` does without compiling the async runtime.

pub use polyn_naming::is_message_name;

/// The Rust type name for a message: each dot-separated token capitalised
/// and joined (`user.created.v1` → `UserCreatedV1`). A name that starts with
/// a digit gets the prefix `Msg`, as a type name cannot start with one.
///
/// ```
/// assert_eq!(polyn_build::type_name("user.created.v1"), "UserCreatedV1");
/// assert_eq!(polyn_build::type_name("calc.mult.request.v1"), "CalcMultRequestV1");
/// assert_eq!(polyn_build::type_name("3d.printed.v1"), "Msg3dPrintedV1");
/// ```
pub fn type_name(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 3);
    if message.starts_with(|c: char| c.is_ascii_digit()) {
        out.push_str("Msg");
    }
    for token in message.split('.') {
        let mut chars = token.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// The Rust module that holds a message's types: dots turned into
/// underscores (`user.created.v1` → `user_created_v1`), with a `msg_` prefix
/// before a leading digit and a trailing `_` after a keyword (`type` →
/// `type_`).
pub(crate) fn module_name(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 4);
    if message.starts_with(|c: char| c.is_ascii_digit()) {
        out.push_str("msg_");
    }
    out.push_str(&message.replace('.', "_"));
    if !typify::accept_as_ident(&out) || syn::parse_str::<syn::Ident>(&out).is_err() {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names() {
        assert_eq!(type_name("widgets.created.v1"), "WidgetsCreatedV1");
        assert_eq!(type_name("a"), "A");
        assert_eq!(module_name("widgets.created.v1"), "widgets_created_v1");
        assert_eq!(module_name("3d.v1"), "msg_3d_v1");
        assert_eq!(module_name("type"), "type_");
        assert_eq!(module_name("self"), "self_");
        assert_eq!(module_name("crate"), "crate_");
        assert_eq!(module_name("gen"), "gen_");
    }
}
