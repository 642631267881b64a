//! Value semantics shared by conditions and updates: DynamoDB equality (numbers as decimals,
//! sets as sets) and ordering (only between two S, two N or two B values).

use std::cmp::Ordering;

use ferrodyn_types::AttributeValue;

/// DynamoDB equality: same type and same value. Numbers compare as decimals (`1` = `1.0`),
/// sets ignore order, lists and maps compare element-wise with these same rules.
pub fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (a, b) {
        (V::S(x), V::S(y)) => x == y,
        (V::N(x), V::N(y)) => x == y,
        (V::B(x), V::B(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Null, V::Null) => true,
        (V::Ss(x), V::Ss(y)) => same_set(x, y),
        (V::Ns(x), V::Ns(y)) => same_set(x, y),
        (V::Bs(x), V::Bs(y)) => same_set(x, y),
        (V::L(x), V::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (V::M(x), V::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => false,
    }
}

/// Set equality: sets hold no duplicates, so equal length plus inclusion is enough.
fn same_set<T: PartialEq>(x: &[T], y: &[T]) -> bool {
    x.len() == y.len() && x.iter().all(|e| y.contains(e))
}

/// Ordering for `<`, `<=`, `>`, `>=`, `BETWEEN`: defined only between two strings (by
/// UTF-8 bytes, i.e. code point order), two numbers (numerically) or two binaries (as
/// unsigned bytes). `None` for anything else, which makes the comparison false.
pub fn compare_ordered(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    use AttributeValue as V;
    match (a, b) {
        (V::S(x), V::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (V::N(x), V::N(y)) => Some(x.cmp(y)),
        (V::B(x), V::B(y)) => Some(x.as_slice().cmp(y.as_slice())),
        _ => None,
    }
}

/// Whether a value of this type can be ordered (S, N or B).
pub(crate) fn is_orderable(value: &AttributeValue) -> bool {
    matches!(
        value,
        AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodyn_types::Number;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    #[test]
    fn numbers_compare_as_decimals() {
        assert!(values_equal(&n("1"), &n("1.0")));
        assert_eq!(compare_ordered(&n("10"), &n("9")), Some(Ordering::Greater));
        assert_eq!(compare_ordered(&n("-1"), &n("0.5")), Some(Ordering::Less));
    }

    #[test]
    fn sets_ignore_order() {
        let a = AttributeValue::Ss(vec!["x".into(), "y".into()]);
        let b = AttributeValue::Ss(vec!["y".into(), "x".into()]);
        assert!(values_equal(&a, &b));
        let c = AttributeValue::Ns(vec![
            Number::parse("1").unwrap(),
            Number::parse("2").unwrap(),
        ]);
        let d = AttributeValue::Ns(vec![
            Number::parse("2.0").unwrap(),
            Number::parse("1").unwrap(),
        ]);
        assert!(values_equal(&c, &d));
    }

    #[test]
    fn different_types_are_unequal_and_unordered() {
        assert!(!values_equal(&n("1"), &AttributeValue::S("1".into())));
        assert_eq!(
            compare_ordered(&n("1"), &AttributeValue::S("1".into())),
            None
        );
        assert_eq!(
            compare_ordered(&AttributeValue::Bool(true), &AttributeValue::Bool(true)),
            None
        );
    }

    #[test]
    fn binary_is_unsigned() {
        let lo = AttributeValue::B(vec![127]);
        let hi = AttributeValue::B(vec![128]);
        assert_eq!(compare_ordered(&lo, &hi), Some(Ordering::Less));
    }
}
