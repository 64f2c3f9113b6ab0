//! Drawing on a picture in GPU memory with the draw-list kernels (needs an
//! NVIDIA GPU: ignored elsewhere, counted as skipped; `scripts/gpu-run.sh`
//! runs it): the benchmark scenes come out byte for byte as the CPU draws
//! them, and the time per frame of the 50-object scene is printed.

use std::time::Instant;

use proj_buffers::{cuda, BufferGenerator, GeneratorOptions, MemType, VideoFormat};
use proj_draw::{ChannelOrder, Painter, Recording, Target};

mod support;
use support::scene;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn gpu_draws_the_scenes_as_the_cpu_does() -> Result<()> {
    assert!(cuda::usable(0), "the CUDA platform cannot run here");
    let (w, h) = (1920u32, 1080u32);
    let background: Vec<u8> = (0..w * h)
        .flat_map(|i| [(i % 251) as u8, (i % 241) as u8, 128, 255])
        .collect();
    let options = GeneratorOptions {
        mem_type: MemType::CudaDevice,
        pool_size: 1,
        ..GeneratorOptions::default()
    };
    let generator = BufferGenerator::new(VideoFormat::Rgba, w, h, options)?;
    let buffer = generator.try_acquire(None)?;
    let mut painter = Painter::with_default_font()?;
    for (kind, name) in [(0, "boxes50"), (1, "blur10"), (2, "objects200")] {
        let objects = scene(kind, 0);
        let mut cpu = background.clone();
        {
            let mut target = Target::new(&mut cpu, w, h, w as usize * 4, ChannelOrder::Rgba)?;
            for (object, draw) in &objects {
                painter.draw_object(&mut target, object, draw);
            }
        }
        buffer.with_surface_mut(0, |s| s.upload(&background))??;
        let mut recording = Recording::new(w, h, ChannelOrder::Rgba);
        for (object, draw) in &objects {
            painter.draw_object(&mut recording, object, draw);
        }
        let plan = recording.plan();
        buffer.with_surface(0, |s| s.draw_on_gpu(plan))??.wait()?;
        let gpu = buffer.with_surface(0, |s| s.download())??;
        let differing = gpu.iter().zip(&cpu).filter(|(a, b)| a != b).count();
        assert_eq!(
            differing, 0,
            "{name}: {differing} bytes differ from the CPU's picture"
        );

        // Time: record + plan on the CPU, then the launches, per frame.
        let frames: Vec<_> = (0..8).map(|f| scene(kind, f)).collect();
        let t0 = Instant::now();
        for i in 0..100 {
            let mut recording = Recording::new(w, h, ChannelOrder::Rgba);
            for (object, draw) in &frames[i % 8] {
                painter.draw_object(&mut recording, object, draw);
            }
            let plan = recording.plan();
            buffer.with_surface(0, |s| s.draw_on_gpu(plan))??.wait()?;
        }
        println!(
            "{name}: {:.3} ms per frame on the GPU (record, plan, upload, launch, wait)",
            t0.elapsed().as_secs_f64() * 10.0
        );
    }
    Ok(())
}
