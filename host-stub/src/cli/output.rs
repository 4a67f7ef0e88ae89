//! Printing: borderless tables for people, pretty JSON for scripts.

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use super::Failure;

/// A borderless table with a header row.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !header.is_empty() {
        table.set_header(header.iter().map(|title| title.to_uppercase()));
    }
    table
}

/// A spinner on stderr for work a person waits for (a catalog refresh may take up to its
/// deadline). It draws only on a terminal; finish it with `finish_and_clear`.
pub fn spinner(message: &str) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    spinner.set_message(provider_host::display::one_line(message).into_owned());
    spinner.enable_steady_tick(std::time::Duration::from_millis(80));
    spinner
}

/// A table row whose cells quote outside text: each cell on one line, control characters shown
/// as escapes (a line break in a model id would otherwise forge a row).
pub fn row<I, S>(cells: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    cells
        .into_iter()
        .map(|cell| provider_host::display::one_line(cell.as_ref()).into_owned())
        .collect()
}

/// Prints a table without the cell padding the preset leaves at both ends of each line.
pub fn print_table(table: &Table) {
    for line in table.to_string().lines() {
        say!("{}", line.strip_prefix(' ').unwrap_or(line).trim_end());
    }
}

/// Prints a value as one line of JSON on stdout, streamed (catalogs can be megabytes; pipe
/// through `jq` to read it).
pub fn print_json(value: &impl Serialize) -> Result<(), Failure> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
