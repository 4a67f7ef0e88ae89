#![allow(clippy::unwrap_used)]

use super::*;

const X86_64: u32 = macho::CPU_TYPE_X86_64;
const ARM64: u32 = macho::CPU_TYPE_ARM64;

fn mac(architecture: Architecture) -> Machine {
    Machine {
        format: BinaryFormat::MachO,
        architecture,
    }
}

/// A little-endian 64-bit Mach-O image as a linker would lay it out, reduced to what the
/// check reads: the header, one `LC_SEGMENT_64` per `(fileoff, filesize)`, an
/// `LC_CODE_SIGNATURE` when `signature` is set, and zeros up to `length` bytes.
struct Image {
    cputype: u32,
    cpusubtype: u32,
    filetype: u32,
    segments: Vec<(u64, u64)>,
    signature: Option<(u32, u32)>,
    length: usize,
}

impl Image {
    /// A dylib with `__TEXT` in its first page and `__LINKEDIT` to the end of the file.
    fn dylib(cputype: u32, length: usize) -> Self {
        Self {
            cputype,
            cpusubtype: 0,
            filetype: macho::MH_DYLIB,
            segments: vec![(0, 4096), (4096, length as u64 - 4096)],
            signature: None,
            length,
        }
    }

    /// With an ad-hoc signature in the last 256 bytes, inside `__LINKEDIT` as ld64 puts it.
    fn signed(mut self) -> Self {
        self.signature = Some((self.length as u32 - 256, 256));
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let put32 = |out: &mut Vec<u8>, value: u32| out.extend_from_slice(&value.to_le_bytes());
        let put64 = |out: &mut Vec<u8>, value: u64| out.extend_from_slice(&value.to_le_bytes());
        let mut commands = Vec::new();
        for (index, &(fileoff, filesize)) in self.segments.iter().enumerate() {
            put32(&mut commands, macho::LC_SEGMENT_64);
            put32(&mut commands, 72);
            let mut name = [0u8; 16];
            let text: &[u8] = if index == 0 { b"__TEXT" } else { b"__LINKEDIT" };
            name[..text.len()].copy_from_slice(text);
            commands.extend_from_slice(&name);
            put64(&mut commands, fileoff); // vmaddr
            put64(&mut commands, filesize); // vmsize
            put64(&mut commands, fileoff);
            put64(&mut commands, filesize);
            for field in [1, 1, 0, 0] {
                put32(&mut commands, field); // maxprot, initprot, nsects, flags
            }
        }
        if let Some((dataoff, datasize)) = self.signature {
            for field in [macho::LC_CODE_SIGNATURE, 16, dataoff, datasize] {
                put32(&mut commands, field);
            }
        }
        let ncmds = self.segments.len() + usize::from(self.signature.is_some());
        let mut bytes = Vec::new();
        for field in [
            macho::MH_MAGIC_64,
            self.cputype,
            self.cpusubtype,
            self.filetype,
            ncmds as u32,
            commands.len() as u32,
            0, // flags
            0, // reserved
        ] {
            put32(&mut bytes, field);
        }
        bytes.extend_from_slice(&commands);
        assert!(bytes.len() <= self.length, "the image is too short");
        bytes.resize(self.length, 0);
        bytes
    }
}

/// A universal binary of `slices` (`(cputype, cpusubtype, image)`), each at a page boundary.
fn fat(slices: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let put32 = |out: &mut Vec<u8>, value: u32| out.extend_from_slice(&value.to_be_bytes());
    put32(&mut bytes, macho::FAT_MAGIC);
    put32(&mut bytes, slices.len() as u32);
    let mut offset = 4096;
    let mut offsets = Vec::new();
    for (cputype, cpusubtype, image) in slices {
        for field in [*cputype, *cpusubtype, offset, image.len() as u32, 12] {
            put32(&mut bytes, field);
        }
        offsets.push(offset);
        offset += (image.len() as u32).div_ceil(4096) * 4096;
    }
    for ((_, _, image), offset) in slices.iter().zip(offsets) {
        bytes.resize(offset as usize, 0);
        bytes.extend_from_slice(image);
    }
    bytes
}

/// Writes `bytes` to a file and checks it for `machine`.
fn check_bytes(bytes: &[u8], machine: Machine) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libplugin.dylib");
    std::fs::write(&path, bytes).unwrap();
    check(&path, machine)
}

fn assert_refused(bytes: &[u8], machine: Machine, expected: &str) {
    let err = check_bytes(bytes, machine).unwrap_err();
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn a_whole_thin_dylib_for_this_cpu_passes() {
    check_bytes(
        &Image::dylib(X86_64, 8192).bytes(),
        mac(Architecture::X86_64),
    )
    .unwrap();
    let arm = Image::dylib(ARM64, 16384).signed();
    check_bytes(&arm.bytes(), mac(Architecture::Aarch64)).unwrap();
}

#[test]
fn a_truncated_thin_dylib_is_refused() {
    // __LINKEDIT says the file goes on to byte 12288; the file stops at 8192.
    let mut image = Image::dylib(X86_64, 8192);
    image.segments[1] = (4096, 8192);
    assert_refused(
        &image.bytes(),
        mac(Architecture::X86_64),
        "truncated: a segment ends at byte 12288 of a 8192-byte file",
    );
    // Cut inside the load commands: there is nothing to map the segments from.
    let bytes = Image::dylib(X86_64, 8192).bytes();
    assert_refused(&bytes[..40], mac(Architecture::X86_64), "load commands");
    // A signature said to lie past the end.
    let mut image = Image::dylib(ARM64, 16384).signed();
    image.signature = Some((16000, 4096));
    assert_refused(
        &image.bytes(),
        mac(Architecture::Aarch64),
        "truncated: the code signature ends at byte 20096",
    );
}

#[test]
fn a_dylib_for_another_cpu_or_not_a_dylib_is_refused() {
    assert_refused(
        &Image::dylib(ARM64, 8192).signed().bytes(),
        mac(Architecture::X86_64),
        "built for arm64, but this machine is x86_64",
    );
    let mut executable = Image::dylib(X86_64, 8192);
    executable.filetype = macho::MH_EXECUTE;
    assert_refused(
        &executable.bytes(),
        mac(Architecture::X86_64),
        "not a dynamic library",
    );
    let mut empty = Image::dylib(X86_64, 4096);
    empty.segments.clear();
    assert_refused(
        &empty.bytes(),
        mac(Architecture::X86_64),
        "without segments",
    );
}

#[test]
fn unsigned_arm64_code_is_refused_with_the_fix() {
    assert_refused(
        &Image::dylib(ARM64, 8192).bytes(),
        mac(Architecture::Aarch64),
        "codesign --force --sign -",
    );
    // Intel code may be unsigned.
    check_bytes(
        &Image::dylib(X86_64, 8192).bytes(),
        mac(Architecture::X86_64),
    )
    .unwrap();
}

#[test]
fn a_universal_dylib_is_checked_by_this_cpus_slice() {
    let intel = Image::dylib(X86_64, 8192).bytes();
    let arm = Image::dylib(ARM64, 16384).signed().bytes();
    let universal = fat(&[(X86_64, 3, intel.clone()), (ARM64, 0, arm.clone())]);
    check_bytes(&universal, mac(Architecture::X86_64)).unwrap();
    check_bytes(&universal, mac(Architecture::Aarch64)).unwrap();

    // Only the arm64e slice (Apple's own processes) is not this process's arm64.
    let arm64e = fat(&[
        (X86_64, 3, intel.clone()),
        (ARM64, macho::CPU_SUBTYPE_ARM64E, arm.clone()),
    ]);
    assert_refused(
        &arm64e,
        mac(Architecture::Aarch64),
        "without a slice for arm64 (it has x86_64, arm64)",
    );
    assert_refused(
        &fat(&[(X86_64, 3, intel.clone())]),
        mac(Architecture::Aarch64),
        "without a slice for arm64 (it has x86_64)",
    );

    // Offsets inside a slice count from the slice, and its end is the slice's: a segment
    // running into the next slice is as truncated as one running off the file.
    let mut overlong = Image::dylib(X86_64, 8192);
    overlong.segments[1] = (4096, 8192);
    let universal = fat(&[(X86_64, 3, overlong.bytes()), (ARM64, 0, arm.clone())]);
    assert_refused(
        &universal,
        mac(Architecture::X86_64),
        "truncated: a segment ends at byte 12288 of a 8192-byte file",
    );
    check_bytes(&universal, mac(Architecture::Aarch64)).unwrap();

    // The file ends inside the arm64 slice.
    let universal = fat(&[(X86_64, 3, intel), (ARM64, 0, arm)]);
    assert_refused(
        &universal[..universal.len() - 100],
        mac(Architecture::Aarch64),
        "truncated: this CPU's slice ends",
    );
}

#[test]
fn a_library_of_the_other_format_is_refused() {
    let mut elf = vec![0u8; 64];
    elf[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    assert_refused(
        &elf,
        mac(Architecture::X86_64),
        "a library in the ELF format, but this system loads Mach-O libraries",
    );
    let linux = Machine {
        format: BinaryFormat::Elf,
        architecture: Architecture::X86_64,
    };
    assert_refused(
        &Image::dylib(X86_64, 8192).bytes(),
        linux,
        "a library in the Mach-O format, but this system loads ELF libraries",
    );
    assert_refused(b"just bytes, no magic", linux, "Unknown file magic");
}

/// The ELF half on a real image: this test binary (position-independent, so an ELF shared
/// object to the check) passes, and the same bytes claiming another CPU are refused.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn an_elf_image_for_another_cpu_is_refused() {
    let mut bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    check_bytes(&bytes, Machine::this()).unwrap();
    let (other, name) = if cfg!(target_arch = "x86_64") {
        (object::elf::EM_AARCH64, "arm64")
    } else {
        (object::elf::EM_X86_64, "x86_64")
    };
    bytes[18..20].copy_from_slice(&other.to_le_bytes());
    assert_refused(
        &bytes,
        Machine::this(),
        &format!("built for {name}, but this machine is"),
    );
}
