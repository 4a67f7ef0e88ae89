//! `host-stub audio transcribe FILE` and `host-stub audio speak --output FILE TEXT`: speech to
//! text and text to speech through the plugins. The recording is read with a size cap (a FIFO
//! or a device is refused rather than read forever); the transcript goes to stdout (with
//! `--json`, the whole result: segments, language, the upstream). Speech is written where
//! `--output` says, its extension following the type the plugin read from the audio's bytes
//! when the name has none. Ctrl-C cancels either call.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use openclaw_provider_abi::{
    BlobRef, MAX_BLOB_BYTES,
    documents::{SpeechRequest, TranscriptSegment, TranscriptionRequest},
    file_extension,
};
use serde::Serialize;

use super::{CliResult, Failure, call_failure, cancel_on_ctrl_c, open_host, output::print_json};
use crate::{files, host::HostOptions, media};

#[derive(Debug, Subcommand)]
pub enum AudioCommand {
    /// Turn a recording into text.
    Transcribe(TranscribeArgs),
    /// Turn text into speech (experimental: the router serves few speech models).
    Speak(SpeakArgs),
}

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// The model: a ref (`huggingface/openai/whisper-large-v3`, pinned with `:<upstream>`) or
    /// an alias; the plugin's default when absent.
    #[arg(long, value_name = "REF")]
    model: Option<String>,
    /// The spoken language (ISO 639-1: en, fr …), when known.
    #[arg(long, value_name = "CODE")]
    language: Option<String>,
    /// Text that guides the transcription (names, spelling).
    #[arg(long, value_name = "TEXT")]
    prompt: Option<String>,
    /// The recording (WAV, FLAC, MP3, Ogg, WebM, M4A).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct SpeakArgs {
    /// The model: a ref (`huggingface/hexgrad/Kokoro-82M`) or an alias; the plugin's default
    /// when absent.
    #[arg(long, value_name = "REF")]
    model: Option<String>,
    /// Where to write the audio.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    /// A voice the upstream knows.
    #[arg(long)]
    voice: Option<String>,
    /// mp3, wav, opus …, where the upstream lets one choose.
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// What to say.
    #[arg(value_name = "TEXT")]
    text: String,
}

pub fn run(command: AudioCommand, options: &HostOptions) -> CliResult {
    match command {
        AudioCommand::Transcribe(args) => transcribe(args, options),
        AudioCommand::Speak(args) => speak(args, options),
    }
}

fn transcribe(args: TranscribeArgs, options: &HostOptions) -> CliResult {
    let bytes = provider_host::bounded::read(&args.file, MAX_BLOB_BYTES as u64)
        .map_err(|err| Failure::usage(err.to_string()))?;
    let host = open_host(options)?;
    let cancel = cancel_on_ctrl_c()?;
    let request = TranscriptionRequest {
        language: args.language,
        prompt: args.prompt,
        file_name: args
            .file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned()),
        ..TranscriptionRequest::default()
    };
    let (reference, result) = media::transcribe(
        &host,
        args.model.as_deref(),
        request,
        BlobRef::new("", &bytes),
        &cancel,
    )
    .map_err(|error| call_failure(error, "the transcription"))?;
    for notice in &result.notices {
        tell!("{notice}");
    }
    if options.json {
        return print_json(&Transcript {
            text: &result.text,
            segments: &result.segments,
            language: result.language.as_deref(),
            model: &result.model,
            reference: &reference,
            serving_provider: result.serving_provider.as_deref(),
            notices: &result.notices,
        });
    }
    say!("{}", result.text);
    tell!(
        "[{} via {}{}]",
        reference,
        result.serving_provider.as_deref().unwrap_or("?"),
        result
            .language
            .as_deref()
            .map(|language| format!(", language {language}"))
            .unwrap_or_default()
    );
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Transcript<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    segments: &'a [TranscriptSegment],
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    model: &'a str,
    #[serde(rename = "ref")]
    reference: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    serving_provider: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    notices: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spoken {
    file: String,
    media_type: String,
    bytes: usize,
    model: String,
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    serving_provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    voice: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<String>,
}

fn speak(args: SpeakArgs, options: &HostOptions) -> CliResult {
    let host = open_host(options)?;
    let cancel = cancel_on_ctrl_c()?;
    let request = SpeechRequest {
        text: args.text,
        voice: args.voice,
        format: args.format,
        ..SpeechRequest::default()
    };
    let (reference, result, audio) =
        media::speak(&host, args.model.as_deref(), request, &cancel)
            .map_err(|error| call_failure(error, "the speech synthesis"))?;
    for notice in &result.notices {
        tell!("{notice}");
    }
    let path = if args.output.extension().is_some() {
        args.output
    } else {
        args.output
            .with_extension(file_extension(audio.media_type.as_str()))
    };
    files::write_atomic(&path, audio.bytes.as_slice(), 0o644)
        .map_err(|err| Failure::new(format!("cannot write {}: {err}", path.display())))?;
    let spoken = Spoken {
        file: path.display().to_string(),
        media_type: audio.media_type.to_string(),
        bytes: audio.bytes.len(),
        model: result.model,
        reference,
        serving_provider: result.serving_provider,
        voice: result.voice,
        notices: result.notices,
    };
    if options.json {
        return print_json(&spoken);
    }
    say!(
        "{} ({}, {} bytes)",
        spoken.file,
        spoken.media_type,
        spoken.bytes
    );
    tell!(
        "[{} via {}{}]",
        spoken.reference,
        spoken.serving_provider.as_deref().unwrap_or("?"),
        spoken
            .voice
            .as_deref()
            .map(|voice| format!(", voice {voice}"))
            .unwrap_or_default()
    );
    Ok(())
}
