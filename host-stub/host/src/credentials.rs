//! Which credential a provider call uses, in one order for discovery, validation and chat alike
//! and for every host: an explicit value (a flag, or the credential a request carries), then
//! the stored profiles the host's credential stores hold for the provider (in ref mode, the
//! environment variable a profile names), then the plugin's environment variables in their
//! declared order, then a key the host's configuration names (OpenClaw's
//! `models.providers.<id>.apiKey`; before the stored profiles when the configuration says so),
//! then the plugin's token file. Values are trimmed; empty ones are skipped. Everything that reports a
//! credential shows only its masked form and where it came from.

use std::path::PathBuf;

use openclaw_provider_abi::{AuthMethod, Secret};
use serde::Serialize;

use crate::home::expand_tilde;

/// Where a stored profile's key is.
#[derive(Clone, Debug, PartialEq)]
pub enum StoredKey {
    /// The key itself (plaintext mode).
    Plain(Secret),
    /// The environment variable that holds it (ref mode).
    EnvRef(String),
    /// A reference this host cannot follow (OpenClaw's file/exec secret refs).
    Unsupported(String),
}

/// One profile from a host's credential store.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredProfile {
    pub id: String,
    pub provider: String,
    pub kind: String,
    pub key: Option<StoredKey>,
    /// Which store holds it, for people (empty when a host has just one).
    pub store: String,
}

/// A key the host's configuration names, and where in the order it goes.
#[derive(Clone, Debug)]
pub struct ConfiguredKey {
    pub source: CredentialSource,
    pub secret: Option<Secret>,
    /// Why it yields nothing (an unset variable …).
    pub note: Option<String>,
    /// Tried before the stored profiles (right after an explicit value), not after the
    /// environment.
    pub first: bool,
}

/// Where a credential was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CredentialSource {
    /// A command-line flag.
    Flag { flag: String },
    /// A stored profile's key.
    Profile { profile: String, store: String },
    /// A stored profile pointing at an environment variable.
    ProfileEnvRef {
        profile: String,
        variable: String,
        store: String,
    },
    /// A key the configuration holds, or names through an environment variable.
    Configured {
        setting: String,
        variable: Option<String>,
    },
    /// An environment variable.
    Env { variable: String },
    /// A token file.
    File { path: PathBuf },
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Flag { flag } => write!(f, "flag {flag}"),
            Self::Profile { profile, store } => write!(f, "profile {profile}{}", kept_in(store)),
            Self::ProfileEnvRef {
                profile,
                variable,
                store,
            } => write!(f, "profile {profile}{} (env: {variable})", kept_in(store)),
            Self::Configured {
                setting,
                variable: None,
            } => write!(f, "config {setting}"),
            Self::Configured {
                setting,
                variable: Some(variable),
            } => write!(f, "config {setting} (env: {variable})"),
            Self::Env { variable } => write!(f, "env: {variable}"),
            Self::File { path } => write!(f, "file {}", path.display()),
        }
    }
}

fn kept_in(store: &str) -> String {
    if store.is_empty() {
        String::new()
    } else {
        format!(" in {store}")
    }
}

/// A credential and where it came from. `Debug` shows the source only.
#[derive(Clone, PartialEq)]
pub struct Credential {
    pub secret: Secret,
    pub source: CredentialSource,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({}: {})", self.source, self.secret.masked())
    }
}

/// One place a credential could come from, as `auth status` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub source: CredentialSource,
    /// The masked value, when the place holds one.
    pub masked: Option<String>,
    /// Why a place yields nothing usable (an unset reference, an unreadable file, a value no
    /// token can be …).
    pub note: Option<String>,
    #[serde(skip)]
    secret: Option<Secret>,
    /// The place holds a value, but not one a token can be (see [`plausible`]).
    #[serde(skip)]
    malformed: bool,
}

/// Inputs to resolution besides the auth method.
#[derive(Default)]
pub struct Lookup<'a> {
    /// A value given explicitly (a command-line flag, a request), with the name of where it
    /// came from.
    pub explicit: Option<(&'a str, &'a str)>,
    /// The provider's stored profiles, in the host's order of preference.
    pub profiles: &'a [StoredProfile],
    /// A key the host's configuration names, if any.
    pub configured: Option<&'a ConfiguredKey>,
}

/// Why no credential could be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The first place holding a value holds one no token can be: it is refused rather than
    /// skipped, since the user put it there.
    #[error(
        "the credential from {0} has spaces, line breaks or other characters a token cannot \
         have; set it again (the value is not shown)"
    )]
    Malformed(CredentialSource),
}

/// The most bytes read from a token file (a token is a few dozen).
pub const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

/// Every place in precedence order, each looked at only when the iteration reaches it: a
/// caller that stops at the first usable one never reads the places after it.
pub fn sources<'a>(
    method: &'a AuthMethod,
    lookup: &'a Lookup<'a>,
) -> impl Iterator<Item = Candidate> + 'a {
    let explicit = lookup.explicit.map(|(flag, value)| {
        let found = Secret::new(value);
        let note = found.is_none().then(|| "empty".to_owned());
        Candidate::new(
            CredentialSource::Flag {
                flag: flag.to_owned(),
            },
            found,
            note,
        )
    });
    let configured = |first: bool| {
        lookup
            .configured
            .filter(move |key| key.first == first)
            .map(|key| Candidate::new(key.source.clone(), key.secret.clone(), key.note.clone()))
    };
    let profiles = lookup.profiles.iter().map(profile_candidate);
    let variables = method.env_vars.iter().filter_map(|variable| {
        let variable = variable.as_str();
        env_secret(variable).map(|found| {
            Candidate::new(
                CredentialSource::Env {
                    variable: variable.to_owned(),
                },
                Some(found),
                None,
            )
        })
    });
    let file = std::iter::once(()).filter_map(move |()| file_candidate(method));
    explicit
        .into_iter()
        .chain(configured(true))
        .chain(profiles)
        .chain(variables)
        .chain(configured(false))
        .chain(file)
}

/// Every place, in precedence order, with what it holds.
pub fn candidates(method: &AuthMethod, lookup: &Lookup<'_>) -> Vec<Candidate> {
    sources(method, lookup).collect()
}

/// The credential to use: from the first place that holds a value, which must be a plausible
/// token. Places after it are not looked at.
pub fn resolve(
    method: &AuthMethod,
    lookup: &Lookup<'_>,
) -> Result<Option<Credential>, CredentialError> {
    for candidate in sources(method, lookup) {
        if candidate.malformed {
            return Err(CredentialError::Malformed(candidate.source));
        }
        if let Some(credential) = candidate.into_credential() {
            return Ok(Some(credential));
        }
    }
    Ok(None)
}

/// Whether `token` could be a token: visible ASCII only, no spaces (HTTP headers carry nothing
/// else, and a pasted value with a line break or a space is a mistake, not a token).
pub fn plausible(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|byte| byte.is_ascii_graphic())
}

fn profile_candidate(profile: &StoredProfile) -> Candidate {
    let id = profile.id.clone();
    let store = profile.store.clone();
    match &profile.key {
        Some(StoredKey::Plain(secret)) => Candidate::new(
            CredentialSource::Profile { profile: id, store },
            Some(secret.clone()),
            None,
        ),
        Some(StoredKey::EnvRef(variable)) => {
            let found = env_secret(variable);
            let note = found.is_none().then(|| format!("{variable} is not set"));
            Candidate::new(
                CredentialSource::ProfileEnvRef {
                    profile: id,
                    variable: variable.clone(),
                    store,
                },
                found,
                note,
            )
        }
        Some(StoredKey::Unsupported(source)) => Candidate::new(
            CredentialSource::Profile { profile: id, store },
            None,
            Some(format!(
                "a {source:?} secret reference, which this host cannot read"
            )),
        ),
        None => Candidate::new(
            CredentialSource::Profile { profile: id, store },
            None,
            Some("no key stored".into()),
        ),
    }
}

/// The token file, read only now (bounded, regular files only: a FIFO or a device there must
/// not hang or flood the host).
fn file_candidate(method: &AuthMethod) -> Option<Candidate> {
    let path = credential_file(method)?;
    match crate::bounded::read(&path, MAX_TOKEN_FILE_BYTES) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let found = Secret::new(text.lines().next().unwrap_or_default());
            let note = found.is_none().then(|| "the file is empty".to_owned());
            Some(Candidate::new(CredentialSource::File { path }, found, note))
        }
        Err(err) if err.is_missing() => None,
        Err(err) => Some(Candidate::new(
            CredentialSource::File { path },
            None,
            Some(format!("unreadable: {err}")),
        )),
    }
}

impl Candidate {
    fn new(source: CredentialSource, secret: Option<Secret>, note: Option<String>) -> Self {
        match secret {
            Some(secret) if !plausible(secret.expose()) => Self {
                source,
                masked: None,
                note: Some(
                    "holds characters a token cannot have (spaces, line breaks, controls)".into(),
                ),
                secret: None,
                malformed: true,
            },
            secret => Self {
                masked: secret.as_ref().map(Secret::masked),
                source,
                note,
                secret,
                malformed: false,
            },
        }
    }

    /// The credential this place holds, if usable.
    pub fn into_credential(self) -> Option<Credential> {
        let source = self.source;
        self.secret.map(|secret| Credential { secret, source })
    }

    /// Whether this place holds a usable credential.
    pub fn usable(&self) -> bool {
        self.secret.is_some()
    }

    /// Whether this place holds a value that no token can be.
    pub fn malformed(&self) -> bool {
        self.malformed
    }

    /// Whether this place holds the same credential as `other`.
    pub fn same_secret(&self, other: &Candidate) -> bool {
        matches!((&self.secret, &other.secret), (Some(a), Some(b)) if a == b)
    }
}

fn env_secret(variable: &str) -> Option<Secret> {
    std::env::var(variable)
        .ok()
        .and_then(|value| Secret::new(&value))
}

/// The token file: the first of the method's templates whose variables are all set.
pub fn credential_file(method: &AuthMethod) -> Option<PathBuf> {
    method
        .credential_files
        .iter()
        .find_map(|template| expand_template(template.as_str(), |name| std::env::var(name).ok()))
}

/// Replaces `${VAR}` with environment values and a leading `~/` with the home directory;
/// `None` when a variable is unset or empty.
fn expand_template(template: &str, env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}')? + start;
        out.push_str(&rest[..start]);
        let value = env(&rest[start + 2..end])?;
        if value.trim().is_empty() {
            return None;
        }
        out.push_str(value.trim());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(expand_tilde(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_need_all_their_variables() {
        let env = |name: &str| match name {
            "DIR" => Some("/tmp/x".to_owned()),
            "BLANK" => Some("  ".to_owned()),
            _ => None,
        };
        assert_eq!(
            expand_template("${DIR}/token", env),
            Some(PathBuf::from("/tmp/x/token"))
        );
        assert_eq!(expand_template("${UNSET}/token", env), None);
        assert_eq!(expand_template("${BLANK}/token", env), None);
        assert_eq!(expand_template("${DIR", env), None);
        assert!(
            expand_template("~/.cache/t", env)
                .unwrap()
                .ends_with(".cache/t")
        );
    }
}
