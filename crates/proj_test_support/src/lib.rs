//! What the crates' tests share (a dev-dependency only): one PSNR.

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
