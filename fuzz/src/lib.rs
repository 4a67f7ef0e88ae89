//! What every fuzz target checks of a message made from outside input: the planted token never
//! appears in it, and no raw control character reaches a terminal through it.

/// The token the targets plant in what they parse.
pub const SECRET: &str = "hf_FUZZsecretTOKENvalue000";

/// Panics (a finding) when `message` carries the token or a raw control character.
pub fn assert_message_safe(message: &str) {
    assert!(!message.contains(SECRET), "the token leaked: {message}");
    assert!(
        !message.chars().any(char::is_control),
        "a raw control character in: {message:?}"
    );
}
