//! Whole numbers written straight into text, without the formatting machinery: cells, keys and
//! packed amounts write millions of them in a large batch.

/// The decimal digits of `n`, most significant first (as `n.to_string()` writes them), in `buf`.
pub fn digits(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut left = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (left % 10) as u8;
        left /= 10;
        if left == 0 {
            break;
        }
    }
    &buf[at..]
}

/// Append the decimal digits of `n` to `out`.
pub fn push_digits(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    for &d in digits(n, &mut buf) {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn digits_are_what_to_string_writes(n in proptest::prelude::any::<u64>()) {
            let mut out = String::from("x");
            super::push_digits(&mut out, n);
            proptest::prop_assert_eq!(out, format!("x{n}"));
        }
    }
}
