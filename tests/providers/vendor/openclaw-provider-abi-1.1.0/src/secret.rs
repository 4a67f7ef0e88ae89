//! [`Secret`]: a credential that cannot be printed by accident.

use abi_stable::{StableAbi, std_types::RString};

/// A credential (API key, access token) passed across the boundary.
///
/// It has no `Display` and no `Serialize`, and its `Debug` prints a fixed placeholder, so a
/// secret inside any struct that is logged or formatted stays hidden. The value is reachable only
/// through [`Secret::expose`], which marks every place that handles the real text.
#[repr(transparent)]
#[derive(StableAbi, Clone, PartialEq, Eq)]
pub struct Secret(RString);

impl Secret {
    /// Wraps a credential, trimming surrounding whitespace. `None` when nothing is left.
    pub fn new(value: &str) -> Option<Self> {
        let trimmed = value.trim();
        (!trimmed.is_empty()).then(|| Self(RString::from(trimmed)))
    }

    /// The credential itself. Use it to build a request header, never to print.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// A form safe to show a person: the prefix up to the first `_` (when short) and the last
    /// four characters, e.g. `hf_…1234`. Keys shorter than 12 characters show no characters at
    /// all, since four of them would be too large a share of the secret.
    pub fn masked(&self) -> String {
        mask(self.expose())
    }
}

/// See [`Secret::masked`].
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 12 {
        return "…".to_owned();
    }
    let prefix: String = match value.find('_') {
        Some(end) if end < 6 => value[..=end].to_owned(),
        _ => String::new(),
    };
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{tail}")
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let secret = Secret::new("  hf_abcdefghijklmnopqrstuvwxyz123456  ").unwrap();
        assert_eq!(secret.expose(), "hf_abcdefghijklmnopqrstuvwxyz123456");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.masked(), "hf_…3456");
        assert_eq!(Secret::new("shortkey1").unwrap().masked(), "…");
        assert_eq!(mask("plainlongtokenwithoutprefix"), "…efix");
        assert!(Secret::new(" \t\n").is_none());
    }
}
