//! `host-stub embed [--model REF] [TEXT…]`: one vector per text (the texts as arguments, else
//! one per line of stdin). For people, a line per text with its vector's length and first
//! numbers, and the model and upstream on stderr; with `--json`, the whole answer, vectors
//! included. Ctrl-C cancels the call (exit code 130).

use std::io::Read;

use clap::Args;
use provider_host::{display, event_lines::EmbeddingAnswer};

use super::{CliResult, Failure, call_failure, cancel_on_ctrl_c, open_host, output::print_json};
use crate::{
    embeddings::{EmbedOptions, embed},
    host::HostOptions,
};

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// The embedding model: a ref (`huggingface/Qwen/Qwen3-Embedding-0.6B`, pinned to an
    /// upstream with `:<upstream>`) or an alias; the plugin's default when absent.
    #[arg(long, value_name = "REF")]
    model: Option<String>,
    /// The length of the vectors wanted, for models that can shorten theirs.
    #[arg(long, value_name = "N")]
    dimensions: Option<u32>,
    /// What the texts are for: query or document.
    #[arg(long, value_name = "KIND")]
    input_type: Option<String>,
    /// The texts (each one embedded); none: one per line of stdin.
    #[arg(value_name = "TEXT")]
    texts: Vec<String>,
}

/// The most bytes of texts read from stdin.
const MAX_STDIN_BYTES: u64 = 32 * 1024 * 1024;

pub fn run(args: EmbedArgs, options: &HostOptions) -> CliResult {
    let texts = if args.texts.is_empty() {
        let mut input = String::new();
        std::io::stdin()
            .take(MAX_STDIN_BYTES + 1)
            .read_to_string(&mut input)
            .map_err(|err| Failure::usage(format!("cannot read the texts from stdin: {err}")))?;
        if input.len() as u64 > MAX_STDIN_BYTES {
            return Err(Failure::usage(format!(
                "the texts on stdin are over {} MiB",
                MAX_STDIN_BYTES >> 20
            )));
        }
        input
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        args.texts
    };
    if texts.is_empty() {
        return Err(Failure::usage(
            "nothing to embed: give texts as arguments or one per line on stdin",
        ));
    }
    let host = open_host(options)?;
    let cancel = cancel_on_ctrl_c()?;
    let request = EmbedOptions {
        model: args.model,
        texts,
        dimensions: args.dimensions,
        input_type: args.input_type,
    };
    let (reference, result) = embed(&host, &request, &cancel)
        .map_err(|error| call_failure(error, "the embedding call"))?;
    for notice in &result.notices {
        tell!("{notice}");
    }
    if options.json {
        return print_json(&EmbeddingAnswer::from(result));
    }
    for (text, vector) in request.texts.iter().zip(&result.vectors) {
        let head: Vec<String> = vector.iter().take(4).map(|n| format!("{n:.4}")).collect();
        say!(
            "{} [{}{}] {}",
            vector.len(),
            head.join(", "),
            if vector.len() > 4 { ", …" } else { "" },
            display::one_line(text)
        );
    }
    tell!(
        "[{} via {}: {} vectors of {} dimensions{}]",
        reference,
        result.serving_provider.as_deref().unwrap_or("?"),
        result.vectors.len(),
        result.dimensions,
        result
            .usage
            .map(|usage| format!(", {} tokens", usage.total_tokens))
            .unwrap_or_default()
    );
    Ok(())
}
