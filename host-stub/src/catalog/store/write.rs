//! Writing one provider's block of `models.json`: one row per line, and a digest of the rows
//! exactly as written, so a later refresh can tell whether anyone edited them.

use std::io::Write;

use serde::Serialize;

use super::ProviderBlock;

/// Writes a block with one row per line: readable and diffable, without the bulk of full
/// pretty-printing (thousands of rows, each with its upstream list).
pub(super) fn write_block(out: &mut impl Write, block: &ProviderBlock) -> std::io::Result<()> {
    fn json<T: Serialize + ?Sized>(value: &T) -> std::io::Result<String> {
        serde_json::to_string(value).map_err(std::io::Error::other)
    }
    // Each entry is serialised into one reused buffer and written in one piece: serde's many
    // tiny writes are cheap into a Vec and costly through the digest and the file's buffer.
    let mut line: Vec<u8> = Vec::with_capacity(4096);
    out.write_all(b"{\n")?;
    if let Some(url) = &block.base_url {
        writeln!(out, "  \"baseUrl\": {},", json(url)?)?;
    }
    if let Some(api) = &block.api {
        writeln!(out, "  \"api\": {},", json(api)?)?;
    }
    writeln!(out, "  \"refresh\": {},", json(&block.refresh)?)?;
    out.write_all(b"  \"generated\": {")?;
    let generated = block
        .models
        .iter()
        .filter_map(|row| row.generated().map(|filled| (&row.id, filled)));
    for (index, (id, filled)) in generated.enumerate() {
        line.clear();
        line.extend_from_slice(if index == 0 { b"\n    " } else { b",\n    " });
        serde_json::to_writer(&mut line, id).map_err(std::io::Error::other)?;
        line.extend_from_slice(b": ");
        serde_json::to_writer(&mut line, filled).map_err(std::io::Error::other)?;
        out.write_all(&line)?;
    }
    out.write_all(b"\n  },\n  \"models\": ")?;
    let mut models = Digesting::new(&mut *out);
    models.write_all(b"[")?;
    for (index, row) in block.models.iter().enumerate() {
        line.clear();
        line.extend_from_slice(if index == 0 { b"\n    " } else { b",\n    " });
        serde_json::to_writer(&mut line, row).map_err(std::io::Error::other)?;
        models.write_all(&line)?;
    }
    models.write_all(b"\n  ]")?;
    let rows_digest = models.finish();
    write!(out, ",\n  \"rowsDigest\": {}\n}}", json(&rows_digest)?)
}

/// A stable digest of `bytes` (see [`Digest`]).
pub(super) fn digest(bytes: &[u8]) -> String {
    let mut digest = Digest::default();
    digest.update(bytes);
    digest.finish()
}

/// XXH3-64 over the rows as written: stable across builds and versions (unlike std's hasher),
/// streaming (independent of how the output is split into writes), and fast on multi-megabyte
/// catalogs. It detects edits; it defends against no one.
#[derive(Default)]
pub(super) struct Digest(xxhash_rust::xxh3::Xxh3);

impl Digest {
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub(super) fn finish(self) -> String {
        format!("xxh3:{:016x}", self.0.digest())
    }
}

/// A writer that digests what passes through it.
struct Digesting<W> {
    inner: W,
    digest: Digest,
}

impl<W: Write> Digesting<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            digest: Digest::default(),
        }
    }

    fn finish(self) -> String {
        self.digest.finish()
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.digest.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_does_not_depend_on_how_input_is_split() {
        let text = b"0123456789abcdefghijklmnopqrstuvwxyz-some-catalog-bytes";
        let whole = digest(text);
        for split in 0..text.len() {
            let mut pieces = Digest::default();
            pieces.update(&text[..split]);
            pieces.update(&text[split..]);
            assert_eq!(pieces.finish(), whole, "split at {split}");
        }
        assert_ne!(digest(b"a"), digest(b"b"));
        assert_ne!(digest(b""), digest(b"\0"));
    }
}
