//! The check a library gets before `dlopen`: that it is a whole shared library for this machine.
//! `dlopen` maps segments that extend past the end of a truncated file without complaint, and
//! the first call into the missing part kills the process (SIGBUS); and a library for another
//! CPU or object format is better refused with a reason a person can act on than with the
//! dynamic loader's terse one. ELF (Linux, the BSDs) and Mach-O (macOS) are read from their
//! headers and load commands only, never their code; a universal ("fat") Mach-O file is checked
//! by its slice for this CPU, which is what `dlopen` would map. On Apple silicon a library must
//! also carry a code signature (an ad-hoc one will do), or macOS refuses it.

use std::path::Path;

use object::{
    Architecture, BinaryFormat, Endianness, FileKind, Object, ObjectKind, ObjectSegment, macho,
    read::{
        ReadCache, ReadCacheOps, ReadRef,
        macho::{FatArch, LoadCommandVariant, MachHeader, MachOFatFile32, MachOFatFile64, Segment},
    },
};
use openclaw_provider_abi::abi_stable::library::ROOT_MODULE_LOADER_NAME;

/// What a process can load: an object format and a CPU.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Machine {
    pub format: BinaryFormat,
    /// [`Architecture::Unknown`] where this check does not know the CPU (it then does not
    /// compare CPUs).
    pub architecture: Architecture,
}

impl Machine {
    /// The machine this process runs on.
    pub fn this() -> Self {
        let format = if cfg!(target_vendor = "apple") {
            BinaryFormat::MachO
        } else {
            BinaryFormat::Elf
        };
        let architecture = if cfg!(target_arch = "x86_64") {
            Architecture::X86_64
        } else if cfg!(target_arch = "aarch64") {
            Architecture::Aarch64
        } else {
            Architecture::Unknown
        };
        Self {
            format,
            architecture,
        }
    }
}

/// Checks the file at `path` for `machine`; the error says what is wrong, on one line.
pub(crate) fn check(path: &Path, machine: Machine) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|err| err.to_string())?;
    let length = file.metadata().map_err(|err| err.to_string())?.len();
    let cache = ReadCache::new(file);
    let kind = FileKind::parse(&cache).map_err(|err| err.to_string())?;
    let format = match kind {
        FileKind::Elf32 | FileKind::Elf64 => BinaryFormat::Elf,
        FileKind::MachO32 | FileKind::MachO64 | FileKind::MachOFat32 | FileKind::MachOFat64 => {
            BinaryFormat::MachO
        }
        other => return Err(format!("a file of kind {other:?}")),
    };
    if format != machine.format {
        return Err(format!(
            "a library in the {} format, but this system loads {} libraries",
            format_name(format),
            format_name(machine.format)
        ));
    }
    match kind {
        FileKind::MachO32 => {
            check_macho::<macho::MachHeader32<Endianness>, _>(&cache, length, machine)
        }
        FileKind::MachO64 => {
            check_macho::<macho::MachHeader64<Endianness>, _>(&cache, length, machine)
        }
        FileKind::MachOFat32 => {
            let fat = MachOFatFile32::parse(&cache).map_err(|err| err.to_string())?;
            check_fat(&cache, length, fat.arches(), machine)
        }
        FileKind::MachOFat64 => {
            let fat = MachOFatFile64::parse(&cache).map_err(|err| err.to_string())?;
            check_fat(&cache, length, fat.arches(), machine)
        }
        _ => check_elf(&cache, length, machine),
    }
}

/// Whether the shared library at `path` exports a provider plugin's root module, read from its
/// symbol table without loading it; `false` for anything that cannot be read as one.
pub(crate) fn exports_root_module(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let cache = ReadCache::new(file);
    let Ok(image) = object::File::parse(&cache) else {
        return false;
    };
    let wanted = ROOT_MODULE_LOADER_NAME.as_bytes();
    image.exports().is_ok_and(|exports| {
        exports.iter().any(|export| {
            let name = export.name();
            // Mach-O prefixes C symbol names with an underscore.
            name == wanted || name.strip_prefix(b"_") == Some(wanted)
        })
    })
}

fn check_elf<R: ReadCacheOps>(
    cache: &ReadCache<R>,
    length: u64,
    machine: Machine,
) -> Result<(), String> {
    let image = object::File::parse(cache).map_err(|err| err.to_string())?;
    if image.kind() != ObjectKind::Dynamic {
        return Err(format!("an ELF file of kind {:?}", image.kind()));
    }
    check_architecture(image.architecture(), machine)?;
    for segment in image.segments() {
        let (offset, size) = segment.file_range();
        within(offset, size, length, "a segment")?;
    }
    Ok(())
}

/// Checks one thin Mach-O image occupying `data` (a whole file, or one slice of a fat one:
/// offsets in a slice count from the slice's start) of `length` bytes.
fn check_macho<'data, Mach: MachHeader<Endian = Endianness>, R: ReadRef<'data>>(
    data: R,
    length: u64,
    machine: Machine,
) -> Result<(), String> {
    let header = Mach::parse(data, 0).map_err(|err| err.to_string())?;
    let endian = header.endian().map_err(|err| err.to_string())?;
    if header.filetype(endian) != macho::MH_DYLIB {
        return Err(format!(
            "a Mach-O file of type {}, not a dynamic library",
            header.filetype(endian)
        ));
    }
    check_architecture(cpu_architecture(header.cputype(endian)), machine)?;
    let mut commands = header
        .load_commands(endian, data, 0)
        .map_err(|err| format!("truncated or corrupt load commands: {err}"))?;
    let (mut segments, mut signed) = (0, false);
    while let Some(command) = commands
        .next()
        .map_err(|err| format!("corrupt load commands: {err}"))?
    {
        if let Some((segment, _)) =
            Mach::Segment::from_command(command).map_err(|err| err.to_string())?
        {
            let (offset, size) = segment.file_range(endian);
            within(offset, size, length, "a segment")?;
            segments += 1;
        } else if command.cmd() == macho::LC_CODE_SIGNATURE
            && let LoadCommandVariant::LinkeditData(signature) =
                command.variant().map_err(|err| err.to_string())?
        {
            let offset = u64::from(signature.dataoff.get(endian));
            let size = u64::from(signature.datasize.get(endian));
            within(offset, size, length, "the code signature")?;
            signed = true;
        }
    }
    if segments == 0 {
        return Err("a Mach-O library without segments".into());
    }
    if machine.architecture == Architecture::Aarch64 && !signed {
        return Err(
            "not signed: macOS loads arm64 code only when it is signed; sign it ad hoc with \
             `codesign --force --sign - <file>`"
                .into(),
        );
    }
    Ok(())
}

/// Checks the slice of a universal binary that this machine would load.
fn check_fat<Fat: FatArch, R: ReadCacheOps>(
    cache: &ReadCache<R>,
    length: u64,
    arches: &[Fat],
    machine: Machine,
) -> Result<(), String> {
    if machine.architecture == Architecture::Unknown {
        return Ok(());
    }
    // arm64e slices are for Apple's own pointer-authenticated processes; a plain arm64 process
    // loads the arm64 slice.
    let arm64e = |arch: &&Fat| {
        arch.architecture() == Architecture::Aarch64
            && arch.cpusubtype() & !macho::CPU_SUBTYPE_MASK == macho::CPU_SUBTYPE_ARM64E
    };
    let Some(arch) = arches
        .iter()
        .find(|arch| arch.architecture() == machine.architecture && !arm64e(arch))
    else {
        let offered: Vec<String> = arches
            .iter()
            .map(|arch| architecture_name(arch.architecture()))
            .collect();
        return Err(format!(
            "a universal library without a slice for {} (it has {})",
            architecture_name(machine.architecture),
            offered.join(", ")
        ));
    };
    let (offset, size) = arch.file_range();
    within(offset, size, length, "this CPU's slice")?;
    let slice = cache.range(offset, size);
    match FileKind::parse(slice).map_err(|err| err.to_string())? {
        FileKind::MachO64 => {
            check_macho::<macho::MachHeader64<Endianness>, _>(slice, size, machine)
        }
        FileKind::MachO32 => {
            check_macho::<macho::MachHeader32<Endianness>, _>(slice, size, machine)
        }
        other => Err(format!("this CPU's slice is a file of kind {other:?}")),
    }
}

fn within(offset: u64, size: u64, length: u64, what: &str) -> Result<(), String> {
    let end = offset.saturating_add(size);
    if end > length {
        return Err(format!(
            "truncated: {what} ends at byte {end} of a {length}-byte file"
        ));
    }
    Ok(())
}

fn check_architecture(architecture: Architecture, machine: Machine) -> Result<(), String> {
    if machine.architecture != Architecture::Unknown && architecture != machine.architecture {
        return Err(format!(
            "built for {}, but this machine is {}",
            architecture_name(architecture),
            architecture_name(machine.architecture)
        ));
    }
    Ok(())
}

fn cpu_architecture(cputype: u32) -> Architecture {
    match cputype {
        macho::CPU_TYPE_X86_64 => Architecture::X86_64,
        macho::CPU_TYPE_ARM64 => Architecture::Aarch64,
        macho::CPU_TYPE_X86 => Architecture::I386,
        macho::CPU_TYPE_ARM => Architecture::Arm,
        macho::CPU_TYPE_POWERPC64 => Architecture::PowerPc64,
        macho::CPU_TYPE_POWERPC => Architecture::PowerPc,
        _ => Architecture::Unknown,
    }
}

fn architecture_name(architecture: Architecture) -> String {
    match architecture {
        Architecture::Aarch64 => "arm64".to_owned(),
        Architecture::X86_64 => "x86_64".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn format_name(format: BinaryFormat) -> &'static str {
    match format {
        BinaryFormat::MachO => "Mach-O",
        BinaryFormat::Elf => "ELF",
        _ => "foreign",
    }
}

/// Synthetic ELF and Mach-O images: the Mach-O paths are checked on every platform, not only
/// on the Macs that would produce real ones.
#[cfg(test)]
mod tests;
