//! Compiles `bpf/*.bpf.c` with clang for the BPF target and generates
//! `$OUT_DIR/bpf_objects.rs`, which embeds every object with
//! `include_bytes!`: the runner (and the static guest binary of the kernel
//! matrix) needs no files at run time. See `src/sys/prog.rs` for why we use
//! clang plus libbpf's object loader rather than libbpf-cargo skeletons.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL_HINT: &str =
    "install it with `apt-get install -y clang llvm libbpf-dev` (or set CLANG=/path/to/clang)";

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let src = manifest.join("bpf");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-env-changed=CLANG");

    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    match Command::new(&clang).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "\n\nmapspec-conformance: `{clang}` was not found or does not run; it compiles the \
             BPF programs under conformance/bpf/. {INSTALL_HINT}\n"
        ),
    }
    if !Path::new("/usr/include/bpf/bpf_helpers.h").exists() && env::var("BPF_INCLUDE").is_err() {
        panic!(
            "\n\nmapspec-conformance: /usr/include/bpf/bpf_helpers.h is missing (libbpf-dev). \
             {INSTALL_HINT}\n"
        );
    }

    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap_or_else(|e| panic!("reading {}: {e}", src.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    sources.sort();

    let mut includes = vec![src.clone()];
    if let Ok(extra) = env::var("BPF_INCLUDE") {
        includes.push(PathBuf::from(extra));
    }
    // <linux/bpf.h> pulls in <asm/types.h>, which Debian keeps under the
    // multiarch directory of the build host.
    let host = env::var("HOST").unwrap_or_default();
    let arch = host.split('-').next().unwrap_or("x86_64");
    let multiarch = PathBuf::from(format!("/usr/include/{arch}-linux-gnu"));
    if multiarch.exists() {
        includes.push(multiarch);
    }

    let mut table = String::from(
        "/// Every BPF object of `conformance/bpf`, by file stem: `(name, ELF bytes)`.\n\
         pub static OBJECTS: &[(&str, &[u8])] = &[\n",
    );
    for path in &sources {
        println!("cargo:rerun-if-changed={}", path.display());
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let stem = file.trim_end_matches(".bpf.c").to_string();
        let obj = out.join(format!("{stem}.bpf.o"));
        let mut cmd = Command::new(&clang);
        // -mcpu=v2: no ALU32/JMP32 instructions, so every object loads on
        // 5.10 (and older); -g emits the BTF that BTF-defined maps need.
        cmd.args([
            "-O2", "-g", "-target", "bpf", "-mcpu=v2", "-Wall", "-Werror",
        ]);
        for i in &includes {
            cmd.arg(format!("-I{}", i.display()));
        }
        cmd.arg("-c").arg(path).arg("-o").arg(&obj);
        let status = cmd
            .status()
            .unwrap_or_else(|e| panic!("running {clang}: {e}. {INSTALL_HINT}"));
        if !status.success() {
            panic!("clang failed to compile {}", path.display());
        }
        table.push_str(&format!(
            "    ({stem:?}, include_bytes!({:?})),\n",
            obj.display().to_string()
        ));
    }
    for h in std::fs::read_dir(&src).unwrap().flatten() {
        if h.path().extension().is_some_and(|e| e == "h") {
            println!("cargo:rerun-if-changed={}", h.path().display());
        }
    }
    table.push_str("];\n");
    std::fs::write(out.join("bpf_objects.rs"), table).unwrap();
}
