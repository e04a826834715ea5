//! Expressions evaluated at run time: params, loop variables, step outputs (gathered
//! over `for` fan-out), operators.

use super::*;

impl<'a> Engine<'a> {
    pub(super) fn eval(&self, expr: &Expr, scope: &[String], path: &[u32]) -> Eval<RValue> {
        Ok(match expr {
            Expr::Literal { value, ty } if crate::value::holds_artifact(ty) => self
                .params
                .get(&crate::params::literal_key(value))
                .cloned()
                .ok_or_else(|| {
                    EvalError::Fatal(format!("the artifact path {value:?} was not imported"))
                })?,
            Expr::Literal { value, ty } => RValue::from_ir(value, ty),
            Expr::Param { name, .. } => self
                .params
                .get(name)
                .cloned()
                .ok_or_else(|| EvalError::Fatal(format!("param `{name}` has no value")))?,
            Expr::LoopVar { block, name, .. } => {
                let position = scope.iter().position(|b| b == block).ok_or_else(|| {
                    EvalError::Fatal(format!("`{name}` is used outside its loop"))
                })?;
                let depth = self.for_depth(&scope[..position]);
                let index = *path.get(depth).ok_or(EvalError::NotReady)? as usize;
                let item = match self
                    .block_states
                    .get(&(block.clone(), path[..depth].to_vec()))
                {
                    Some(BlockState::For(items)) => items
                        .get(index)
                        .cloned()
                        .ok_or_else(|| EvalError::Fatal(format!("`{name}` index out of range")))?,
                    _ => return Err(EvalError::NotReady),
                };
                // A `zip` loop's elements are `[a, b]` pairs (see `eval_block`).
                match self.blocks.get(block).map(|b| &b.block) {
                    Some(Block::For {
                        second_var: Some(second),
                        ..
                    }) => match item {
                        RValue::List(mut pair) if pair.len() == 2 => {
                            pair.swap_remove(usize::from(second == name))
                        }
                        other => other,
                    },
                    _ => item,
                }
            }
            Expr::StepOutput { step, output, .. } => {
                self.gather(step, Some(output), scope, path)?
            }
            Expr::List { items } => RValue::List(
                items
                    .iter()
                    .map(|i| self.eval(i, scope, path))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Map { entries, .. } => RValue::Map(
                entries
                    .iter()
                    .map(|(k, e)| Ok((k.clone(), self.eval(e, scope, path)?)))
                    .collect::<Result<_, EvalError>>()?,
            ),
            Expr::Field { of, field, .. } => match self.eval(of, scope, path)? {
                RValue::Map(mut entries) => entries.remove(field).ok_or_else(|| {
                    EvalError::Fatal(format!("the record has no field `{field}`"))
                })?,
                RValue::Unknown => RValue::Unknown,
                RValue::Absent => RValue::Absent,
                other => {
                    return Err(EvalError::Fatal(format!(
                        "`.{field}` needs a record, but the value is {other}"
                    )))
                }
            },
            Expr::Index { of, index, .. } => {
                let base = self.eval(of, scope, path)?;
                let index = self.eval(index, scope, path)?;
                element(base, index).map_err(EvalError::Fatal)?
            }
            Expr::Call { function, args, .. } => {
                let args = args
                    .iter()
                    .map(|a| self.eval(a, scope, path))
                    .collect::<Result<Vec<_>, _>>()?;
                call(*function, args).map_err(EvalError::Fatal)?
            }
            Expr::Unary { op, operand } => {
                let value = self.eval(operand, scope, path)?;
                match (op, value) {
                    (_, RValue::Unknown) => RValue::Unknown,
                    (UnaryOperator::Not, RValue::Bool(b)) => RValue::Bool(!b),
                    (UnaryOperator::Neg, RValue::Int(n)) => RValue::Int(n.wrapping_neg()),
                    (UnaryOperator::Neg, RValue::Float(f)) => RValue::Float(-f),
                    (op, value) => {
                        return Err(EvalError::Fatal(format!(
                            "cannot apply `{}` to {value}",
                            op.symbol()
                        )))
                    }
                }
            }
            Expr::Binary { op, lhs, rhs } => {
                let a = self.eval(lhs, scope, path)?;
                let b = self.eval(rhs, scope, path)?;
                binary(*op, a, b).map_err(EvalError::Fatal)?
            }
        })
    }

    /// The value a block decides on: its condition, or the list it walks. The two lists of
    /// a `zip` become one list of `[a, b]` pairs; lists of different lengths are an error.
    pub(super) fn eval_block(&self, block: &Block, scope: &[String], path: &[u32]) -> Eval<RValue> {
        let (over, second_over) = match block {
            Block::If { condition, .. } => return self.eval(condition, scope, path),
            Block::For {
                over, second_over, ..
            } => (over, second_over),
        };
        let first = self.eval(over, scope, path)?;
        let Some(second_over) = second_over else {
            return Ok(first);
        };
        let second = self.eval(second_over, scope, path)?;
        Ok(match (first, second) {
            (RValue::List(a), RValue::List(b)) => {
                if a.len() != b.len() {
                    return Err(EvalError::Fatal(format!(
                        "`zip` walks two lists together, but they have {} and {} elements",
                        a.len(),
                        b.len()
                    )));
                }
                RValue::List(
                    a.into_iter()
                        .zip(b)
                        .map(|(x, y)| RValue::List(vec![x, y]))
                        .collect(),
                )
            }
            (RValue::Unknown, _) | (_, RValue::Unknown) => RValue::Unknown,
            _ => RValue::Absent,
        })
    }

    /// The value of `step.output` as seen from `scope` at `path` (or, with no output,
    /// whether all the instances it names are done).
    pub(super) fn gather(
        &self,
        step: &str,
        output: Option<&str>,
        scope: &[String],
        path: &[u32],
    ) -> Eval<RValue> {
        let index = *self
            .index_of
            .get(step)
            .ok_or_else(|| EvalError::Fatal(format!("unknown step `{step}`")))?;
        let info = &self.steps[index];
        let common = info
            .scope
            .iter()
            .zip(scope)
            .take_while(|(a, b)| a == b)
            .count();
        let base = self.for_depth(&info.scope[..common]);
        let mut current = path[..base.min(path.len())].to_vec();
        self.walk(index, output, common, &mut current)
    }

    pub(super) fn walk(
        &self,
        step: usize,
        output: Option<&str>,
        depth: usize,
        current: &mut Path,
    ) -> Eval<RValue> {
        let info = &self.steps[step];
        // The keys below borrow `current` for the lookup (and give it back), rather than
        // copying the path for each instance looked at.
        if depth == info.scope.len() {
            let key = (step, std::mem::take(current));
            let value = match self.insts.get(&key) {
                Some(State::Done(Done::Ok(outputs))) => Ok(match output {
                    Some(name) => outputs.get(name).cloned().unwrap_or(RValue::Absent),
                    None => RValue::Absent,
                }),
                Some(State::Done(Done::Skipped)) => Ok(RValue::Absent),
                Some(State::Done(Done::Unknown)) => Ok(RValue::Unknown),
                _ => Err(EvalError::NotReady),
            };
            *current = key.1;
            return value;
        }
        let key = (info.scope[depth].clone(), std::mem::take(current));
        let state = self.block_states.get(&key);
        *current = key.1;
        match state {
            None => Err(EvalError::NotReady),
            Some(BlockState::For(items)) => {
                let mut values = Vec::with_capacity(items.len());
                for i in 0..items.len() {
                    current.push(i as u32);
                    let value = self.walk(step, output, depth + 1, current);
                    current.pop();
                    values.push(value?);
                }
                Ok(RValue::List(values))
            }
            Some(BlockState::If(true)) => self.walk(step, output, depth + 1, current),
            Some(BlockState::If(false) | BlockState::Skipped) => Ok(RValue::Absent),
            Some(BlockState::Unknown) => Ok(RValue::Unknown),
        }
    }
}

/// `base[index]`: a list element (negative from the end) or a dict value. What is missing
/// is named with what there is.
fn element(base: RValue, index: RValue) -> Result<RValue, String> {
    match (base, index) {
        (RValue::Unknown, _) | (_, RValue::Unknown) => Ok(RValue::Unknown),
        (RValue::List(mut items), RValue::Int(i)) => {
            let len = items.len() as i64;
            let at = if i < 0 { len + i } else { i };
            if at < 0 || at >= len {
                return Err(format!(
                    "index {i} is out of range: the list has {len} element{}",
                    if len == 1 { "" } else { "s" }
                ));
            }
            Ok(items.swap_remove(at as usize))
        }
        (RValue::Map(mut entries), RValue::Str(key)) => match entries.remove(&key) {
            Some(value) => Ok(value),
            None => {
                let keys: Vec<String> = entries.keys().map(|k| format!("{k:?}")).collect();
                Err(format!(
                    "the key {key:?} is not in the dict; its keys are {}",
                    if keys.is_empty() {
                        "none (it is empty)".to_string()
                    } else {
                        keys.join(", ")
                    }
                ))
            }
        },
        (base, index) => Err(format!("cannot index {base} with {index}")),
    }
}

/// A built-in function on run-time values.
fn call(function: mlforge_ir::Function, mut args: Vec<RValue>) -> Result<RValue, String> {
    let arg = args.pop().unwrap_or(RValue::Absent);
    match (function, arg) {
        (_, RValue::Unknown) => Ok(RValue::Unknown),
        (mlforge_ir::Function::Range, RValue::Int(n)) => {
            Ok(RValue::List((0..n.max(0)).map(RValue::Int).collect()))
        }
        (mlforge_ir::Function::Present, RValue::List(items)) => Ok(RValue::List(
            items
                .into_iter()
                .filter(|i| !matches!(i, RValue::Absent))
                .collect(),
        )),
        (mlforge_ir::Function::Present, RValue::Absent) => Ok(RValue::List(Vec::new())),
        (function, arg) => Err(format!("cannot apply `{function:?}` to {arg}")),
    }
}

fn number(value: &RValue) -> Option<f64> {
    match value {
        RValue::Int(n) => Some(*n as f64),
        RValue::Float(f) => Some(*f),
        _ => None,
    }
}

/// A binary operator on run-time values (`int` widens to `float`).
fn binary(op: BinaryOperator, a: RValue, b: RValue) -> Result<RValue, String> {
    use std::cmp::Ordering;
    use BinaryOperator::*;
    if matches!(a, RValue::Unknown) || matches!(b, RValue::Unknown) {
        return Ok(RValue::Unknown);
    }
    let symbol = op.symbol();
    match op {
        And | Or => match (a, b) {
            (RValue::Bool(x), RValue::Bool(y)) => {
                Ok(RValue::Bool(if op == And { x && y } else { x || y }))
            }
            (a, b) => Err(format!("`{symbol}` needs two bools, got {a} and {b}")),
        },
        Add | Sub | Mul | Div => match (&a, &b) {
            (RValue::Int(x), RValue::Int(y)) if op != Div => Ok(RValue::Int(match op {
                Add => x.wrapping_add(*y),
                Sub => x.wrapping_sub(*y),
                _ => x.wrapping_mul(*y),
            })),
            _ => {
                let (Some(x), Some(y)) = (number(&a), number(&b)) else {
                    return Err(format!("`{symbol}` needs two numbers, got {a} and {b}"));
                };
                Ok(RValue::Float(match op {
                    Add => x + y,
                    Sub => x - y,
                    Mul => x * y,
                    _ => x / y,
                }))
            }
        },
        Eq | Ne | Lt | Le | Gt | Ge => {
            let ordering = match (&a, &b) {
                (RValue::Str(x), RValue::Str(y)) => Some(x.cmp(y)),
                (RValue::Bool(x), RValue::Bool(y)) => Some(x.cmp(y)),
                (RValue::Absent, RValue::Absent) => Some(Ordering::Equal),
                (RValue::Absent, _) | (_, RValue::Absent) => {
                    return match op {
                        Eq => Ok(RValue::Bool(false)),
                        Ne => Ok(RValue::Bool(true)),
                        _ => Err(format!("cannot compare {a} and {b} with `{symbol}`")),
                    };
                }
                _ => match (number(&a), number(&b)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => return Err(format!("cannot compare {a} and {b}")),
                },
            };
            let result = match ordering {
                // NaN: only `!=` holds.
                None => op == Ne,
                Some(o) => match op {
                    Eq => o == Ordering::Equal,
                    Ne => o != Ordering::Equal,
                    Lt => o == Ordering::Less,
                    Le => o != Ordering::Greater,
                    Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
            };
            Ok(RValue::Bool(result))
        }
    }
}
