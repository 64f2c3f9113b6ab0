//! What the crates' tests share (a dev-dependency only): one PSNR and one
//! test picture.

/// A test picture: smooth gradients with fine stripes (and, with `blocks`,
/// hard-edged blocks), `channels` interleaved bytes per pixel; `phase`
/// shifts the gradients (one per plane, say).
pub fn pattern(width: u32, height: u32, channels: u32, phase: u32, blocks: bool) -> Vec<u8> {
    let mut bytes = Vec::with_capacity((width * height * channels) as usize);
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let (fx, fy) = (f64::from(x), f64::from(y));
                let shift = f64::from(c + phase);
                let smooth = 128.0 + 90.0 * ((fx * 0.013 + shift).sin() * (fy * 0.021).cos());
                let stripes = if (x / 7 + y / 11 + c).is_multiple_of(2) {
                    20.0
                } else {
                    -20.0
                };
                let block = if !blocks || (x * 5 / width + y * 3 / height).is_multiple_of(2) {
                    0.0
                } else {
                    25.0
                };
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "clamped to 0..=255 first"
                )]
                bytes.push((smooth + stripes + block).clamp(0.0, 255.0) as u8);
            }
        }
    }
    bytes
}

/// Peak signal-to-noise ratio of two 8-bit pictures of the same size, in
/// dB (infinite when they are equal).
///
/// # Panics
/// When the pictures differ in size: a test comparing them is wrong.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "pictures of different sizes");
    #[expect(
        clippy::cast_precision_loss,
        reason = "a picture's byte count is far below 2^53"
    )]
    let count = a.len() as f64;
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / count;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

#[cfg(test)]
mod tests {
    use super::psnr;

    #[test]
    fn psnr_of_known_pictures() {
        assert_eq!(psnr(&[1, 2, 3], &[1, 2, 3]), f64::INFINITY);
        // Every byte off by 1: MSE 1, 20·log10(255) dB.
        let db = psnr(&[10; 100], &[11; 100]);
        assert!((db - 48.13).abs() < 0.01, "{db}");
    }
}
