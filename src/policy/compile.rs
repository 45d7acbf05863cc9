//! The compiled evaluator: an evalexpr operator tree turned, once at load time, into a typed
//! expression tree that reads facts by slot index instead of by name in a hash map.
//!
//! It gives exactly evalexpr 11.3.1's results for the operators it accepts (the property test
//! below compares the two on random expressions and facts):
//! - integers and floats stay distinct: `1 == 1.0` is false, `7 / 2` is 3, integer overflow and
//!   integer division by zero are errors, a float anywhere makes the operation a float one;
//! - comparisons of NaN are false, `!=` with NaN is true; text compares byte-wise;
//! - evalexpr evaluates both sides of `&&` and `||`, so an error on either side is an error.
//!   The compiled form short-circuits only where the skipped side cannot fail (no arithmetic
//!   that can overflow or divide by zero), which leaves every result unchanged.
//!
//! Mixed-type comparisons (text with number, `>` on booleans) are rejected here as type errors
//! rather than compiled: evalexpr would fail on them at run time (or, for `==`, always say
//! false), and the lint reports them before any rule runs.

use std::borrow::Cow;
use std::cmp::Ordering;

use evalexpr::{Node, Operator, Value as EValue};

use super::facts::{FACTS, FactType, Num, Slot, Slots, slot_of};
use super::render;

/// The static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Num,
    Text,
}

impl Ty {
    fn of_fact(kind: FactType) -> Ty {
        match kind {
            FactType::Number => Ty::Num,
            FactType::Text => Ty::Text,
            FactType::Bool => Ty::Bool,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Num => "a number",
            Ty::Text => "text",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Lt,
    Geq,
    Leq,
}

impl CmpOp {
    fn holds(self, ord: Option<Ordering>) -> bool {
        match (self, ord) {
            (_, None) => false,
            (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
            (CmpOp::Lt, Some(o)) => o == Ordering::Less,
            (CmpOp::Geq, Some(o)) => o != Ordering::Less,
            (CmpOp::Leq, Some(o)) => o != Ordering::Greater,
        }
    }

    /// `a op b` is `b op.flip() a`.
    fn flip(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Geq => CmpOp::Leq,
            CmpOp::Leq => CmpOp::Geq,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Exp,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Bool(bool),
    Num(Num),
    Text(Box<str>),
    Fact(usize),
    Not(Box<Expr>),
    /// `eager`: the right side may fail, so it is evaluated even when the left decides.
    And(Box<Expr>, Box<Expr>, bool),
    Or(Box<Expr>, Box<Expr>, bool),
    Eq(Box<Expr>, Box<Expr>, bool),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    // Fast paths for the shapes rules are made of.
    /// `text_fact == "const"` (or `!=` when `negate`).
    TextFactEq(usize, Box<str>, bool),
    /// `number_fact op const`.
    NumFactCmp(usize, CmpOp, Num),
}

/// Evaluation failed (integer overflow, integer division by zero). The caller asks evalexpr
/// for the message: it is the same failure, and this keeps the hot path free of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Bool(bool),
    Num(Num),
    Text(Cow<'a, str>),
}

/// Compiles a rule's operator tree. Fails with a message naming the offending subexpression
/// when the tree uses something the compiler does not take (a type error, a tuple, a function).
pub fn compile(node: &Node) -> Result<Expr, String> {
    let (expr, ty) = compile_node(node)?;
    if ty != Ty::Bool {
        return Err(format!(
            "`{}` is {}, but a rule must be true or false",
            render(node),
            ty.name()
        ));
    }
    Ok(expr)
}

fn compile_node(node: &Node) -> Result<(Expr, Ty), String> {
    let children = node.children();
    let child = |i: usize| -> Result<(Expr, Ty), String> {
        children
            .get(i)
            .ok_or_else(|| format!("`{}` is incomplete", render(node)))
            .and_then(compile_node)
    };
    // The operand of `!` or `-`, which must have type `wanted`.
    let unary = |wanted: Ty, symbol: &str| -> Result<Expr, String> {
        let (e, t) = child(0)?;
        if t != wanted {
            return Err(format!(
                "type error in `{}`: `{symbol}` needs {}, not {}",
                render(node),
                wanted.name(),
                t.name()
            ));
        }
        Ok(e)
    };
    Ok(match node.operator() {
        Operator::RootNode => match children.len() {
            1 => child(0)?,
            0 => return Err("empty parentheses `()` have no value".to_string()),
            _ => return Err(format!("`{}` has more than one value", render(node))),
        },
        Operator::Const { value } => constant(node, value)?,
        Operator::VariableIdentifierRead { identifier } => {
            let slot = slot_of(identifier).ok_or_else(|| format!("unknown fact `{identifier}`"))?;
            (Expr::Fact(slot), Ty::of_fact(FACTS[slot].1))
        }
        Operator::Not => (Expr::Not(Box::new(unary(Ty::Bool, "!")?)), Ty::Bool),
        Operator::Neg => (Expr::Neg(Box::new(unary(Ty::Num, "-")?)), Ty::Num),
        op @ (Operator::And
        | Operator::Or
        | Operator::Eq
        | Operator::Neq
        | Operator::Gt
        | Operator::Lt
        | Operator::Geq
        | Operator::Leq
        | Operator::Add
        | Operator::Sub
        | Operator::Mul
        | Operator::Div
        | Operator::Mod
        | Operator::Exp) => return binary(node, op, child(0)?, child(1)?),
        Operator::FunctionIdentifier { identifier } => {
            return Err(format!("function `{identifier}` is evaluated by evalexpr"));
        }
        Operator::Tuple => {
            return Err(format!("`{}` is a tuple, not a single value", render(node)));
        }
        other => return Err(format!("`{other}` is not allowed in a rule")),
    })
}

/// A binary operator over its compiled operands, type-checked.
fn binary(
    node: &Node,
    op: &Operator,
    (l, lt): (Expr, Ty),
    (r, rt): (Expr, Ty),
) -> Result<(Expr, Ty), String> {
    let type_error = |what: &str| {
        Err(format!(
            "type error in `{}`: {what} {} and {}",
            render(node),
            lt.name(),
            rt.name()
        ))
    };
    Ok(match op {
        Operator::And | Operator::Or => {
            if lt != Ty::Bool || rt != Ty::Bool {
                return type_error("`&&` and `||` need booleans, not");
            }
            let eager = may_fail(&r);
            let (l, r) = (Box::new(l), Box::new(r));
            let e = if *op == Operator::And {
                Expr::And(l, r, eager)
            } else {
                Expr::Or(l, r, eager)
            };
            (e, Ty::Bool)
        }
        Operator::Eq | Operator::Neq => {
            if lt != rt {
                return type_error("`==` and `!=` compare values of one type, not");
            }
            (eq_expr(l, r, *op == Operator::Neq), Ty::Bool)
        }
        Operator::Gt | Operator::Lt | Operator::Geq | Operator::Leq => {
            if lt != rt || lt == Ty::Bool {
                return type_error("`<`, `>`, `<=`, `>=` compare two numbers or two texts, not");
            }
            let op = match op {
                Operator::Gt => CmpOp::Gt,
                Operator::Lt => CmpOp::Lt,
                Operator::Geq => CmpOp::Geq,
                _ => CmpOp::Leq,
            };
            (cmp_expr(op, l, r), Ty::Bool)
        }
        _ => {
            let op = arith_op(op);
            let ty = match (op, lt, rt) {
                (_, Ty::Num, Ty::Num) => Ty::Num,
                (ArithOp::Add, Ty::Text, Ty::Text) => Ty::Text,
                _ => return type_error("arithmetic needs two numbers (or `+` two texts), not"),
            };
            (Expr::Arith(op, Box::new(l), Box::new(r)), ty)
        }
    })
}

fn constant(node: &Node, value: &EValue) -> Result<(Expr, Ty), String> {
    Ok(match value {
        EValue::Boolean(b) => (Expr::Bool(*b), Ty::Bool),
        EValue::Int(i) => (Expr::Num(Num::Int(*i)), Ty::Num),
        EValue::Float(f) => (Expr::Num(Num::Float(*f)), Ty::Num),
        EValue::String(s) => (Expr::Text(s.as_str().into()), Ty::Text),
        EValue::Tuple(_) | EValue::Empty => {
            return Err(format!("`{}` is not a single value", render(node)));
        }
    })
}

/// The arithmetic operator of `+ - * / % ^`.
fn arith_op(op: &Operator) -> ArithOp {
    match op {
        Operator::Add => ArithOp::Add,
        Operator::Sub => ArithOp::Sub,
        Operator::Mul => ArithOp::Mul,
        Operator::Div => ArithOp::Div,
        Operator::Mod => ArithOp::Mod,
        _ => ArithOp::Exp,
    }
}

fn eq_expr(l: Expr, r: Expr, negate: bool) -> Expr {
    match (l, r) {
        (Expr::Fact(slot), Expr::Text(t)) | (Expr::Text(t), Expr::Fact(slot)) => {
            Expr::TextFactEq(slot, t, negate)
        }
        (l, r) => Expr::Eq(Box::new(l), Box::new(r), negate),
    }
}

fn cmp_expr(op: CmpOp, l: Expr, r: Expr) -> Expr {
    match (l, r) {
        (Expr::Fact(slot), Expr::Num(n)) => Expr::NumFactCmp(slot, op, n),
        (Expr::Num(n), Expr::Fact(slot)) => Expr::NumFactCmp(slot, op.flip(), n),
        (l, r) => Expr::Cmp(op, Box::new(l), Box::new(r)),
    }
}

/// Whether evaluating `e` can fail: only integer arithmetic can (overflow, division by zero).
fn may_fail(e: &Expr) -> bool {
    match e {
        Expr::Bool(_)
        | Expr::Num(_)
        | Expr::Text(_)
        | Expr::Fact(_)
        | Expr::TextFactEq(..)
        | Expr::NumFactCmp(..) => false,
        Expr::Not(x) => may_fail(x),
        Expr::And(l, r, _) | Expr::Or(l, r, _) | Expr::Eq(l, r, _) | Expr::Cmp(_, l, r) => {
            may_fail(l) || may_fail(r)
        }
        Expr::Arith(ArithOp::Exp, l, r) => may_fail(l) || may_fail(r),
        Expr::Arith(..) | Expr::Neg(_) => true,
    }
}

impl Expr {
    /// Evaluates a boolean expression (what [`compile`] returns).
    #[inline]
    pub fn eval_bool(&self, slots: &Slots<'_>) -> Result<bool, Failed> {
        Ok(match self {
            Expr::TextFactEq(slot, text, negate) => match slots.get(*slot) {
                Slot::Text(s) => (s == &**text) != *negate,
                _ => unreachable!("text facts bind to text"),
            },
            Expr::NumFactCmp(slot, op, k) => match slots.get(*slot) {
                Slot::Num(n) => cmp_num(*op, n, *k),
                _ => unreachable!("number facts bind to numbers"),
            },
            Expr::Bool(b) => *b,
            Expr::Fact(slot) => match slots.get(*slot) {
                Slot::Bool(b) => b,
                _ => unreachable!("the compiler types facts"),
            },
            Expr::Not(x) => !x.eval_bool(slots)?,
            Expr::And(l, r, eager) => {
                let l = l.eval_bool(slots)?;
                if !l && !eager {
                    return Ok(false);
                }
                r.eval_bool(slots)? && l
            }
            Expr::Or(l, r, eager) => {
                let l = l.eval_bool(slots)?;
                if l && !eager {
                    return Ok(true);
                }
                r.eval_bool(slots)? || l
            }
            Expr::Eq(l, r, negate) => (l.eval(slots)? == r.eval(slots)?) != *negate,
            Expr::Cmp(op, l, r) => match (l.eval(slots)?, r.eval(slots)?) {
                (Val::Num(a), Val::Num(b)) => cmp_num(*op, a, b),
                (Val::Text(a), Val::Text(b)) => op.holds(Some(a.cmp(&b))),
                _ => unreachable!("the compiler types comparisons"),
            },
            Expr::Num(_) | Expr::Text(_) | Expr::Arith(..) | Expr::Neg(_) => {
                unreachable!("the compiler types boolean expressions")
            }
        })
    }

    /// Evaluates any expression to a value.
    pub fn eval<'a>(&'a self, slots: &Slots<'a>) -> Result<Val<'a>, Failed> {
        Ok(match self {
            Expr::Num(n) => Val::Num(*n),
            Expr::Text(t) => Val::Text(Cow::Borrowed(t)),
            Expr::Fact(slot) => match slots.get(*slot) {
                Slot::Num(n) => Val::Num(n),
                Slot::Text(t) => Val::Text(Cow::Borrowed(t)),
                Slot::Bool(b) => Val::Bool(b),
            },
            Expr::Neg(x) => match x.eval(slots)? {
                Val::Num(Num::Int(i)) => Val::Num(Num::Int(i.checked_neg().ok_or(Failed)?)),
                Val::Num(Num::Float(f)) => Val::Num(Num::Float(-f)),
                _ => unreachable!("the compiler types negation"),
            },
            Expr::Arith(op, l, r) => match (l.eval(slots)?, r.eval(slots)?) {
                (Val::Num(a), Val::Num(b)) => Val::Num(arith(*op, a, b)?),
                (Val::Text(a), Val::Text(b)) => Val::Text(Cow::Owned(format!("{a}{b}"))),
                _ => unreachable!("the compiler types arithmetic"),
            },
            _ => Val::Bool(self.eval_bool(slots)?),
        })
    }
}

/// evalexpr's number comparison: integer with integer, otherwise as floats (NaN is unordered).
#[inline]
fn cmp_num(op: CmpOp, a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(a), Num::Int(b)) => op.holds(Some(a.cmp(&b))),
        _ => op.holds(a.as_f64().partial_cmp(&b.as_f64())),
    }
}

/// evalexpr's arithmetic: checked on two integers, float otherwise; `^` is always a float.
fn arith(op: ArithOp, a: Num, b: Num) -> Result<Num, Failed> {
    if let (Num::Int(a), Num::Int(b), false) = (a, b, op == ArithOp::Exp) {
        let r = match op {
            ArithOp::Add => a.checked_add(b),
            ArithOp::Sub => a.checked_sub(b),
            ArithOp::Mul => a.checked_mul(b),
            ArithOp::Div => a.checked_div(b),
            ArithOp::Mod => a.checked_rem(b),
            ArithOp::Exp => unreachable!("excluded above"),
        };
        return r.map(Num::Int).ok_or(Failed);
    }
    let (a, b) = (a.as_f64(), b.as_f64());
    Ok(Num::Float(match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => a / b,
        ArithOp::Mod => a % b,
        ArithOp::Exp => a.powf(b),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn both(src: &str, slots: &Slots<'_>) -> (Result<bool, Failed>, Result<bool, String>) {
        let node = evalexpr::build_operator_tree(src).unwrap();
        let compiled = compile(&node).unwrap_or_else(|e| panic!("{src}: {e}"));
        let ours = compiled.eval_bool(slots);
        let theirs = node
            .eval_boolean_with_context(&slots.to_context())
            .map_err(|e| e.to_string());
        (ours, theirs)
    }

    fn agree(src: &str, slots: &Slots<'_>) {
        let (ours, theirs) = both(src, slots);
        assert_eq!(
            ours.ok(),
            theirs.clone().ok(),
            "{src} on {slots:?}: evalexpr says {theirs:?}"
        );
    }

    fn fact(name: &str) -> usize {
        slot_of(name).unwrap()
    }

    #[test]
    fn integers_and_floats_behave_as_in_evalexpr() {
        let s = Slots::absent()
            .with(fact("affected_records"), Slot::Num(Num::Int(1)))
            .with(fact("price_change_percent"), Slot::Num(Num::Float(1.0)));
        for src in [
            "affected_records == 1",
            "affected_records == 1.0",
            "price_change_percent == 1",
            "price_change_percent == affected_records",
            "price_change_percent >= affected_records",
            "7 / 2 == 3",
            "affected_records / 0 == 1",
            "9223372036854775807 + affected_records > 0",
            "user_stress_level == user_stress_level",
            "user_stress_level != user_stress_level",
            "!(user_stress_level > 0) && !(user_stress_level <= 0)",
            "2 ^ 2 == 4",
            "2 ^ 2 == 4.0",
            "-affected_records < 0",
            "\"b\" > \"a\" && action < \"a\"",
            "action + \"x\" == \"x\"",
            "false && affected_records / 0 > 1",
            "true || affected_records % 0 > 1",
        ] {
            agree(src, &s);
        }
    }

    #[test]
    fn type_errors_name_the_subexpression() {
        let err = |src: &str| compile(&evalexpr::build_operator_tree(src).unwrap()).unwrap_err();
        assert_eq!(
            err("operation_type > 1"),
            "type error in `operation_type > 1`: `<`, `>`, `<=`, `>=` compare two numbers or two texts, not text and a number"
        );
        assert_eq!(
            err("affected_records + 1"),
            "`affected_records + 1` is a number, but a rule must be true or false"
        );
        assert!(err("pii_detected > false").contains("`pii_detected > false`"));
    }

    /// Random well-typed expressions over the facts, in evalexpr syntax.
    fn num_expr() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            prop::sample::select(vec![
                "affected_records",
                "price_change_percent",
                "user_stress_level",
                "session_duration_minutes",
                "hour_utc",
            ])
            .prop_map(str::to_string),
            (-3i64..60).prop_map(|i| i.to_string()),
            prop::sample::select(vec!["0.7", "25.0", "0.0", "-1.5", "9223372036854775807"])
                .prop_map(str::to_string),
        ];
        leaf.prop_recursive(3, 8, 2, |inner| {
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "^"]),
                inner,
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
        })
    }

    fn bool_expr() -> impl Strategy<Value = String> {
        let text = prop_oneof![
            Just("operation_type".to_string()),
            Just("action".to_string()),
            prop::sample::select(vec!["\"write\"", "\"read\"", "\"\""]).prop_map(str::to_string),
        ];
        let leaf = prop_oneof![
            (
                num_expr(),
                prop::sample::select(vec!["<", ">", "<=", ">=", "==", "!="]),
                num_expr()
            )
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            (
                text.clone(),
                prop::sample::select(vec!["==", "!=", "<", ">="]),
                text
            )
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            Just("pii_detected".to_string()),
            Just("true".to_string()),
        ];
        leaf.prop_recursive(3, 12, 2, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    prop::sample::select(vec!["&&", "||"]),
                    inner.clone()
                )
                    .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
                inner.prop_map(|a| format!("!({a})")),
            ]
        })
    }

    fn num_slot() -> impl Strategy<Value = Slot<'static>> {
        prop_oneof![
            (-2i64..70).prop_map(|i| Slot::Num(Num::Int(i))),
            prop::sample::select(vec![f64::NAN, 0.0, 0.7, 25.0, 25.01, -3.5, 1e300])
                .prop_map(|f| Slot::Num(Num::Float(f))),
            Just(Slot::Num(Num::Int(i64::MAX))),
        ]
    }

    fn slots() -> impl Strategy<Value = Slots<'static>> {
        (
            prop::collection::vec(num_slot(), 5),
            prop::sample::select(vec!["write", "read", ""]),
            prop::sample::select(vec!["update_price", ""]),
            any::<bool>(),
        )
            .prop_map(|(nums, op, action, pii)| {
                let names = [
                    "affected_records",
                    "price_change_percent",
                    "user_stress_level",
                    "session_duration_minutes",
                    "hour_utc",
                ];
                let mut s = Slots::absent()
                    .with(fact("operation_type"), Slot::Text(op))
                    .with(fact("action"), Slot::Text(action))
                    .with(fact("pii_detected"), Slot::Bool(pii));
                for (name, v) in names.iter().zip(nums) {
                    s = s.with(fact(name), v);
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn compiled_rules_decide_exactly_like_evalexpr(src in bool_expr(), s in slots()) {
            let (ours, theirs) = both(&src, &s);
            prop_assert_eq!(ours.ok(), theirs.clone().ok(), "{} on {:?}: evalexpr says {:?}", src, s, theirs);
        }
    }
}
