//! NVRTC calls cudarc's safe layer lacks: machine code (CUBIN) for one
//! architecture. A CUBIN loads on any driver of the same CUDA major
//! version, while PTX from a newer NVRTC than the driver is refused.

use std::ffi::{c_char, CStr, CString};

use cudarc::nvrtc::result;
use cudarc::nvrtc::sys;

use super::failed;
use crate::Result;

/// What to compile to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Machine code for `sm_XY`.
    Cubin(u32),
    /// PTX for NVRTC's default architecture (JIT-compiled by the driver).
    Ptx,
}

/// A program, destroyed on drop.
struct Program(sys::nvrtcProgram);

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: created by create_program and destroyed once, here.
        let _ = unsafe { result::destroy_program(self.0) };
    }
}

fn log(program: &Program) -> String {
    // SAFETY: a live program; the log is NUL-terminated.
    match unsafe { result::get_program_log(program.0) } {
        Ok(bytes) if !bytes.is_empty() => {
            // SAFETY: NVRTC writes a NUL-terminated string of `bytes.len()`.
            unsafe { CStr::from_ptr(bytes.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        }
        _ => String::new(),
    }
}

/// Compiles CUDA C `source` for `target`; the image for `cuModuleLoadData`.
pub fn compile(source: &str, target: Target) -> Result<Vec<u8>> {
    let source = CString::new(source).map_err(|e| failed("NVRTC source", e))?;
    let program = Program(
        result::create_program(&source, Some(c"proj_kernels.cu"))
            .map_err(|e| failed("nvrtcCreateProgram", e))?,
    );
    // No fused multiply-adds: the drawing kernels must round as the CPU
    // renderer does, step for step.
    let mut options = vec!["--std=c++17".to_owned(), "--fmad=false".to_owned()];
    if let Target::Cubin(arch) = target {
        options.push(format!("--gpu-architecture=sm_{arch}"));
    }
    // SAFETY: a live program and plain option strings.
    if let Err(error) = unsafe { result::compile_program(program.0, &options) } {
        return Err(failed(
            "nvrtcCompileProgram",
            format!("{error:?}: {}", log(&program)),
        ));
    }
    let mut image: Vec<u8> = match target {
        Target::Cubin(_) => {
            let mut size = 0usize;
            // SAFETY: a compiled program; `size` is a live out-parameter.
            unsafe { sys::nvrtcGetCUBINSize(program.0, &mut size) }
                .result()
                .map_err(|e| failed("nvrtcGetCUBINSize", e))?;
            let mut bytes = vec![0u8; size];
            // SAFETY: `bytes` has the size NVRTC asked for.
            unsafe { sys::nvrtcGetCUBIN(program.0, bytes.as_mut_ptr().cast::<c_char>()) }
                .result()
                .map_err(|e| failed("nvrtcGetCUBIN", e))?;
            bytes
        }
        Target::Ptx => {
            // SAFETY: a compiled program.
            let ptx =
                unsafe { result::get_ptx(program.0) }.map_err(|e| failed("nvrtcGetPTX", e))?;
            ptx.into_iter().map(|c| c.to_ne_bytes()[0]).collect()
        }
    };
    if image.is_empty() {
        image.push(0);
    }
    Ok(image)
}
