//! Which credential a provider call uses, in one order for discovery, validation and chat alike
//! and for every host: an explicit value (a flag, or the credential a request carries), then
//! the stored profiles the host's credential store holds for the provider (in ref mode, the
//! environment variable a profile names), then the plugin's environment variables in their
//! declared order, then the plugin's token file. Values are trimmed; empty ones are skipped. Everything that reports a
//! credential shows only its masked form and where it came from.

use std::path::PathBuf;

use openclaw_provider_abi::{AuthMethod, Secret};
use serde::Serialize;

use crate::paths::expand_tilde;

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
}

/// Where a credential was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CredentialSource {
    /// A command-line flag.
    Flag { flag: String },
    /// A stored profile's key.
    Profile { profile: String },
    /// A stored profile pointing at an environment variable.
    ProfileEnvRef { profile: String, variable: String },
    /// An environment variable.
    Env { variable: String },
    /// A token file.
    File { path: PathBuf },
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Flag { flag } => write!(f, "flag {flag}"),
            Self::Profile { profile } => write!(f, "profile {profile}"),
            Self::ProfileEnvRef { profile, variable } => {
                write!(f, "profile {profile} (env: {variable})")
            }
            Self::Env { variable } => write!(f, "env: {variable}"),
            Self::File { path } => write!(f, "file {}", path.display()),
        }
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
    /// Why a place yields nothing usable (an unset reference, an unreadable file …).
    pub note: Option<String>,
    #[serde(skip)]
    secret: Option<Secret>,
}

/// Inputs to resolution besides the auth method.
#[derive(Default)]
pub struct Lookup<'a> {
    /// A value given explicitly (a command-line flag, a request), with the name of where it
    /// came from.
    pub explicit: Option<(&'a str, &'a str)>,
    /// The provider's stored profiles, in the host's order of preference.
    pub profiles: &'a [StoredProfile],
}

/// Every place, in precedence order, with what it holds.
pub fn candidates(method: &AuthMethod, lookup: &Lookup<'_>) -> Vec<Candidate> {
    let mut found = Vec::new();
    let mut push = |source: CredentialSource, secret: Option<Secret>, note: Option<String>| {
        found.push(Candidate {
            masked: secret.as_ref().map(Secret::masked),
            source,
            note,
            secret,
        });
    };
    if let Some((flag, value)) = lookup.explicit {
        let secret = Secret::new(value);
        let note = secret.is_none().then(|| "empty".to_owned());
        push(
            CredentialSource::Flag {
                flag: flag.to_owned(),
            },
            secret,
            note,
        );
    }
    for profile in lookup.profiles {
        let profile = profile.clone();
        match profile.key {
            Some(StoredKey::Plain(secret)) => push(
                CredentialSource::Profile {
                    profile: profile.id,
                },
                Some(secret),
                None,
            ),
            Some(StoredKey::EnvRef(variable)) => {
                let secret = env_secret(&variable);
                let note = secret.is_none().then(|| format!("{variable} is not set"));
                push(
                    CredentialSource::ProfileEnvRef {
                        profile: profile.id,
                        variable,
                    },
                    secret,
                    note,
                );
            }
            Some(StoredKey::Unsupported(source)) => push(
                CredentialSource::Profile {
                    profile: profile.id,
                },
                None,
                Some(format!(
                    "a {source:?} secret reference, which this host cannot read"
                )),
            ),
            None => push(
                CredentialSource::Profile {
                    profile: profile.id,
                },
                None,
                Some("no key stored".into()),
            ),
        }
    }
    for variable in method.env_vars.iter() {
        let variable = variable.as_str();
        let secret = env_secret(variable);
        if secret.is_some() {
            push(
                CredentialSource::Env {
                    variable: variable.to_owned(),
                },
                secret,
                None,
            );
        }
    }
    if let Some(path) = credential_file(method) {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let secret = Secret::new(text.lines().next().unwrap_or_default());
                let note = secret.is_none().then(|| "the file is empty".to_owned());
                push(CredentialSource::File { path }, secret, note);
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => push(
                CredentialSource::File { path },
                None,
                Some(format!("unreadable: {err}")),
            ),
        }
    }
    found
}

/// The credential to use: the first candidate that holds one.
pub fn resolve(method: &AuthMethod, lookup: &Lookup<'_>) -> Option<Credential> {
    candidates(method, lookup)
        .into_iter()
        .find_map(Candidate::into_credential)
}

impl Candidate {
    /// The credential this place holds, if usable.
    pub fn into_credential(self) -> Option<Credential> {
        let source = self.source;
        self.secret.map(|secret| Credential { secret, source })
    }

    /// Whether this place holds a usable credential.
    pub fn usable(&self) -> bool {
        self.secret.is_some()
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
