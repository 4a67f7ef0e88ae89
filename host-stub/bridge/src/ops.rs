//! The operations the bridge runs for a host, whether resident or one per run: [`run`] takes a
//! [`Request`] and writes its answer — a chat's progress lines, then one `done` line — to
//! [`Lines`]; a failure is a [`Stop`]: the `error` line the request ends with and, for a one-shot
//! run, its exit code.

use openclaw_provider_abi::{
    BlobRef, Cancellation, Capabilities, CatalogRequest, CatalogSource, DiscoveryMode,
    OnboardingRequest, Secret, SecretInputMode, Timeouts,
    abi_stable::std_types::RString,
    documents::{
        ChatRequest, EmbeddingRequest, EmbeddingResult, ImageRequest, SpeechRequest,
        TranscriptionRequest, TranscriptionResult, UsageReport,
    },
};
use provider_host::{
    credentials::{self, Lookup},
    event_lines::{EmbeddingAnswer, EventLine, UsageAnswer},
    events::ChatEvent,
    media_answers,
    model_row::ModelRow,
    plugin::LoadedPlugin,
    provider_settings::ProviderSettings,
};

use crate::{
    blob_files,
    output::Lines,
    protocol::{
        Answer, AudioFile, AuthMethodDescription, CatalogAnswer, CatalogMode, CatalogProvider,
        Done, Empty, Exit, ImageAnswer, NoteLine, OnboardingAnswer, PluginDescription, Request,
        ResolvedAnswer, Settings, SpeechAnswer, Stop, TranscriptAnswer, WrittenImage,
    },
};

/// Runs one request; its lines go to `lines` (not flushed but for a chat's progress). Setting
/// `cancel` stops it. `Cancel` itself is the caller's to handle.
pub fn run(
    plugin: &LoadedPlugin,
    request: Request,
    source: &CredentialSource,
    cancel: &Cancellation,
    lines: &mut Lines,
) -> Result<(), Stop> {
    match request {
        Request::Info => lines.push(&info(plugin)),
        Request::Catalog {
            credential,
            settings,
            mode,
            timeout_ms,
            max_body_bytes,
        } => {
            let limits = (timeout_ms, max_body_bytes);
            catalog(
                plugin,
                &settings,
                (credential, source),
                mode,
                limits,
                cancel,
                lines,
            )
        }
        Request::Resolve {
            reference,
            settings,
        } => resolve(plugin, &reference, &settings, lines),
        Request::Onboarding {
            config,
            method,
            model,
        } => lines.push(&onboarding(
            plugin,
            &config,
            method.as_deref(),
            model.as_deref(),
        )?),
        Request::Prepare { settings } => lines.push(&prepare(plugin, &settings)?),
        Request::Chat {
            credential,
            settings,
            request,
        } => chat(
            plugin,
            &settings,
            (credential, source),
            request.get(),
            cancel,
            lines,
        ),
        Request::Embed {
            credential,
            settings,
            request,
        } => {
            let answer = embed(
                plugin,
                &settings,
                (credential, source),
                request.get(),
                cancel,
            )?;
            lines.push(&Done::new(Answer::Embed(answer)))
        }
        Request::Image {
            credential,
            settings,
            request,
            blob_dir,
        } => {
            let answer = image(
                plugin,
                &settings,
                (credential, source),
                request.get(),
                &blob_dir,
                cancel,
            )?;
            lines.push(&Done::new(Answer::Image(answer)))
        }
        Request::Transcribe {
            credential,
            settings,
            request,
            audio,
        } => {
            let answer = transcribe(
                plugin,
                &settings,
                (credential, source),
                request.get(),
                &audio,
                cancel,
            )?;
            lines.push(&Done::new(Answer::Transcript(answer)))
        }
        Request::Speak {
            credential,
            settings,
            request,
            blob_dir,
        } => {
            let answer = speak(
                plugin,
                &settings,
                (credential, source),
                request.get(),
                &blob_dir,
                cancel,
            )?;
            lines.push(&Done::new(Answer::Speech(answer)))
        }
        Request::Usage {
            credential,
            settings,
        } => {
            let answer = usage(plugin, &settings, (credential, source), cancel)?;
            lines.push(&Done::new(Answer::Usage(answer)))
        }
        Request::Cancel => Ok(()),
    }
}

/// Where a request's credential comes from when it carries none (for the message).
pub enum CredentialSource {
    /// A resident request's `credential` key.
    Request,
    /// A one-shot run's environment variable.
    Variable(&'static str),
}

impl CredentialSource {
    fn name(&self) -> &str {
        match self {
            Self::Request => "a \"credential\" in the request",
            Self::Variable(name) => name,
        }
    }
}

/// The provider's settings for a call, shaped by the host library.
fn settings_of(plugin: &LoadedPlugin, settings: &Settings) -> ProviderSettings {
    ProviderSettings::from_blocks(
        plugin.id(),
        settings.provider.as_ref(),
        settings.plugin.as_ref(),
    )
}

/// The credential for a call, in the one order every host uses: the one given (by the request,
/// or a one-shot run's variable), then the plugin's environment variables, then its token file.
pub fn credential(
    plugin: &LoadedPlugin,
    given: Option<Secret>,
    source: &CredentialSource,
) -> Result<Secret, Stop> {
    let lookup = Lookup {
        explicit: given
            .as_ref()
            .map(|secret| (source.name(), secret.expose())),
        ..Lookup::default()
    };
    let found = match plugin.auth_method(None) {
        Some(method) => credentials::resolve(method, &lookup)
            .map_err(|err| Stop::invalid(err.to_string()))?
            .map(|credential| credential.secret),
        // A plugin without auth methods takes what it is given.
        None => given.clone(),
    };
    if let Some(secret) = found {
        return Ok(secret);
    }
    let mut ways = vec![source.name().to_owned()];
    for method in &plugin.auth_methods {
        for variable in method.env_vars.iter() {
            if !ways.iter().any(|way| way == variable.as_str()) {
                ways.push(variable.to_string());
            }
        }
    }
    Err(Stop::new(
        Exit::NoCredential,
        "no_credential",
        format!(
            "no credential for {}: set {}, or log in with the provider's own tool so its token \
             file exists",
            plugin.id(),
            ways.join(" or ")
        ),
    ))
}

/// The plugin's info and auth methods.
fn info(plugin: &LoadedPlugin) -> Done<'static> {
    let info = &plugin.info;
    let auth_methods = plugin
        .auth_methods
        .iter()
        .map(|m| AuthMethodDescription {
            provider_id: m.provider_id.to_string(),
            method_id: m.method_id.to_string(),
            choice_id: m.choice_id.to_string(),
            label: m.label.to_string(),
            hint: m.hint.to_string(),
            cli_flag: m.cli_flag.to_string(),
            option_key: m.option_key.to_string(),
            env_vars: m.env_vars.iter().map(ToString::to_string).collect(),
            prompt_message: m.prompt_message.to_string(),
            token_url: m.token_url.to_string(),
            required_permission: m.required_permission.to_string(),
        })
        .collect();
    Done::new(Answer::Info(PluginDescription {
        id: info.id.to_string(),
        name: info.display_name.to_string(),
        version: info.plugin_version.to_string(),
        interface: info.interface_version.to_string(),
        serves: plugin.serving().names(),
        api: info.api.to_string(),
        base_url: info.default_base_url.to_string(),
        default_model: info.default_model.to_string(),
        library: plugin.library.display().to_string(),
        auth_methods,
    }))
}

/// The model catalog, in OpenClaw's `models.providers.<id>` shape; `cancel` stops it.
fn catalog(
    plugin: &LoadedPlugin,
    settings: &Settings,
    (given, source): (Option<Secret>, &CredentialSource),
    mode: CatalogMode,
    (timeout_ms, max_body_bytes): (u64, u64),
    cancel: &Cancellation,
    lines: &mut Lines,
) -> Result<(), Stop> {
    let mode = match mode {
        CatalogMode::Static => DiscoveryMode::STATIC,
        CatalogMode::Advisory => DiscoveryMode::ADVISORY,
        CatalogMode::Strict => DiscoveryMode::STRICT,
    };
    let settings = settings_of(plugin, settings);
    let credential = match mode {
        DiscoveryMode::STATIC => None,
        _ => Some(credential(plugin, given, source)?),
    };
    let context = settings.call_context(
        credential.as_ref(),
        Timeouts {
            overall_ms: timeout_ms,
            ..Timeouts::default()
        },
    );
    let catalog = plugin.list_models_for(
        &CatalogRequest {
            context,
            mode,
            max_body_bytes,
        },
        Capabilities::CHAT,
        cancel,
    )?;
    lines.push(&Done::new(Answer::Catalog(CatalogAnswer {
        source: if catalog.source == CatalogSource::LIVE {
            "live"
        } else {
            "built-in"
        },
        fallback_reason: catalog.fallback_reason.as_str(),
        provider: CatalogProvider {
            base_url: base_url(plugin, &settings),
            api: plugin.info.api.as_str(),
            models: catalog.models.iter().map(ModelRow::from).collect(),
        },
    })))
}

/// Where calls with these settings go.
fn base_url(plugin: &LoadedPlugin, settings: &ProviderSettings) -> String {
    settings
        .base_url
        .clone()
        .unwrap_or_else(|| plugin.info.default_base_url.to_string())
}

/// What a model ref means; the built-in catalog gives known models their facts. No network.
fn resolve(
    plugin: &LoadedPlugin,
    reference: &str,
    settings: &Settings,
    lines: &mut Lines,
) -> Result<(), Stop> {
    let known = plugin.static_catalog()?;
    let resolved = plugin.resolve_ref(reference, &known)?;
    lines.push(&Done::new(Answer::Resolve(ResolvedAnswer {
        reference: resolved.model_ref.as_str(),
        provider: resolved.provider_id.as_str(),
        wire_model_id: resolved.wire_model_id.as_str(),
        base_model_id: resolved.base_model_id.as_str(),
        policy: resolved.policy.as_str(),
        policy_provider: resolved.policy_provider.as_str(),
        known: resolved.known,
        model: ModelRow::from(&resolved.model),
        warnings: resolved.warnings.iter().map(|w| w.as_str()).collect(),
        base_url: base_url(plugin, &settings_of(plugin, settings)),
    })))
}

/// What onboarding changes for the host's configuration `config` (JSON text; blank: empty).
fn onboarding(
    plugin: &LoadedPlugin,
    config: &str,
    method: Option<&str>,
    model: Option<&str>,
) -> Result<Done<'static>, Stop> {
    let config = if config.trim().is_empty() {
        "{}".to_owned()
    } else {
        let value: serde_json::Value = serde_json::from_str(config)
            .map_err(|err| Stop::invalid(format!("the configuration is not JSON: {err}")))?;
        value.to_string()
    };
    let method = plugin.auth_method(method).ok_or_else(|| {
        let offered: Vec<&str> = plugin
            .auth_methods
            .iter()
            .map(|m| m.method_id.as_str())
            .collect();
        Stop::invalid(format!(
            "no such auth method; {} offers {}",
            plugin.id(),
            offered.join(", ")
        ))
    })?;
    let result = plugin.onboarding_result(&OnboardingRequest {
        method_id: method.method_id.clone(),
        secret_mode: SecretInputMode::PLAINTEXT,
        key_env_var: RString::new(),
        chosen_model: model.unwrap_or_default().into(),
        current_config_json: config.into(),
    })?;
    let config_patch = serde_json::from_str(&result.config_patch_json).map_err(|err| {
        Stop::new(
            Exit::Failed,
            "invalid_response",
            format!("the plugin's config patch is not JSON: {err}"),
        )
    })?;
    Ok(Done::new(Answer::Onboarding(OnboardingAnswer {
        profile_id: result.profile.profile_id.to_string(),
        provider_id: result.profile.provider_id.to_string(),
        config_patch,
        default_model: result.default_model.to_string(),
        notes: result
            .notes
            .iter()
            .map(|n| NoteLine {
                title: n.title.to_string(),
                message: n.message.to_string(),
            })
            .collect(),
    })))
}

/// Warms what calls with these settings need (a connection); answers at once.
fn prepare(plugin: &LoadedPlugin, settings: &Settings) -> Result<Done<'static>, Stop> {
    plugin.prepare(&settings_of(plugin, settings).call_context(None, Timeouts::default()))?;
    Ok(Done::new(Answer::Prepared(Empty {})))
}

/// Texts to vectors: `request` is an embedding request (JSON), checked before the credential is
/// looked for; with no texts, the plan (which model and upstream would serve them). Setting
/// `cancel` stops it.
fn embed(
    plugin: &LoadedPlugin,
    settings: &Settings,
    (given, source): (Option<Secret>, &CredentialSource),
    request: &str,
    cancel: &Cancellation,
) -> Result<EmbeddingAnswer, Stop> {
    let parsed: EmbeddingRequest = serde_json::from_str(request)
        .map_err(|err| Stop::invalid(format!("the request is not an embedding request: {err}")))?;
    if parsed.model.trim().is_empty() {
        return Err(Stop::invalid("the request needs a model"));
    }
    let credential = credential(plugin, given, source)?;
    let settings = settings_of(plugin, settings);
    let context = settings.call_context(Some(&credential), Timeouts::default());
    let answer = plugin.embed(&context, request, cancel)?;
    let result: EmbeddingResult = serde_json::from_str(&answer).map_err(|err| {
        Stop::new(
            Exit::Failed,
            "invalid_response",
            format!("the plugin's embedding result is not one: {err}"),
        )
    })?;
    if result.vectors.len() != parsed.input.len() {
        return Err(Stop::new(
            Exit::Failed,
            "invalid_response",
            format!(
                "the plugin answered {} vectors for {} texts",
                result.vectors.len(),
                parsed.input.len()
            ),
        ));
    }
    Ok(EmbeddingAnswer {
        base_url: Some(base_url(plugin, &settings)),
        ..result.into()
    })
}

/// The context of a call beyond chat: the credential and the provider's settings.
fn call_context(
    plugin: &LoadedPlugin,
    settings: &Settings,
    (given, source): (Option<Secret>, &CredentialSource),
) -> Result<openclaw_provider_abi::CallContext, Stop> {
    let credential = credential(plugin, given, source)?;
    Ok(settings_of(plugin, settings).call_context(Some(&credential), Timeouts::default()))
}

/// Checks that `request` is the document `T`, naming a model.
fn check_request<T: serde::de::DeserializeOwned>(
    request: &str,
    what: &str,
    model: impl Fn(&T) -> &str,
) -> Result<T, Stop> {
    let parsed: T = serde_json::from_str(request)
        .map_err(|err| Stop::invalid(format!("the request is not {what}: {err}")))?;
    if model(&parsed).trim().is_empty() {
        return Err(Stop::invalid("the request needs a model"));
    }
    Ok(parsed)
}

/// A prompt to images, each written to a file of its own in `blob_dir` for the host to read
/// and remove: the bytes cross once, never as text in a line.
fn image(
    plugin: &LoadedPlugin,
    settings: &Settings,
    credential: (Option<Secret>, &CredentialSource),
    request: &str,
    blob_dir: &str,
    cancel: &Cancellation,
) -> Result<ImageAnswer, Stop> {
    check_request(request, "an image request", |r: &ImageRequest| &r.model)?;
    let dir = blob_files::directory(blob_dir)?;
    let context = call_context(plugin, settings, credential)?;
    let answer = plugin.generate_image(&context, request, cancel)?;
    let (result, blobs) = media_answers::images(plugin.id(), answer)?;
    let files = blob_files::write_all(&dir, "image", blobs)?;
    Ok(ImageAnswer {
        model: result.model,
        serving_provider: result.serving_provider,
        images: result
            .images
            .into_iter()
            .zip(files)
            .map(|(image, file)| WrittenImage {
                file,
                width: image.width,
                height: image.height,
                revised_prompt: image.revised_prompt,
            })
            .collect(),
        notices: result.notices,
    })
}

/// Speech to text: the recording is read from the file the host wrote, with a size cap.
fn transcribe(
    plugin: &LoadedPlugin,
    settings: &Settings,
    credential: (Option<Secret>, &CredentialSource),
    request: &str,
    audio: &AudioFile,
    cancel: &Cancellation,
) -> Result<TranscriptAnswer, Stop> {
    check_request(
        request,
        "a transcription request",
        |r: &TranscriptionRequest| &r.model,
    )?;
    let recording = blob_files::read(&audio.path)?;
    let context = call_context(plugin, settings, credential)?;
    let answer = plugin.transcribe_audio(
        &context,
        request,
        BlobRef::new(&audio.media_type, &recording),
        cancel,
    )?;
    drop(recording);
    let result: TranscriptionResult =
        serde_json::from_str(&answer).map_err(|err| media_answers::not_one(plugin.id(), err))?;
    Ok(TranscriptAnswer {
        text: result.text,
        model: result.model,
        serving_provider: result.serving_provider,
        language: result.language,
        segments: result.segments,
        notices: result.notices,
    })
}

/// Text to speech, the audio written to a file in `blob_dir`.
fn speak(
    plugin: &LoadedPlugin,
    settings: &Settings,
    credential: (Option<Secret>, &CredentialSource),
    request: &str,
    blob_dir: &str,
    cancel: &Cancellation,
) -> Result<SpeechAnswer, Stop> {
    check_request(request, "a speech request", |r: &SpeechRequest| &r.model)?;
    let dir = blob_files::directory(blob_dir)?;
    let context = call_context(plugin, settings, credential)?;
    let answer = plugin.synthesize_speech(&context, request, cancel)?;
    let (result, audio) = media_answers::speech(plugin.id(), answer)?;
    let mut files = blob_files::write_all(&dir, "speech", vec![audio])?;
    Ok(SpeechAnswer {
        audio: files.remove(0),
        model: result.model,
        serving_provider: result.serving_provider,
        voice: result.voice,
        notices: result.notices,
    })
}

/// The account's spend this month, as the plugin reports it.
fn usage(
    plugin: &LoadedPlugin,
    settings: &Settings,
    (given, source): (Option<Secret>, &CredentialSource),
    cancel: &Cancellation,
) -> Result<UsageAnswer, Stop> {
    let credential = credential(plugin, given, source)?;
    let context =
        settings_of(plugin, settings).call_context(Some(&credential), Timeouts::default());
    let answer = plugin.account_usage(&context, cancel)?;
    let report: UsageReport = serde_json::from_str(&answer).map_err(|err| {
        Stop::new(
            Exit::Failed,
            "invalid_response",
            format!("the plugin's usage report is not one: {err}"),
        )
    })?;
    Ok(UsageAnswer::new(plugin.id(), report))
}

/// A streamed chat: `request` is the chat request (JSON), checked before the credential is
/// looked for; every event becomes a line as it arrives (a burst of events is written at once),
/// ending with `done`. Setting `cancel` stops the request.
fn chat(
    plugin: &LoadedPlugin,
    settings: &Settings,
    (given, source): (Option<Secret>, &CredentialSource),
    request: &str,
    cancel: &Cancellation,
    lines: &mut Lines,
) -> Result<(), Stop> {
    let parsed: ChatRequest = serde_json::from_str(request)
        .map_err(|err| Stop::invalid(format!("the request is not a chat request: {err}")))?;
    if parsed.model.trim().is_empty() || parsed.messages.is_empty() {
        return Err(Stop::invalid(
            "the request needs a model and at least one message",
        ));
    }
    drop(parsed);
    let credential = credential(plugin, given, source)?;
    let context =
        settings_of(plugin, settings).call_context(Some(&credential), Timeouts::default());
    let mut events = plugin.chat_events(&context, request, Some(cancel))?;
    while let Some(event) = events.next() {
        let event = event?;
        let done = matches!(event, ChatEvent::Done(_));
        if let Some(line) = EventLine::from_event(&event)
            && let Err(too_large) = lines.push(&line)
        {
            events.cancel();
            return Err(too_large);
        }
        if (done || !events.has_buffered())
            && let Err(err) = lines.flush()
        {
            // The reader went away: nobody wants the rest.
            events.cancel();
            return Err(Stop::new(
                Exit::Failed,
                "output",
                format!("cannot write the answer: {err}"),
            ));
        }
        if done {
            return Ok(());
        }
    }
    Err(Stop::new(
        Exit::Failed,
        "invalid_response",
        "the stream ended without an answer",
    ))
}
