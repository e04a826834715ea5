//! The static structure of a program: each step's op, scope and dependency lists, and
//! each block with its enclosing blocks.

use super::*;

/// Static facts about a step.
pub(crate) struct StepInfo {
    pub id: String,
    pub op_id: String,
    pub op: Arc<Op>,
    pub index: usize,
    pub scope: Vec<String>,
    /// Steps whose instances may become ready when this one's finish.
    pub dependents: Vec<usize>,
    /// Blocks whose expression reads this step.
    pub block_dependents: Vec<String>,
    /// Steps this one reads or waits for (data, `after`, and its blocks' expressions).
    pub upstream: Vec<usize>,
}

pub(crate) struct BlockInfo {
    pub id: String,
    /// Enclosing blocks, outermost first (not this one).
    pub ancestors: Vec<String>,
    pub block: Block,
}

/// Collects the steps an expression reads.
pub(super) fn expr_steps(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::StepOutput { step, .. } => out.push(step.clone()),
        Expr::List { items } => items.iter().for_each(|i| expr_steps(i, out)),
        Expr::Unary { operand, .. } => expr_steps(operand, out),
        Expr::Binary { lhs, rhs, .. } => {
            expr_steps(lhs, out);
            expr_steps(rhs, out);
        }
        Expr::Literal { .. } | Expr::Param { .. } | Expr::LoopVar { .. } => {}
    }
}

/// Collects the params an expression reads.
pub(crate) fn expr_params(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Param { name, .. } => out.push(name.clone()),
        Expr::List { items } => items.iter().for_each(|i| expr_params(i, out)),
        Expr::Unary { operand, .. } => expr_params(operand, out),
        Expr::Binary { lhs, rhs, .. } => {
            expr_params(lhs, out);
            expr_params(rhs, out);
        }
        Expr::Literal { .. } | Expr::StepOutput { .. } | Expr::LoopVar { .. } => {}
    }
}

pub(crate) fn block_expr(block: &Block) -> &Expr {
    match block {
        Block::For { over, .. } => over,
        Block::If { condition, .. } => condition,
    }
}

/// Static structure of a program: steps with their dependency lists, blocks.
pub(crate) fn analyze(
    program: &Program,
) -> Result<(Vec<StepInfo>, HashMap<String, BlockInfo>), String> {
    let index: HashMap<&str, usize> = program
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut blocks = HashMap::new();
    for (id, block) in &program.blocks {
        let mut ancestors = Vec::new();
        let mut parent = match block {
            Block::For { parent, .. } | Block::If { parent, .. } => parent.clone(),
        };
        while let Some(p) = parent {
            ancestors.insert(0, p.clone());
            parent = match program.blocks.get(&p) {
                Some(Block::For { parent, .. } | Block::If { parent, .. }) => parent.clone(),
                None => return Err(format!("block `{p}` is missing from the IR")),
            };
        }
        blocks.insert(
            id.clone(),
            BlockInfo {
                id: id.clone(),
                ancestors,
                block: block.clone(),
            },
        );
    }
    let mut steps = Vec::new();
    for (i, step) in program.steps.iter().enumerate() {
        let op = program.ops.get(&step.op).ok_or_else(|| {
            format!(
                "op `{}` of step `{}` is missing from the IR",
                step.op, step.id
            )
        })?;
        let mut reads = Vec::new();
        for binding in &step.bindings {
            if let BindingValue::Given { expr } = &binding.value {
                expr_steps(expr, &mut reads);
            }
        }
        reads.extend(step.after.iter().cloned());
        for block in &step.scope {
            if let Some(info) = blocks.get(block) {
                expr_steps(block_expr(&info.block), &mut reads);
            }
        }
        let mut upstream: Vec<usize> = Vec::new();
        for name in reads {
            let &j = index
                .get(name.as_str())
                .ok_or_else(|| format!("step `{}` reads unknown step `{name}`", step.id))?;
            if !upstream.contains(&j) {
                upstream.push(j);
            }
        }
        steps.push(StepInfo {
            id: step.id.clone(),
            op_id: step.op.clone(),
            op: Arc::new(op.clone()),
            index: i,
            scope: step.scope.clone(),
            dependents: Vec::new(),
            block_dependents: Vec::new(),
            upstream,
        });
    }
    // Reverse edges: data and `after` only (block expressions are tracked per block).
    for (i, step) in program.steps.iter().enumerate() {
        let mut reads = Vec::new();
        for binding in &step.bindings {
            if let BindingValue::Given { expr } = &binding.value {
                expr_steps(expr, &mut reads);
            }
        }
        reads.extend(step.after.iter().cloned());
        for name in reads {
            let j = index[name.as_str()];
            if !steps[j].dependents.contains(&i) {
                steps[j].dependents.push(i);
            }
        }
    }
    for (id, info) in &blocks {
        let mut reads = Vec::new();
        expr_steps(block_expr(&info.block), &mut reads);
        for name in reads {
            if let Some(&j) = index.get(name.as_str()) {
                if !steps[j].block_dependents.contains(id) {
                    steps[j].block_dependents.push(id.clone());
                }
            }
        }
    }
    Ok((steps, blocks))
}
