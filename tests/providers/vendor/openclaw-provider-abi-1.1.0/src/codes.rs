//! Small integer newtypes with named values.
//!
//! A `#[repr(u8)]` enum could never gain a variant without breaking the layout; a transparent
//! newtype over an integer can, so every closed-looking set of values in the contract is one of
//! these. Receivers must tolerate values they do not know (see the crate's evolution rules).

use abi_stable::StableAbi;

/// Declares a transparent integer newtype with named constants and a `name()` for display.
macro_rules! named_values {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $( $(#[$vmeta:meta])* $value:ident = $num:literal => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[repr(transparent)]
        #[derive(StableAbi, Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$vmeta])* pub const $value: Self = Self($num); )+

            /// Every value this version of the contract names, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$value),+];

            /// The stable lower-case name of a known value, `None` for a value added by a newer
            /// contract.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $num => Some($text), )+
                    _ => None,
                }
            }

            /// The value with the given stable name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $( $text => Some(Self::$value), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "unknown({})", self.0),
                }
            }
        }
    };
}
pub(crate) use named_values;

named_values! {
    /// Severity of a log record sent to the host's [`crate::LogSink`].
    LogLevel(u8) {
        ERROR = 1 => "error",
        WARN = 2 => "warn",
        INFO = 3 => "info",
        DEBUG = 4 => "debug",
        TRACE = 5 => "trace",
    }
}

named_values! {
    /// How a credential is obtained for an [`crate::AuthMethod`].
    AuthKind(u16) {
        /// A long-lived API key or access token the user pastes or exports.
        API_KEY = 1 => "api_key",
    }
}

named_values! {
    /// How [`crate::ProviderModule::list_models`] may obtain the catalog.
    DiscoveryMode(u8) {
        /// No network: the plugin's built-in catalog.
        STATIC = 0 => "static",
        /// Try live discovery; on any failure return the built-in catalog and say why. For
        /// pickers during onboarding, where something must be shown.
        ADVISORY = 1 => "advisory",
        /// Live discovery or an error: an empty live list stays empty. For runtime refreshes,
        /// where the caller keeps its last good catalog on failure.
        STRICT = 2 => "strict",
    }
}

named_values! {
    /// Where the models of a [`crate::Catalog`] came from.
    CatalogSource(u8) {
        BUILT_IN = 0 => "built-in",
        LIVE = 1 => "live",
    }
}

named_values! {
    /// A yes/no answer that may be unknown (for example a capability nobody reported).
    Tristate(u8) {
        UNKNOWN = 0 => "unknown",
        NO = 1 => "no",
        YES = 2 => "yes",
    }
}

impl Tristate {
    /// `Some(bool)` when known.
    pub fn known(self) -> Option<bool> {
        match self {
            Self::YES => Some(true),
            Self::NO => Some(false),
            _ => None,
        }
    }
}

impl From<Option<bool>> for Tristate {
    fn from(value: Option<bool>) -> Self {
        match value {
            Some(true) => Self::YES,
            Some(false) => Self::NO,
            None => Self::UNKNOWN,
        }
    }
}

named_values! {
    /// How onboarding stores a credential: the key itself, or a reference to the environment
    /// variable that holds it.
    SecretInputMode(u8) {
        PLAINTEXT = 0 => "plaintext",
        REF = 1 => "ref",
    }
}

named_values! {
    /// The kind of a [`crate::StreamEvent`]. Hosts skip kinds they do not know.
    EventKind(u16) {
        /// `text` is a piece of the visible answer.
        TEXT_DELTA = 1 => "text_delta",
        /// `text` is a piece of the model's reasoning (kept apart from the answer).
        REASONING_DELTA = 2 => "reasoning_delta",
        /// `json` is a [`crate::documents::ToolCallDelta`].
        TOOL_CALL_DELTA = 3 => "tool_call_delta",
        /// `json` is a [`crate::documents::Usage`] (cumulative; the last one wins).
        USAGE = 4 => "usage",
        /// `text` is the name of the upstream provider serving the request.
        SERVING_PROVIDER = 5 => "serving_provider",
        /// `text` is a human-readable notice (a retry, a dropped field); `json` may add detail.
        NOTICE = 6 => "notice",
        /// The last event: `json` is a [`crate::documents::ChatDone`].
        DONE = 7 => "done",
    }
}

/// Bit sets are plain transparent integers too, with set operations.
macro_rules! bit_set {
    ($name:ident) => {
        impl $name {
            /// Whether every bit of `other` is set in `self`.
            pub fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
            /// The union of two sets.
            pub const fn with(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }
            /// The names of the known bits that are set.
            pub fn names(self) -> Vec<&'static str> {
                Self::ALL
                    .iter()
                    .filter(|bit| self.contains(**bit))
                    .filter_map(|bit| bit.name())
                    .collect()
            }
        }
    };
}

named_values! {
    /// What a plugin implements beyond the required minimum. Unknown bits are ignored.
    Capabilities(u32) {
        /// `chat_stream` delivers events as they arrive.
        STREAMING = 1 => "streaming",
        /// Tool calls are passed through and assembled.
        TOOLS = 2 => "tools",
        /// Reasoning is reported apart from the answer.
        REASONING = 4 => "reasoning",
        /// `list_models` can discover the live catalog.
        DISCOVERY = 8 => "discovery",
        /// `validate_credential` checks a credential against the service.
        CREDENTIAL_VALIDATION = 16 => "credential-validation",
        /// Image inputs are accepted in messages.
        VISION = 32 => "vision",
    }
}
bit_set!(Capabilities);

named_values! {
    /// Input modalities a model accepts.
    Modalities(u32) {
        TEXT = 1 => "text",
        IMAGE = 2 => "image",
    }
}
bit_set!(Modalities);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_values_display() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.name().unwrap()), Some(*kind));
        }
        assert_eq!(EventKind(999).to_string(), "unknown(999)");
        let caps = Capabilities::STREAMING
            .with(Capabilities::TOOLS)
            .with(Capabilities(1 << 30));
        assert_eq!(caps.names(), ["streaming", "tools"]);
        assert!(caps.contains(Capabilities::TOOLS));
        assert!(!caps.contains(Capabilities::VISION));
        assert_eq!(Tristate::from(Some(false)).known(), Some(false));
    }
}
