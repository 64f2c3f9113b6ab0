//! Prints a source's events and packets (stream, codec, pts, dts,
//! duration, key, size, picture size):
//! `cargo run -p proj_gstreamer --example dump_source -- FILE_OR_URL`;
//! with `NALS=1`, each H.264 packet's NAL unit types too.
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
            Taken::Ready(packets, events) => {
                for e in events {
                    println!("event {e:?}");
                }
                for p in packets {
                    let nal: Vec<u8> = p
                        .data
                        .windows(4)
                        .enumerate()
                        .filter(|(_, w)| w[..3] == [0, 0, 1])
                        .map(|(i, _)| p.data.get(i + 3).map_or(0, |b| b & 0x1f))
                        .collect();
                    if std::env::var_os("NALS").is_some() {
                        println!("nals {nal:?}");
                    }
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
