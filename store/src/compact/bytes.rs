//! The byte-level writer and reader of the compact formats: LEB128 varints (zigzag for signed
//! values), length-prefixed byte strings, and deflate for text.

use std::io::Read;

use crate::error::{Error, Result};

#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub(crate) fn unsigned(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    pub(crate) fn signed(&mut self, v: i64) {
        self.unsigned(((v << 1) ^ (v >> 63)) as u64);
    }

    pub(crate) fn len(&mut self, n: usize) {
        self.unsigned(n as u64);
    }

    pub(crate) fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }

    /// A float exactly: a tag byte, then a decimal's digits as a varint (tag 1 + k: `m / 10^k`,
    /// k ≤ 3, as [`decimal`] finds) or the 8 bytes of any other (tag 0). Readings such as 0, 11
    /// or 1.03 take 2 or 3 bytes instead of 8; [`Reader::float`] gives back the same bits.
    pub(crate) fn float(&mut self, v: f64) {
        match decimal(v) {
            Some((k, m)) => {
                self.byte(1 + k);
                self.signed(m);
            }
            None => {
                self.byte(0);
                self.f64(v);
            }
        }
    }

    /// A length, then the bytes.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn text(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

/// Reads what a [`Writer`] wrote; running out of bytes or a bad value is [`Error::Corrupt`].
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.buf.split_first().ok_or_else(|| corrupt("truncated"))?;
        self.buf = rest;
        Ok(b)
    }

    pub(crate) fn unsigned(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }

    pub(crate) fn signed(&mut self) -> Result<i64> {
        let u = self.unsigned()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A count or length; never more than the bytes left times `per_byte` (so a corrupt length
    /// cannot make us allocate gigabytes).
    pub(crate) fn len(&mut self) -> Result<usize> {
        let n = usize::try_from(self.unsigned()?).map_err(|_| corrupt("length out of range"))?;
        Ok(n)
    }

    pub(crate) fn f64(&mut self) -> Result<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_bits(u64::from_le_bytes(a)))
    }

    /// What [`Writer::float`] wrote.
    pub(crate) fn float(&mut self) -> Result<f64> {
        match self.byte()? {
            0 => self.f64(),
            tag @ 1..=4 => Ok(from_decimal(tag - 1, self.signed()?)),
            _ => Err(corrupt("float tag")),
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(corrupt("truncated"));
        }
        let (a, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(a)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }

    pub(crate) fn text(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt("text is not UTF-8"))
    }
}

/// Powers of ten a [`decimal`] divides by.
const TENS: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];

/// `(k, m)` with `m / 10^k` (k ≤ 3, computed in `f64`) the very bits of `v`, the smallest such
/// k: `None` for a float with more decimals, a NaN or infinity, −0 or a value beyond 2^53 / 1000.
/// One multiplication and one division per float: `m / 1000` and `(m / 10^j) / 10^(3−j)` are
/// the same rational number, and a division of two exact integers is correctly rounded, so
/// both give the same float.
pub(crate) fn decimal(v: f64) -> Option<(u8, i64)> {
    // −0 would come back as +0.
    if v.is_nan() || v.abs() >= 9.0e12 || v.to_bits() == (-0.0f64).to_bits() {
        return None;
    }
    let m = (v * 1000.0).round();
    if (m / 1000.0).to_bits() != v.to_bits() {
        return None;
    }
    let (mut k, mut m) = (3u8, m as i64);
    while k > 0 && m % 10 == 0 {
        m /= 10;
        k -= 1;
    }
    Some((k, m))
}

/// The float of a [`decimal`].
pub(crate) fn from_decimal(k: u8, m: i64) -> f64 {
    m as f64 / TENS[usize::from(k.min(3))]
}

pub(crate) fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("compact sample data: {what}"))
}

thread_local! {
    /// One compressor per thread and level, reset before each use: making one allocates and
    /// clears ~300 KB of tables, which cost more than compressing a block's names or a facts
    /// body.
    static COMPRESSOR: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::default(), false));
    static FAST_COMPRESSOR: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), false));
}

/// Raw deflate at the default level.
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|c| compress(&mut c.borrow_mut(), data))
}

/// Raw deflate at the fastest level: about 4 times faster, a little larger; read by
/// [`inflate`] like any deflate.
pub(crate) fn deflate_fast(data: &[u8]) -> Vec<u8> {
    FAST_COMPRESSOR.with(|c| compress(&mut c.borrow_mut(), data))
}

fn compress(c: &mut flate2::Compress, data: &[u8]) -> Vec<u8> {
    c.reset();
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let read = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
        let rest = data.get(read..).unwrap_or_default();
        // Compressing into a Vec with room left cannot fail.
        match c.compress_vec(rest, &mut out, flate2::FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) | Err(_) => break,
            Ok(_) => out.reserve(out.capacity().max(64)),
        }
    }
    out
}

/// The inverse of [`deflate`], refusing more than `limit` bytes of output.
pub(crate) fn inflate(data: &[u8], limit: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(&format!("deflate: {e}")))?;
    Ok(out)
}

/// FNV-1a, 64 bits: a stable hash for comparing stored facts (never changes across releases).
pub(crate) fn fnv1a(data: &[u8]) -> i64 {
    let mut h = FNV_OFFSET;
    for &b in data {
        h = fnv_step(h, u64::from(b));
    }
    h as i64
}

/// FNV-1a's start and one step: a byte for [`fnv1a`], or a whole 64-bit word where a hash need
/// not be stable, only cheap (a block's columns compared by hash first).
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

pub(crate) fn fnv_step(h: u64, x: u64) -> u64 {
    (h ^ x).wrapping_mul(0x0000_0100_0000_01b3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_the_extremes() {
        let mut w = Writer::default();
        let signed = [0, 1, -1, 63, -64, i64::MAX, i64::MIN, 1 << 40];
        let unsigned = [0, 127, 128, u64::MAX];
        signed.iter().for_each(|&v| w.signed(v));
        unsigned.iter().for_each(|&v| w.unsigned(v));
        w.text("dätä");
        w.f64(-0.0);
        let mut r = Reader::new(&w.buf);
        for v in signed {
            assert_eq!(r.signed().ok(), Some(v));
        }
        for v in unsigned {
            assert_eq!(r.unsigned().ok(), Some(v));
        }
        assert_eq!(r.text().ok().as_deref(), Some("dätä"));
        assert_eq!(r.f64().ok().map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert!(r.is_empty());
        assert!(r.byte().is_err(), "reading past the end is an error, not a panic");
    }

    #[test]
    fn floats_come_back_with_the_same_bits_and_decimals_are_short() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            11.0,
            1.03,
            0.77,
            91.05,
            0.008,
            -2.5,
            1e12,
            9.1e12,
            123_456_789.125,
            0.1 + 0.2,
            14.076_041_666_666_676,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
        ];
        // Random decimals of 0–3 places, and random bit patterns.
        for _ in 0..20_000 {
            let r = next();
            values.push((r % 2_000_000) as f64 / [1.0, 10.0, 100.0, 1000.0][(r >> 40) as usize % 4] - 500.0);
            values.push(f64::from_bits(next()));
        }
        let mut w = Writer::default();
        for &v in &values {
            w.float(v);
        }
        let mut r = Reader::new(&w.buf);
        for &v in &values {
            assert_eq!(r.float().map(f64::to_bits).ok(), Some(v.to_bits()), "{v:?}");
        }
        assert!(r.is_empty());
        let size = |v: f64| {
            let mut w = Writer::default();
            w.float(v);
            w.buf.len()
        };
        assert_eq!((size(0.0), size(11.0), size(1.03), size(91.05)), (2, 2, 3, 4));
        assert_eq!(size(-0.0), 9, "-0 keeps its sign: 8 bytes");
        assert_eq!(size(14.076_041_666_666_676), 9);
        assert_eq!(decimal(2.5), Some((1, 25)));
        assert_eq!(decimal(0.1 + 0.2), None, "0.30000000000000004 is not 0.3");
    }

    #[test]
    fn deflate_round_trips_and_inflate_is_bounded() {
        let data = b"cpu0.busy\ncpu1.busy\n".repeat(100);
        let packed = deflate(&data);
        assert!(packed.len() < data.len() / 4);
        assert_eq!(inflate(&packed, 1 << 20).ok(), Some(data.clone()));
        assert_eq!(inflate(&packed, 10).ok().map(|v| v.len()), Some(10));
        // The thread's compressor is reused: incompressible data larger than the first guess
        // of the output, then the first data again, each whole and alone.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect();
        let packed_noise = deflate(&noise);
        assert!(packed_noise.len() > noise.len() / 2 + 64, "more than the first guess of the output");
        assert_eq!(inflate(&packed_noise, 1 << 20).ok(), Some(noise.clone()));
        assert_eq!(deflate(&data), packed);
        assert_eq!(inflate(&deflate(b""), 10).ok(), Some(Vec::new()));
        // The fast level: a compressor of its own, read back by the same inflate.
        let fast = deflate_fast(&data);
        assert!(fast.len() < data.len() / 4);
        assert_eq!(inflate(&fast, 1 << 20).ok(), Some(data.clone()));
        assert_eq!(inflate(&deflate_fast(&noise[..5000]), 1 << 20).ok().map(|v| v.len()), Some(5000));
        assert_eq!(deflate(&data), packed, "the default level is untouched by the fast one");
    }
}
