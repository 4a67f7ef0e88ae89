//! `host-stub image generate --prompt TEXT [--model REF] [--output FILE] …`: images from a
//! prompt, written to files. Each image's type is the one the plugin read from its bytes, and
//! the file's extension follows it. With `--output`, that file (several images: `name-1.png`,
//! `name-2.png` …); without, `image.<ext>` in the current directory, never over an existing
//! file. For people, one line per file on stdout and the model and upstream on stderr; with
//! `--json`, one object naming the files. Ctrl-C cancels the call, and a queued job with it.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use openclaw_provider_abi::{documents::ImageRequest, file_extension};
use serde::Serialize;

use super::{CliResult, Failure, call_failure, cancel_on_ctrl_c, open_host, output::print_json};
use crate::{files, host::HostOptions, media};

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Generate images from a prompt.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to draw.
    #[arg(long)]
    prompt: String,
    /// The model: a ref (`huggingface/black-forest-labs/FLUX.1-dev`, pinned to an upstream with
    /// `:<upstream>`) or an alias; the plugin's default when absent.
    #[arg(long, value_name = "REF")]
    model: Option<String>,
    /// Where to write the image (several: numbered before the extension).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to keep out of the image.
    #[arg(long, value_name = "TEXT")]
    negative_prompt: Option<String>,
    /// The size in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    size: Option<(u32, u32)>,
    /// The aspect ratio (16:9, 1:1 …), for upstreams that take one.
    #[arg(long, value_name = "W:H")]
    aspect_ratio: Option<String>,
    /// How many images.
    #[arg(long, value_name = "N")]
    count: Option<u32>,
    /// A seed, for the same image again.
    #[arg(long)]
    seed: Option<u64>,
    /// png, jpeg or webp, where the upstream lets one choose.
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or("the size is WIDTHxHEIGHT, e.g. 1024x768")?;
    let number = |n: &str| {
        n.trim()
            .parse::<u32>()
            .map_err(|_| format!("{n:?} is not a number"))
    };
    Ok((number(w)?, number(h)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Written {
    file: String,
    media_type: String,
    bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revised_prompt: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    model: String,
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    serving_provider: Option<String>,
    images: Vec<Written>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<String>,
}

pub fn run(command: ImageCommand, options: &HostOptions) -> CliResult {
    let ImageCommand::Generate(args) = command;
    let host = open_host(options)?;
    let cancel = cancel_on_ctrl_c()?;
    let request = ImageRequest {
        prompt: args.prompt,
        negative_prompt: args.negative_prompt,
        width: args.size.map(|(w, _)| w),
        height: args.size.map(|(_, h)| h),
        aspect_ratio: args.aspect_ratio,
        count: args.count,
        seed: args.seed,
        output_format: args.format,
        ..ImageRequest::default()
    };
    let (reference, result, blobs) =
        media::generate_image(&host, args.model.as_deref(), request, &cancel)
            .map_err(|error| call_failure(error, "generating the image"))?;
    for notice in &result.notices {
        tell!("{notice}");
    }
    let several = result.images.len() > 1;
    let mut written = Vec::new();
    for (number, image) in result.images.iter().enumerate() {
        let Some(blob) = blobs.get(image.blob as usize) else {
            continue;
        };
        let extension = file_extension(blob.media_type.as_str());
        let path = match &args.output {
            Some(path) if several => numbered(path, number + 1, extension),
            Some(path) => path.clone(),
            None => unused(Path::new("image"), extension),
        };
        files::write_atomic(&path, blob.bytes.as_slice(), 0o644)
            .map_err(|err| Failure::new(format!("cannot write {}: {err}", path.display())))?;
        written.push(Written {
            file: path.display().to_string(),
            media_type: blob.media_type.to_string(),
            bytes: blob.bytes.len(),
            width: image.width,
            height: image.height,
            revised_prompt: image.revised_prompt.clone(),
        });
    }
    if options.json {
        return print_json(&Answer {
            model: result.model,
            reference,
            serving_provider: result.serving_provider,
            images: written,
            notices: result.notices,
        });
    }
    for image in &written {
        say!(
            "{} ({}, {} bytes)",
            image.file,
            image.media_type,
            image.bytes
        );
    }
    tell!(
        "[{} via {}: {} image{}]",
        reference,
        result.serving_provider.as_deref().unwrap_or("?"),
        written.len(),
        if written.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

/// `dir/name-<n>.<ext>` for `dir/name.<whatever>`.
fn numbered(path: &Path, number: usize, extension: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into());
    let ext = path
        .extension()
        .map(|ext| ext.to_string_lossy().into_owned())
        .unwrap_or_else(|| extension.into());
    path.with_file_name(format!("{stem}-{number}.{ext}"))
}

/// `<base>.<ext>`, or `<base>-2.<ext>` … when taken.
pub(super) fn unused(base: &Path, extension: &str) -> PathBuf {
    let first = base.with_extension(extension);
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| numbered(base, n, extension))
        .find(|path| !path.exists())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_file_names() {
        assert_eq!(parse_size("1024x768").unwrap(), (1024, 768));
        assert!(parse_size("1024").is_err());
        assert!(parse_size("ax1").is_err());
        assert_eq!(
            numbered(Path::new("out/cat.png"), 2, "jpg"),
            PathBuf::from("out/cat-2.png")
        );
        assert_eq!(
            numbered(Path::new("cat"), 1, "jpg"),
            PathBuf::from("cat-1.jpg")
        );
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("image");
        assert_eq!(unused(&base, "png"), dir.path().join("image.png"));
        std::fs::write(dir.path().join("image.png"), b"x").unwrap();
        assert_eq!(unused(&base, "png"), dir.path().join("image-2.png"));
    }
}
