//! Tokens from `hf auth login`'s browser login, kept fresh as huggingface_hub keeps them.
//!
//! Since huggingface_hub 1.20 `hf auth login` logs in through the browser (OAuth): the token
//! file holds a short-lived access token (30 days), and `stored_tokens` beside it its refresh
//! token and expiry ([`files`]). huggingface_hub refreshes it when under a day remains; a
//! host that only reads the token file would send it until it expires, and then every call is a
//! 401. So before a call uses a credential that is the token file's token, [`check`] looks up
//! its stored entry and, when it is expired or about to be, refreshes it the way
//! huggingface_hub does: under the `stored_tokens.lock` flock it reads the entry again (another
//! process may have refreshed it already: then that token is used), posts the refresh token to
//! `{HF_ENDPOINT}/oauth/token` with huggingface_hub's client id (`HF_DEVICE_CODE_OAUTH_CLIENT_ID`
//! overrides it), and writes the new token back where huggingface_hub keeps it — the entry in
//! `stored_tokens` (a new refresh token if one came, else the old one) and the token file if it
//! still holds the old token — each atomically, mode 0600. The call then uses the new token.
//!
//! A refresh that cannot happen leaves the token as it is (it may still work): a revoked or
//! expired session (`invalid_grant`) is not tried again in this process, another failure not
//! for five minutes; a 401 on a login token then says to run `hf auth login` ([`Checked::login`]
//! feeds the advice). Tokens are never logged, printed or put in an error.

pub mod files;

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use openclaw_provider_abi::{CallContext, ProviderError, Secret};
use serde_json::Value;

use self::files::{LoginFiles, Section, StoredTokensLock, render_ini, write_atomically};
use crate::{environment, http, outside_text::quote, runtime};

/// huggingface_hub's OAuth client for `hf auth login`.
pub const DEFAULT_CLIENT_ID: &str = "26be6b09-91c5-47da-9861-d2d2bb7a7e36";
/// Refresh when less than this much validity remains (huggingface_hub's margin).
pub const REFRESH_MARGIN_SECS: i64 = 24 * 60 * 60;
/// The token endpoint's deadline (huggingface_hub's `HF_HUB_DOWNLOAD_TIMEOUT`).
const REFRESH_DEADLINE: Duration = Duration::from_secs(10);
/// How long to wait for another process holding `stored_tokens.lock`.
const LOCK_BUDGET: Duration = Duration::from_secs(10);
/// After a refresh failed for another reason than a dead session, the next try waits this long.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(300);
/// The most bytes of a token endpoint answer read.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// What [`check`] found.
#[derive(Clone, PartialEq, Eq)]
pub struct Checked {
    /// The token to send: the one given, or the refreshed one.
    pub token: String,
    /// The token is a `hf auth login` (OAuth) token.
    pub login: bool,
    /// The token was refreshed for this call.
    pub refreshed: bool,
}

impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked")
            .field("login", &self.login)
            .field("refreshed", &self.refreshed)
            .finish_non_exhaustive()
    }
}

/// Refreshes that cannot or need not be tried now, by login (stored_tokens path, section,
/// expiry — never the token): `None` for never again, else not before that instant.
static HELD_OFF: Mutex<Option<HashMap<String, Option<Instant>>>> = Mutex::new(None);

/// Whether `token` is a `hf auth login` token (for advice only: no refresh).
pub fn is_login_token(token: &str) -> bool {
    token.starts_with("hf_oauth_")
        || LoginFiles::locate(env)
            .filter(|files| files.active_token().as_deref() == Some(token))
            .is_some_and(|files| {
                entry_of(&files.stored_tokens(), token)
                    .is_some_and(|section| section.get("refresh_token").is_some())
            })
}

/// The token to send in place of `token`: itself, or — when it is the token file's login token
/// and expires within a day — a refreshed one, written back for every client of the files.
pub fn check(token: &str) -> Checked {
    let unchanged = |login: bool| Checked {
        token: token.to_owned(),
        login,
        refreshed: false,
    };
    let prefixed = token.starts_with("hf_oauth_");
    let Some(files) = LoginFiles::locate(env) else {
        return unchanged(prefixed);
    };
    // Only the active token is refreshed, as huggingface_hub does (a token from the
    // environment is the user's to manage).
    if files.active_token().as_deref() != Some(token) {
        return unchanged(prefixed);
    }
    let sections = files.stored_tokens();
    let Some(section) = entry_of(&sections, token) else {
        return unchanged(prefixed);
    };
    let (Some(_), Some(expires_at)) = (section.get("refresh_token"), expires_at(section)) else {
        return unchanged(prefixed || section.get("refresh_token").is_some());
    };
    if expires_at.saturating_sub(REFRESH_MARGIN_SECS) > now_secs() {
        return unchanged(true);
    }
    let hold_key = format!("{}\n{}\n{expires_at}", files.stored.display(), section.name);
    if held_off(&hold_key) || environment::offline_switch().is_some() {
        return unchanged(true);
    }
    match refresh(&files, &section.name, token) {
        Ok(new_token) => Checked {
            refreshed: new_token != token,
            token: new_token,
            login: true,
        },
        Err(failure) => {
            log::warn!(
                "the Hugging Face login {} expires {}; it could not be refreshed ({}){}",
                quote(&section.name, Some(token)),
                if expires_at <= now_secs() {
                    "has expired"
                } else {
                    "within a day"
                },
                failure.why,
                if failure.session_over {
                    ": run `hf auth login` to log in again"
                } else {
                    ""
                }
            );
            hold_off(
                hold_key,
                (!failure.session_over).then(|| Instant::now() + RETRY_AFTER_FAILURE),
            );
            unchanged(true)
        }
    }
}

/// `context` with its credential [`check`]ed: refreshed when it is a login token about to expire.
pub fn fresh_context(context: &CallContext) -> CallContext {
    let mut context = context.clone();
    if let Some(secret) = context.credential.as_ref().into_option() {
        let checked = check(secret.expose());
        if checked.refreshed
            && let Some(fresh) = Secret::new(&checked.token)
        {
            context.credential = Some(fresh).into();
        }
    }
    context
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The stored entry of `token`.
fn entry_of<'a>(sections: &'a [Section], token: &str) -> Option<&'a Section> {
    sections.iter().find(|s| s.get("hf_token") == Some(token))
}

fn expires_at(section: &Section) -> Option<i64> {
    let text = section.get("expires_at")?.trim();
    text.parse::<i64>().ok().or_else(|| {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64)
    })
}

fn held_off(key: &str) -> bool {
    let Ok(mut held) = HELD_OFF.lock() else {
        return false;
    };
    match held.get_or_insert_with(HashMap::new).get(key) {
        Some(None) => true,
        Some(Some(until)) => Instant::now() < *until,
        None => false,
    }
}

fn hold_off(key: String, until: Option<Instant>) {
    if let Ok(mut held) = HELD_OFF.lock() {
        held.get_or_insert_with(HashMap::new).insert(key, until);
    }
}

/// Why a refresh failed, without any token in it.
#[derive(Debug)]
struct Failure {
    why: String,
    /// The session is revoked or expired: only a new login helps.
    session_over: bool,
}

impl Failure {
    fn new(why: impl Into<String>) -> Self {
        Self {
            why: why.into(),
            session_over: false,
        }
    }
}

/// The refresh itself, under the lock.
fn refresh(files: &LoginFiles, name: &str, token: &str) -> Result<String, Failure> {
    // Blocking on the plugin's runtime from inside it would panic; callers are host threads.
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Failure::new("called from inside the plugin's runtime"));
    }
    let _lock = StoredTokensLock::acquire(&files.lock, LOCK_BUDGET)
        .map_err(|err| Failure::new(format!("cannot lock stored_tokens: {err}")))?;
    let mut sections = files.stored_tokens();
    let Some(index) = sections.iter().position(|s| s.name == name) else {
        return Err(Failure::new("its entry left stored_tokens"));
    };
    let current = sections[index]
        .get("hf_token")
        .unwrap_or_default()
        .to_owned();
    if current != token {
        // Another process refreshed it while we waited for the lock: use its token.
        return if http::check_token(&current).is_ok() && !current.is_empty() {
            Ok(current)
        } else {
            Err(Failure::new(
                "its entry in stored_tokens holds no usable token",
            ))
        };
    }
    let refresh_token = sections[index]
        .get("refresh_token")
        .unwrap_or_default()
        .to_owned();
    let answer = post_refresh(&refresh_token)?;
    let new_token = answer.access_token;
    let mut entries = vec![
        ("hf_token".to_owned(), new_token.clone()),
        (
            "refresh_token".to_owned(),
            // The server may rotate the refresh token; the old one stays when it does not.
            answer.refresh_token.unwrap_or(refresh_token),
        ),
    ];
    if let Some(seconds) = answer.expires_in {
        entries.push((
            "expires_at".to_owned(),
            now_secs().saturating_add(seconds).to_string(),
        ));
    }
    sections[index].entries = entries;
    write_atomically(&files.stored, render_ini(&sections).as_bytes())
        .map_err(|err| Failure::new(format!("cannot write stored_tokens: {err}")))?;
    // Another login may have switched the active token meanwhile: then it stays.
    if files.active_token().as_deref() == Some(token) {
        write_atomically(&files.token, new_token.as_bytes())
            .map_err(|err| Failure::new(format!("cannot write the token file: {err}")))?;
    }
    log::info!(
        "refreshed the Hugging Face login {} ({})",
        quote(name, Some(token)),
        match answer.expires_in {
            Some(seconds) => format!("valid for {} days", seconds / 86_400),
            None => "no expiry given".into(),
        }
    );
    Ok(new_token)
}

/// What the token endpoint granted.
struct Granted {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

/// `POST {HF_ENDPOINT}/oauth/token` with the refresh grant, form-encoded, no client secret.
fn post_refresh(refresh_token: &str) -> Result<Granted, Failure> {
    let hub =
        http::checked_url(&environment::hub_endpoint()).map_err(|e| Failure::new(e.message))?;
    let url = http::endpoint(&hub, "oauth/token").map_err(|e| Failure::new(e.message))?;
    let client_id = env("HF_DEVICE_CODE_OAUTH_CLIENT_ID")
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned());
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", refresh_token)
        .append_pair("client_id", &client_id)
        .finish();
    let deadlines = http::Deadlines {
        connect: REFRESH_DEADLINE,
        first_byte: REFRESH_DEADLINE,
        idle: REFRESH_DEADLINE,
        overall: REFRESH_DEADLINE,
    };
    let until = Instant::now() + REFRESH_DEADLINE;
    let answer: Result<(u16, Vec<u8>), ProviderError> = runtime::block_on(async {
        let client = runtime::http_client(deadlines.connect, &url)?;
        let request = client
            .post(url.clone())
            .header(reqwest::header::USER_AGENT, crate::host_log::user_agent())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form);
        let response = http::send(request, &deadlines, &url, "refreshing the login").await?;
        let status = response.status().as_u16();
        let body =
            http::read_body_capped(response, MAX_ANSWER_BYTES, None, &deadlines, until, &url)
                .await?;
        Ok((status, body))
    })
    .map_err(|e| Failure::new(e.message))?;
    let (status, body) = answer.map_err(|e| Failure::new(e.message.to_string()))?;
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::trim);
    if (200..300).contains(&status)
        && let Some(access_token) = text("access_token").filter(|t| !t.is_empty())
    {
        http::check_token(access_token)
            .map_err(|_| Failure::new("the token endpoint answered with an unusable token"))?;
        return Ok(Granted {
            access_token: access_token.to_owned(),
            refresh_token: text("refresh_token")
                .filter(|t| !t.is_empty() && !t.contains(['\n', '\r']))
                .map(str::to_owned),
            expires_in: json
                .get("expires_in")
                .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
                .filter(|s| *s > 0),
        });
    }
    let error = text("error").unwrap_or_default();
    Err(Failure {
        why: format!(
            "the token endpoint answered HTTP {status}{}",
            if error.is_empty() {
                String::new()
            } else {
                format!(" {}", quote(error, Some(refresh_token)))
            }
        ),
        session_over: matches!(
            error,
            "invalid_grant" | "invalid_client" | "unauthorized_client"
        ),
    })
}
