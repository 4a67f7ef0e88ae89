//! Rust targets and what a plugin folder calls them. A target triple
//! (`aarch64-apple-darwin`) names its binaries' directory and archive suffix the way Node names
//! the platform it runs on (`process.platform`-`process.arch`: `darwin-arm64`), since the JS
//! entry picks the directory by those names at run time; it also decides the library's file
//! name (`libopenclaw_huggingface.so` on Linux, `.dylib` on macOS). Which targets can be built
//! here is asked of the toolchain cargo will use: a target is installed when its standard
//! library is in rustc's sysroot — where `rustup target add` puts it, and where a toolchain
//! without rustup keeps its own.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// A target the plugin can be packaged for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The Rust target triple (`x86_64-unknown-linux-gnu`).
    pub triple: String,
    /// The platform as Node names it (`linux-x64`): the binaries' directory, the archive suffix.
    pub platform: String,
    /// Whether the target is an Apple one (Mach-O, `.dylib`, code signatures).
    pub apple: bool,
}

impl Target {
    /// The target a triple names, or why the plugin cannot be packaged for it.
    pub fn parse(triple: &str) -> Result<Self, String> {
        let parts: Vec<&str> = triple.split('-').collect();
        let (Some(arch), Some(system)) = (parts.first(), parts.get(1..)) else {
            return Err(format!("{triple:?} is not a target triple"));
        };
        let unsupported = |why: &str| Err(format!("cannot package the plugin for {triple}: {why}"));
        // Node's process.arch values.
        let arch = match *arch {
            "x86_64" => "x64",
            "aarch64" => "arm64",
            "i586" | "i686" => "ia32",
            "riscv64gc" => "riscv64",
            "powerpc64le" => "ppc64",
            "s390x" => "s390x",
            "loongarch64" => "loong64",
            other => return unsupported(&format!("Node has no name for the CPU {other:?}")),
        };
        let has = |part: &str| system.contains(&part);
        // Node's process.platform values. The hosts load plugins through Unix dlopen; musl and
        // glibc builds would both be "linux" to Node, so one would pass for the other.
        let os = if has("darwin") {
            "darwin"
        } else if has("windows") {
            return unsupported("the plugin hosts run on Unix only");
        } else if has("linux") {
            if system.iter().any(|part| part.starts_with("musl")) {
                return unsupported(
                    "Node calls musl and glibc Linux both \"linux\", so a musl archive would \
                     pass for the glibc one; build the gnu target",
                );
            }
            "linux"
        } else if let Some(os) = ["freebsd", "netbsd", "openbsd"]
            .into_iter()
            .find(|os| has(os))
        {
            os
        } else if has("illumos") || has("solaris") {
            "sunos"
        } else {
            return unsupported("not a Unix the plugin hosts know");
        };
        Ok(Self {
            triple: triple.to_owned(),
            platform: format!("{os}-{arch}"),
            apple: os == "darwin",
        })
    }

    /// The file name of the library `base` (a crate's library name) for this target.
    pub fn library_file(&self, base: &str) -> String {
        let suffix = if self.apple { ".dylib" } else { ".so" };
        format!("lib{base}{suffix}")
    }
}

/// The Rust toolchain cargo builds with: its host and where its targets' libraries are.
#[derive(Debug)]
pub struct Toolchain {
    /// The triple of the machine rustc runs on (the build machine).
    pub host: String,
    sysroot: PathBuf,
    known: Vec<String>,
}

impl Toolchain {
    /// Asks rustc (`$RUSTC`, else `rustc`, as cargo does).
    pub fn detect() -> Result<Self, String> {
        let version = rustc(&["-vV"])?;
        let host = version
            .lines()
            .find_map(|line| line.strip_prefix("host: "))
            .map(|host| host.trim().to_owned())
            .ok_or("rustc -vV names no host")?;
        let sysroot = PathBuf::from(rustc(&["--print", "sysroot"])?.trim());
        let known = rustc(&["--print", "target-list"])?
            .lines()
            .map(|line| line.trim().to_owned())
            .filter(|line| !line.is_empty())
            .collect();
        Ok(Self {
            host,
            sysroot,
            known,
        })
    }

    /// The targets whose standard library is installed, sorted.
    pub fn installed(&self) -> Vec<String> {
        installed_in(&self.sysroot)
    }

    /// The target `triple` names, if the plugin can be packaged for it and it is installed.
    pub fn check(&self, triple: &str) -> Result<Target, String> {
        if !self.known.iter().any(|known| known == triple) {
            return Err(format!(
                "{triple:?} is not a target this rustc knows (`rustc --print target-list` lists them)"
            ));
        }
        let target = Target::parse(triple)?;
        let installed = self.installed();
        if triple != self.host && !installed.iter().any(|name| name == triple) {
            return Err(not_installed(triple, &installed));
        }
        Ok(target)
    }
}

/// The targets installed in a sysroot: each has `lib/rustlib/<triple>/lib`.
fn installed_in(sysroot: &Path) -> Vec<String> {
    let rustlib = sysroot.join("lib/rustlib");
    let mut names: Vec<String> = std::fs::read_dir(&rustlib)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.path().join("lib").is_dir())
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn not_installed(triple: &str, installed: &[String]) -> String {
    format!(
        "the Rust target {triple} is not installed (installed: {}); add it with `rustup target \
         add {triple}` (a cross build also needs a linker for it), or build on a machine of that platform",
        if installed.is_empty() {
            "none".to_owned()
        } else {
            installed.join(", ")
        }
    )
}

fn rustc(args: &[&str]) -> Result<String, String> {
    let program = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&program)
        .args(args)
        .output()
        .map_err(|err| format!("cannot run {}: {err}", program.to_string_lossy()))?;
    if !output.status.success() {
        return Err(format!(
            "{} {} failed: {}",
            program.to_string_lossy(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "rustc printed something not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_platforms_as_node_does() {
        for (triple, platform, library) in [
            (
                "x86_64-unknown-linux-gnu",
                "linux-x64",
                "libopenclaw_huggingface.so",
            ),
            (
                "aarch64-unknown-linux-gnu",
                "linux-arm64",
                "libopenclaw_huggingface.so",
            ),
            (
                "x86_64-apple-darwin",
                "darwin-x64",
                "libopenclaw_huggingface.dylib",
            ),
            (
                "aarch64-apple-darwin",
                "darwin-arm64",
                "libopenclaw_huggingface.dylib",
            ),
            (
                "x86_64-unknown-freebsd",
                "freebsd-x64",
                "libopenclaw_huggingface.so",
            ),
        ] {
            let target = Target::parse(triple).unwrap();
            assert_eq!(target.platform, platform, "{triple}");
            assert_eq!(
                target.library_file("openclaw_huggingface"),
                library,
                "{triple}"
            );
        }
        for (triple, why) in [
            ("x86_64-pc-windows-msvc", "Unix only"),
            ("x86_64-unknown-linux-musl", "musl"),
            ("wasm32-unknown-unknown", "CPU"),
            ("x86_64-unknown-none", "not a Unix"),
        ] {
            let err = Target::parse(triple).unwrap_err();
            assert!(err.contains(triple) && err.contains(why), "{triple}: {err}");
        }
    }

    #[test]
    fn the_toolchains_host_is_this_platform() {
        let toolchain = Toolchain::detect().unwrap();
        let host = toolchain.check(&toolchain.host).unwrap();
        assert_eq!(host.platform, provider_host::manifest::platform());
        assert_eq!(
            host.library_file("x"),
            format!(
                "{}x{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )
        );
        assert!(toolchain.installed().contains(&toolchain.host));
    }

    #[test]
    fn a_target_that_is_not_installed_says_how_to_get_it() {
        let sysroot = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(
            sysroot
                .path()
                .join("lib/rustlib/x86_64-unknown-linux-gnu/lib"),
        )
        .unwrap();
        std::fs::create_dir_all(sysroot.path().join("lib/rustlib/etc")).unwrap();
        let toolchain = Toolchain {
            host: "x86_64-unknown-linux-gnu".into(),
            sysroot: sysroot.path().to_path_buf(),
            known: vec![
                "x86_64-unknown-linux-gnu".into(),
                "aarch64-apple-darwin".into(),
            ],
        };
        assert_eq!(toolchain.installed(), ["x86_64-unknown-linux-gnu"]);
        let err = toolchain.check("aarch64-apple-darwin").unwrap_err();
        assert!(
            err.contains("aarch64-apple-darwin is not installed")
                && err.contains("installed: x86_64-unknown-linux-gnu")
                && err.contains("rustup target add aarch64-apple-darwin"),
            "{err}"
        );
        let err = toolchain.check("aarch64-apple-darwn").unwrap_err();
        assert!(err.contains("not a target this rustc knows"), "{err}");
    }
}
