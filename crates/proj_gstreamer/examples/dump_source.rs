//! Prints a source's packets (stream, codec, pts, dts, duration, key,
//! size): `cargo run -p proj_gstreamer --example dump_source -- FILE`.
use proj_gstreamer::{MediaSource, SourceOptions, Taken};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let uri = std::env::args().nth(1).ok_or("usage: dump_source FILE")?;
    let source = MediaSource::open(&uri, SourceOptions::default())?;
    loop {
        let (tx, rx) = std::sync::mpsc::channel();
        match source.take(
            64,
            Some(Box::new(move || {
                let _ = tx.send(());
            })),
        ) {
            Taken::Packets(packets) => {
                for p in packets {
                    println!(
                        "{} {} {:?} {:?} {:?} {} {} {}x{}",
                        p.stream,
                        p.codec,
                        p.pts_ns,
                        p.dts_ns,
                        p.duration_ns,
                        p.keyframe,
                        p.data.len(),
                        p.width,
                        p.height
                    );
                }
            }
            Taken::Wait => drop(rx.recv()),
            Taken::End => break,
            Taken::Failed(reason) => return Err(reason.into()),
        }
    }
    println!(
        "streams {:?} unsupported {:?}",
        source.streams(),
        source.unsupported()
    );
    Ok(())
}
