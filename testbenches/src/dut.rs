//! The Verilated model, loaded from its shared library and driven through the C ABI shim.

use crate::verilate::PortSpec;
use anyhow::{anyhow, bail, Context, Result};
use libloading::Library;
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;

type NewFn = unsafe extern "C" fn(c_int) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type EvalFn = unsafe extern "C" fn(*mut c_void);
type PortFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> *mut c_void;
type TraceOpenFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;
type TraceDumpFn = unsafe extern "C" fn(*mut c_void, u64);

/// Storage of one port inside the model. Verilator keeps ports of up to 8, 16, 32 and 64 bits in
/// integers of that size, and wider ports as little-endian arrays of 32-bit words.
#[derive(Clone, Copy, Debug)]
pub struct Port {
    ptr: *mut u8,
    width: u32,
}

impl Port {
    /// Reads the port's value (ports are at most 128 bits here).
    pub fn get(&self) -> u128 {
        // SAFETY: `ptr` points at the port's storage inside a live model, sized for `width`.
        unsafe {
            match self.width {
                0..=8 => *self.ptr as u128,
                9..=16 => *(self.ptr as *const u16) as u128,
                17..=32 => *(self.ptr as *const u32) as u128,
                33..=64 => *(self.ptr as *const u64) as u128,
                _ => {
                    let words = self.width.div_ceil(32) as usize;
                    let w = self.ptr as *const u32;
                    (0..words).fold(0u128, |acc, i| acc | (*w.add(i) as u128) << (32 * i))
                }
            }
        }
    }

    /// Writes the port; bits above its width are dropped, as Verilator requires.
    pub fn set(&self, v: u128) {
        let v = v & pimforge_golden::num::mask(self.width);
        // SAFETY: as in `get`.
        unsafe {
            match self.width {
                0..=8 => *self.ptr = v as u8,
                9..=16 => *(self.ptr as *mut u16) = v as u16,
                17..=32 => *(self.ptr as *mut u32) = v as u32,
                33..=64 => *(self.ptr as *mut u64) = v as u64,
                _ => {
                    let words = self.width.div_ceil(32) as usize;
                    let w = self.ptr as *mut u32;
                    for i in 0..words {
                        *w.add(i) = (v >> (32 * i)) as u32;
                    }
                }
            }
        }
    }
}

/// One instance of the model.
pub struct Dut {
    handle: *mut c_void,
    free: FreeFn,
    eval: EvalFn,
    trace_open: TraceOpenFn,
    trace_dump: TraceDumpFn,
    trace_close: FreeFn,
    ports: Vec<(String, Port)>,
    // Keeps the code the function pointers point into; dropped last.
    _lib: Library,
}

impl Dut {
    /// Loads the library and creates an instance; `trace` enables waveform support.
    pub fn load(library: &Path, ports: &[PortSpec], trace: bool) -> Result<Dut> {
        // SAFETY: the library is one we built from our shim; its symbols have these types.
        unsafe {
            let lib = Library::new(library)
                .with_context(|| format!("cannot load {}", library.display()))?;
            let new: NewFn = *lib.get::<NewFn>(b"pf_new")?;
            let port: PortFn = *lib.get::<PortFn>(b"pf_port")?;
            let handle = new(trace as c_int);
            let mut found = Vec::new();
            for p in ports {
                if p.width > 128 {
                    bail!(
                        "port {} is {} bits; the harness handles up to 128",
                        p.name,
                        p.width
                    );
                }
                let name = CString::new(p.name.clone())?;
                let ptr = port(handle, name.as_ptr());
                if ptr.is_null() {
                    return Err(anyhow!("the model has no port {}", p.name));
                }
                found.push((
                    p.name.clone(),
                    Port {
                        ptr: ptr as *mut u8,
                        width: p.width,
                    },
                ));
            }
            Ok(Dut {
                handle,
                free: *lib.get::<FreeFn>(b"pf_free")?,
                eval: *lib.get::<EvalFn>(b"pf_eval")?,
                trace_open: *lib.get::<TraceOpenFn>(b"pf_trace_open")?,
                trace_dump: *lib.get::<TraceDumpFn>(b"pf_trace_dump")?,
                trace_close: *lib.get::<FreeFn>(b"pf_trace_close")?,
                ports: found,
                _lib: lib,
            })
        }
    }

    pub fn port(&self, name: &str) -> Port {
        self.ports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("no port {name}"))
    }

    /// Reset: `rst_ni` low over one clock edge, then released with the clock low.
    pub fn reset(&mut self) {
        let (rst, clk) = (self.port("rst_ni"), self.port("clk_i"));
        rst.set(0);
        clk.set(0);
        self.eval();
        clk.set(1);
        self.eval();
        clk.set(0);
        self.eval();
        rst.set(1);
        self.eval();
    }

    pub fn eval(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.eval)(self.handle) }
    }

    pub fn trace_open(&mut self, path: &Path) -> Result<()> {
        let c = CString::new(path.to_string_lossy().into_owned())?;
        // SAFETY: live handle, valid C string.
        match unsafe { (self.trace_open)(self.handle, c.as_ptr()) } {
            0 => Ok(()),
            _ => bail!("cannot open waveform {}", path.display()),
        }
    }

    pub fn trace_dump(&mut self, time: u64) {
        // SAFETY: live handle.
        unsafe { (self.trace_dump)(self.handle, time) }
    }

    pub fn trace_close(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.trace_close)(self.handle) }
    }
}

impl Drop for Dut {
    fn drop(&mut self) {
        // SAFETY: the handle was made by pf_new and is freed once.
        unsafe { (self.free)(self.handle) }
    }
}
