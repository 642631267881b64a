//! A deterministic, grammar-driven stand-in for the cargo-fuzz target (`fuzz/`): thousands of
//! generated expressions, mostly well-formed, parsed as every kind and evaluated / applied
//! against several items. Nothing may panic, and a few invariants must hold.

mod common;

use common::{item, names, values};
use ferrodyn_expr::{Condition, Context, ExpressionKind, KeyAttribute};
use ferrodyn_types::{AttributeType, Item};

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }

    fn path(&mut self) -> String {
        let mut p = self
            .pick(&[
                "a", "b", "l", "m", "n", "s", "ss", "ns", "x", "#a", "#l", "#m", "#dot", "#x", "pk",
            ])
            .to_owned();
        for _ in 0..self.below(4) {
            match self.below(3) {
                0 => p.push_str(&format!("[{}]", self.below(5))),
                1 => p.push_str(&format!(".{}", self.pick(&["x", "y", "z", "#x", "l"]))),
                _ => {}
            }
        }
        p
    }
    fn value(&mut self) -> String {
        self.pick(&[
            ":s", ":s2", ":n", ":n1", ":n10", ":b", ":t", ":null", ":l", ":m", ":ss", ":ns", ":tS",
            ":tN", ":empty", ":lempty",
        ])
        .to_owned()
    }
    fn operand(&mut self) -> String {
        match self.below(6) {
            0 | 1 => self.path(),
            2 | 3 => self.value(),
            4 => format!("size({})", self.path()),
            _ => format!("({})", self.path()),
        }
    }
    fn condition(&mut self, depth: usize) -> String {
        let choice = if depth > 3 {
            self.below(7)
        } else {
            self.below(11)
        };
        match choice {
            0 | 1 => format!(
                "{} {} {}",
                self.operand(),
                self.pick(&["=", "<>", "<", "<=", ">", ">="]),
                self.operand()
            ),
            2 => format!(
                "{} BETWEEN {} AND {}",
                self.operand(),
                self.operand(),
                self.operand()
            ),
            3 => {
                let n = 1 + self.below(4);
                let list: Vec<String> = (0..n).map(|_| self.operand()).collect();
                format!("{} IN ({})", self.operand(), list.join(", "))
            }
            4 => format!(
                "{}({})",
                self.pick(&["attribute_exists", "attribute_not_exists"]),
                self.path()
            ),
            5 => format!(
                "{}({}, {})",
                self.pick(&["begins_with", "contains"]),
                self.operand(),
                self.operand()
            ),
            6 => format!(
                "attribute_type({}, {})",
                self.operand(),
                self.pick(&[":tS", ":tN", ":tL", ":tM", ":s"])
            ),
            7 => format!(
                "{} AND {}",
                self.condition(depth + 1),
                self.condition(depth + 1)
            ),
            8 => format!(
                "{} OR {}",
                self.condition(depth + 1),
                self.condition(depth + 1)
            ),
            9 => format!("NOT {}", self.condition(depth + 1)),
            _ => format!("({})", self.condition(depth + 1)),
        }
    }
    fn update_operand(&mut self) -> String {
        match self.below(5) {
            0 => self.path(),
            1 | 2 => self.value(),
            3 => format!("if_not_exists({}, {})", self.path(), self.value()),
            _ => format!(
                "list_append({}, {})",
                self.operand(),
                self.pick(&[":l", ":lempty", ":s"])
            ),
        }
    }
    fn update(&mut self) -> String {
        let mut clauses = Vec::new();
        for clause in ["SET", "REMOVE", "ADD", "DELETE"] {
            if self.below(2) == 0 {
                continue;
            }
            let n = 1 + self.below(3);
            let actions: Vec<String> = (0..n)
                .map(|_| match clause {
                    "SET" => match self.below(3) {
                        0 => format!("{} = {}", self.path(), self.update_operand()),
                        1 => format!(
                            "{} = {} + {}",
                            self.path(),
                            self.update_operand(),
                            self.value()
                        ),
                        _ => format!("{} = {} - {}", self.path(), self.path(), self.value()),
                    },
                    "REMOVE" => self.path(),
                    _ => format!(
                        "{} {}",
                        self.path(),
                        self.pick(&[":n", ":ss", ":ns", ":s", ":l"])
                    ),
                })
                .collect();
            clauses.push(format!("{clause} {}", actions.join(", ")));
        }
        if clauses.is_empty() {
            clauses.push(format!("SET {} = {}", self.path(), self.value()));
        }
        clauses.join(" ")
    }
    /// Occasionally breaks a well-formed expression.
    fn mangle(&mut self, s: String) -> String {
        if self.below(8) != 0 || s.is_empty() {
            return s;
        }
        let mut bytes: Vec<char> = s.chars().collect();
        let at = self.below(bytes.len());
        match self.below(3) {
            0 => {
                bytes.remove(at);
            }
            1 => bytes.insert(
                at,
                self.pick(&["(", ")", ",", "[", ".", "#", ":"])
                    .chars()
                    .next()
                    .unwrap(),
            ),
            _ => bytes.truncate(at),
        }
        bytes.into_iter().collect()
    }
}

fn items() -> Vec<Item> {
    vec![
        item(
            r#"{pk: "p", a: 1, b: "x", s: "hello", n: 5, l: [1, {x: 2}, [3]], m: {x: 1, y: {z: "q"}, l: [4]}, ss: ss("a"), ns: ns(1, 2), "a.b": true}"#,
        ),
        item(r#"{pk: "q", a: {x: [1, 2]}, l: [], m: {}, x: null}"#),
        Item::new(),
    ]
}

#[test]
fn generated_conditions_never_panic() {
    let (n, v) = (names(), values());
    let items = items();
    let mut g = Gen(0x9E3779B97F4A7C15);
    let mut parsed = 0;
    for _ in 0..4000 {
        let src = g.condition(0);
        let src = g.mangle(src);
        for kind in [ExpressionKind::Condition, ExpressionKind::KeyCondition] {
            let mut ctx = Context::new(Some(&n), Some(&v));
            let result = if kind == ExpressionKind::Condition {
                ctx.parse_condition(kind, &src).map(Some)
            } else {
                ctx.parse_key_condition(&src).map(|k| {
                    let pk = KeyAttribute {
                        name: "pk",
                        attribute_type: AttributeType::S,
                    };
                    let sk = KeyAttribute {
                        name: "a",
                        attribute_type: AttributeType::N,
                    };
                    let _ = k.for_schema(pk, Some(sk));
                    None
                })
            };
            match result {
                Ok(Some(c)) => {
                    parsed += 1;
                    for it in &items {
                        let holds = c.evaluate(Some(it));
                        let negated = Condition::Not(Box::new(c.clone()));
                        assert_eq!(negated.evaluate(Some(it)), !holds, "{src}");
                    }
                    let _ = c.evaluate(None);
                }
                Ok(None) => {}
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
    assert!(parsed > 1000, "only {parsed} generated conditions parsed");
}

#[test]
fn generated_updates_never_panic() {
    let (n, v) = (names(), values());
    let items = items();
    let mut g = Gen(0xD1B54A32D192ED03);
    let mut applied = 0;
    for _ in 0..4000 {
        let src = g.update();
        let src = g.mangle(src);
        let mut ctx = Context::new(Some(&n), Some(&v));
        let Ok(update) = ctx.parse_update(&src) else {
            continue;
        };
        let _ = update.check_key_attributes(&["pk"]);
        for it in &items {
            let before = it.clone();
            match update.apply(Some(it)) {
                Ok(new) => {
                    applied += 1;
                    let _ = update.updated_old(it);
                    let _ = update.updated_new(&new);
                    // Deterministic, and the old item is untouched.
                    assert_eq!(update.apply(Some(it)).unwrap(), new, "{src}");
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
            assert_eq!(&before, it);
        }
        let _ = update.apply(None);
    }
    assert!(applied > 500, "only {applied} generated updates applied");
}

#[test]
fn generated_projections_never_panic() {
    let (n, v) = (names(), values());
    let items = items();
    let mut g = Gen(0x94D049BB133111EB);
    for _ in 0..3000 {
        let count = 1 + g.below(4);
        let paths: Vec<String> = (0..count).map(|_| g.path()).collect();
        let src = g.mangle(paths.join(", "));
        let mut ctx = Context::new(Some(&n), Some(&v));
        if let Ok(p) = ctx.parse_projection(&src) {
            for it in &items {
                let projected = p.apply(it);
                // Only projected attributes come back.
                let wanted: Vec<&str> = p.attribute_names().collect();
                assert!(
                    projected.keys().all(|k| wanted.contains(&k.as_str())),
                    "{src}"
                );
            }
        }
    }
}

#[test]
fn arbitrary_text_never_panics() {
    let (n, v) = (names(), values());
    let mut g = Gen(0xBF58476D1CE4E5B9);
    let alphabet: Vec<char> = "ab#:,.[]()=<>+- 0123456789_!ü\"\tSETANDORNOT"
        .chars()
        .collect();
    for _ in 0..5000 {
        let len = g.below(30);
        let src: String = (0..len)
            .map(|_| alphabet[g.below(alphabet.len())])
            .collect();
        let mut ctx = Context::new(Some(&n), Some(&v));
        let _ = ctx.parse_condition(ExpressionKind::Filter, &src);
        let _ = ctx.parse_update(&src);
        let _ = ctx.parse_projection(&src);
        let _ = ctx.parse_key_condition(&src);
    }
}
