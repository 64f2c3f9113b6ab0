//! NVRTC compiles the CUDA kernels: CUBIN for each GPU generation we
//! support and PTX for newer ones. Needs `libnvrtc.so.13` on the library
//! path (scripts/test.sh puts the PyPI `nvidia-cuda-nvrtc` wheel's there
//! and sets PROJ_REQUIRE_NVRTC=1, so a missing library fails the run).

use proj_buffers::cuda::{compile_kernels, nvrtc_loaded, KernelTarget};

const ENTRIES: [&str; 7] = [
    "letterbox_plane",
    "yuv420_to_rgb",
    "fill_plane",
    "rgb_to_i420",
    "draw_tiles",
    "draw_blur_rows",
    "draw_blur_columns",
];

#[test]
fn kernels_compile_for_every_supported_gpu() -> Result<(), proj_buffers::BuffersError> {
    if !nvrtc_loaded() {
        assert!(
            std::env::var_os("PROJ_REQUIRE_NVRTC").is_none(),
            "PROJ_REQUIRE_NVRTC is set but libnvrtc.so.13 does not load (LD_LIBRARY_PATH={:?})",
            std::env::var_os("LD_LIBRARY_PATH")
        );
        println!("SKIPPED: libnvrtc.so.13 is not installed; the kernels were not compiled");
        return Ok(());
    }
    // Turing (T4), Ampere (A100, Orin), Ada (L4), Hopper (H100/H200).
    for arch in [75, 80, 86, 87, 89, 90] {
        let cubin = compile_kernels(KernelTarget::Cubin(arch))?;
        assert_eq!(&cubin[..4], b"\x7fELF", "sm_{arch}: not an ELF image");
        for entry in ENTRIES {
            let found = cubin.windows(entry.len()).any(|w| w == entry.as_bytes());
            assert!(found, "sm_{arch}: {entry} missing");
        }
    }
    let ptx = String::from_utf8_lossy(&compile_kernels(KernelTarget::Ptx)?).into_owned();
    for entry in ENTRIES {
        assert!(
            ptx.contains(&format!(".entry {entry}(")),
            "PTX lacks {entry}"
        );
    }
    Ok(())
}
