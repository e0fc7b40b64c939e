//! Message names and the Rust names derived from them.
//!
//! The rule is the one `polyn::naming::is_message_name` applies at runtime
//! (`\A[a-z0-9]+(\.[a-z0-9]+)*\z`). It is repeated here, rather than called,
//! so that `polyn-build` does not pull the async runtime into every build
//! script; a test keeps the two in step on a shared table of names.

/// Is `name` a valid message name: lowercase ASCII alphanumeric tokens
/// separated by single dots (`user.created.v1`)?
///
/// ```
/// assert!(polyn_build::is_message_name("user.created.v1"));
/// assert!(!polyn_build::is_message_name("User.Created"));
/// assert!(!polyn_build::is_message_name("user..created"));
/// assert!(!polyn_build::is_message_name("user_created"));
/// ```
pub fn is_message_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|token| {
            !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

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

    /// The same table as `polyn::naming`'s tests, so both rules agree.
    #[test]
    fn message_names() {
        for good in [
            "user.created.v1",
            "foo",
            "a1.b2.c3",
            "com.test.user.created.v1",
        ] {
            assert!(is_message_name(good), "{good} should be valid");
        }
        for bad in [
            "",
            "user created v1",
            "User.created",
            "user..created",
            ".user",
            "user.",
            "user:created",
            "user.created.v1\n",
            "user_created",
            "user-created",
            "*orders*",
            "ümlaut",
        ] {
            assert!(!is_message_name(bad), "{bad:?} should be invalid");
        }
    }

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
