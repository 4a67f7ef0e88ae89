//! Interactive onboarding on a terminal: the auth-choice picker, the key (from the environment
//! or the plugin's token file if the user agrees, else masked input), the check with a spinner,
//! and the default-model picker.

use openclaw_provider_abi::{
    AuthMethod, CatalogRequest, CatalogSource, DiscoveryMode, SecretInputMode, Timeouts, Tristate,
};
use provider_host::plugin::LoadedPlugin;

use super::{super::Failure, OnboardArgs, onboard_failure};
use crate::{
    host::Host,
    model_refs,
    onboarding::{self, KeyChoice, KeySource, Plan, Report},
};

/// Interactive: the auth-choice picker, grouped by provider.
pub(super) fn pick_auth_choice(host: &Host) -> Result<(&LoadedPlugin, AuthMethod), Failure> {
    let mut options: Vec<(String, &LoadedPlugin, &AuthMethod)> = Vec::new();
    for plugin in host.registry().plugins() {
        for method in &plugin.auth_methods {
            let hint = if method.hint.is_empty() {
                String::new()
            } else {
                format!(" — {}", method.hint)
            };
            options.push((
                shown(&format!("{} › {}{hint}", method.group_label, method.label)),
                plugin,
                method,
            ));
        }
    }
    if options.is_empty() {
        return Err(Failure::new(
            "no provider plugins are loaded; `host-stub plugins list` says why",
        ));
    }
    let labels: Vec<String> = options.iter().map(|(label, _, _)| label.clone()).collect();
    let chosen = inquire::Select::new("How do you want to authenticate?", labels)
        .prompt()
        .map_err(prompt_failure)?;
    let (_, plugin, method) = options
        .into_iter()
        .find(|(label, _, _)| *label == chosen)
        .ok_or_else(|| Failure::new("the chosen option vanished"))?;
    Ok((plugin, method.clone()))
}

fn prompt_failure(error: inquire::InquireError) -> Failure {
    match error {
        inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted => {
            Failure::cancelled("onboarding cancelled; nothing was changed")
        }
        other => Failure::new(format!("the prompt failed: {other}")),
    }
}

pub(super) fn interactive_onboarding(
    host: &Host,
    plugin: &LoadedPlugin,
    method: &AuthMethod,
    secret_mode: SecretInputMode,
    flag_value: Option<&str>,
    args: &OnboardArgs,
) -> Result<Report, Failure> {
    let key = ask_for_key(method, flag_value)?;

    // Check the key; on a failure the user decides.
    let spinner = super::super::output::spinner(&format!(
        "Checking the key with {}…",
        plugin.info.display_name
    ));
    let checked = onboarding::validate(host, plugin, &key.secret);
    spinner.finish_and_clear();
    match &checked {
        Ok(info) => {
            tell!("{}", info.message);
            if info.can_call_provider == Tristate::NO && !confirm("Store this key anyway?", false)?
            {
                return Err(Failure::new("nothing was stored"));
            }
        }
        Err(err) => {
            tell!("The key could not be checked: {err}");
            if !confirm(
                "Store it without checking?",
                err.code != openclaw_provider_abi::ErrorCode::UNAUTHORIZED,
            )? {
                return Err(Failure::new("nothing was stored"));
            }
        }
    }

    let chosen_model = match &args.model {
        Some(model) => Some(model.clone()),
        None => Some(pick_model(host, plugin, &key)?),
    };
    let plan = Plan {
        key,
        secret_mode,
        chosen_model,
        validate: false,
    };
    let mut report = onboarding::apply(host, plugin, method, &plan).map_err(onboard_failure)?;
    if let Ok(info) = &checked {
        report.account = Some(onboarding::AccountView::from(info));
    }
    Ok(report)
}

/// The key: the flag, an environment token the user confirms, the token file's token the user
/// confirms, or a masked prompt.
fn ask_for_key(method: &AuthMethod, flag_value: Option<&str>) -> Result<KeyChoice, Failure> {
    if flag_value.is_some() {
        return onboarding::choose_key_from_flag(method, flag_value).map_err(onboard_failure);
    }
    for variable in method.env_vars.iter() {
        if let Ok(value) = std::env::var(variable.as_str())
            && let Some(secret) = openclaw_provider_abi::Secret::new(&value)
        {
            let question = format!("Use existing {variable} ({})?", secret.masked());
            if confirm(&question, true)? {
                return Ok(KeyChoice {
                    secret,
                    source: KeySource::Env {
                        variable: variable.to_string(),
                    },
                });
            }
            break;
        }
    }
    if let Some(found) = onboarding::key_from_token_file(method)
        && let KeySource::File { path } = &found.source
    {
        let question = format!(
            "Use the token in {} ({})?",
            shown(path),
            found.secret.masked()
        );
        if confirm(&question, true)? {
            return Ok(found);
        }
    }
    if !method.token_url.is_empty() {
        tell!(
            "Create a token at {} (permission: {}).",
            method.token_url,
            method.required_permission_label
        );
    }
    let entered = inquire::Password::new(&format!("{}:", method.prompt_message))
        .with_display_mode(inquire::PasswordDisplayMode::Masked)
        .without_confirmation()
        .with_validator(|input: &str| {
            Ok(match onboarding::normalize_key_input(input) {
                Ok(_) => inquire::validator::Validation::Valid,
                Err(why) => inquire::validator::Validation::Invalid(why.into()),
            })
        })
        .prompt()
        .map_err(prompt_failure)?;
    let key = onboarding::normalize_key_input(&entered).map_err(Failure::usage)?;
    if !method.secret_prefix.is_empty() && !key.starts_with(method.secret_prefix.as_str()) {
        tell!(
            "note: {} keys usually start with {}",
            method.group_label,
            method.secret_prefix
        );
    }
    Ok(KeyChoice {
        secret: openclaw_provider_abi::Secret::new(&key)
            .ok_or_else(|| Failure::usage("the key is empty"))?,
        source: KeySource::Prompt,
    })
}

fn confirm(question: &str, default: bool) -> Result<bool, Failure> {
    inquire::Confirm::new(question)
        .with_default(default)
        .prompt()
        .map_err(prompt_failure)
}

/// The default-model picker: the live catalog (or the built-in one, with the reason), each
/// model also offered with the routing policies the plugin names (`:cheapest`, `:fastest` for
/// Hugging Face), the current default pre-selected.
fn pick_model(host: &Host, plugin: &LoadedPlugin, key: &KeyChoice) -> Result<String, Failure> {
    let settings = host.config.provider_settings(plugin.id());
    let spinner = super::super::output::spinner("Loading the model list…");
    let catalog = plugin.list_models(&CatalogRequest {
        context: settings.call_context(
            Some(&key.secret),
            Timeouts {
                overall_ms: settings.discovery_timeout_ms,
                ..Timeouts::default()
            },
        ),
        mode: if settings.discovery_enabled {
            DiscoveryMode::ADVISORY
        } else {
            DiscoveryMode::STATIC
        },
        max_body_bytes: settings.max_body_bytes,
    });
    spinner.finish_and_clear();
    let catalog = catalog.map_err(|err| Failure::new(format!("the model list failed: {err}")))?;
    if catalog.source == CatalogSource::BUILT_IN {
        tell!(
            "Showing the built-in model list: {}",
            catalog.fallback_reason
        );
    }
    let provider = plugin.id();
    let mut options: Vec<(String, String)> = Vec::new();
    for model in catalog.models.iter() {
        let base = format!("{provider}/{}", model.id);
        options.push((shown(&format!("{} — {base}", model.name)), base.clone()));
        for policy in &plugin.metadata.routing_policies {
            let suffix = &policy.suffix;
            options.push((
                shown(&format!("{} ({suffix}) — {base}:{suffix}", model.name)),
                format!("{base}:{suffix}"),
            ));
        }
    }
    if options.is_empty() {
        return Ok(plugin.info.default_model.to_string());
    }
    let current = model_refs::expand_alias(
        &model_refs::aliases(&host.config),
        &model_refs::primary(&host.config).unwrap_or_else(|| plugin.info.default_model.to_string()),
    );
    let start = options.iter().position(|(_, r)| *r == current).unwrap_or(0);
    let labels: Vec<String> = options.iter().map(|(label, _)| label.clone()).collect();
    let chosen = inquire::Select::new(
        &format!(
            "Default {} model (type to filter)",
            plugin.info.display_name
        ),
        labels,
    )
    .with_starting_cursor(start)
    .with_page_size(12)
    .prompt()
    .map_err(prompt_failure)?;
    options
        .into_iter()
        .find(|(label, _)| *label == chosen)
        .map(|(_, reference)| reference)
        .ok_or_else(|| Failure::new("the chosen model vanished"))
}

/// A picker label made of outside text (a catalog's model names, a plugin's labels), safe to
/// show on one line.
fn shown(label: &str) -> String {
    provider_host::display::one_line(label).into_owned()
}
