fn main() {
    for t in mapspec_conformance::sys::btf::kernel_map_types().unwrap() {
        println!("{} {}", t.value, t.name);
    }
    println!(
        "{:?}",
        mapspec_conformance::sys::btf::vmlinux_struct("bpf_struct_ops_tcp_congestion_ops")
    );
}
