//! The static structure of a program: each step's op, scope and dependency lists, and
//! each block with its enclosing blocks.

use super::*;

/// Static facts about a step.
pub(crate) struct StepInfo {
    pub id: String,
    pub op_id: String,
    pub op: Arc<Op>,
    pub index: usize,
    /// The blocks around the step, outermost first; shared, because the scheduler holds
    /// on to it while it changes its own state (a clone per instance looked at).
    pub scope: Arc<[String]>,
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
pub(super) fn expr_steps<'p>(expr: &'p Expr, out: &mut Vec<&'p str>) {
    if let Expr::StepOutput { step, .. } = expr {
        out.push(step);
    }
    for child in expr.children() {
        expr_steps(child, out);
    }
}

/// Collects the params an expression reads.
pub(crate) fn expr_params(expr: &Expr, out: &mut Vec<String>) {
    if let Expr::Param { name, .. } = expr {
        out.push(name.clone());
    }
    for child in expr.children() {
        expr_params(child, out);
    }
}

/// Static structure of a program: steps with their dependency lists, blocks.
pub(crate) fn analyze(
    program: &Program,
) -> Result<(Vec<StepInfo>, FxHashMap<String, BlockInfo>), String> {
    let index: FxHashMap<&str, usize> = program
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut blocks = FxHashMap::default();
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
    // One shared copy of each op, however many steps run it.
    let ops: HashMap<&str, Arc<Op>> = program
        .ops
        .iter()
        .map(|(id, op)| (id.as_str(), Arc::new(op.clone())))
        .collect();
    let mut steps = Vec::with_capacity(program.steps.len());
    // Each step's data and `after` reads, for the reverse edges below; one buffer for all.
    let mut data_reads: Vec<(usize, usize)> = Vec::new();
    let mut reads: Vec<&str> = Vec::new();
    for (i, step) in program.steps.iter().enumerate() {
        let op = ops.get(step.op.as_str()).ok_or_else(|| {
            format!(
                "op `{}` of step `{}` is missing from the IR",
                step.op, step.id
            )
        })?;
        reads.clear();
        for binding in &step.bindings {
            if let BindingValue::Given { expr } = &binding.value {
                expr_steps(expr, &mut reads);
            }
        }
        reads.extend(step.after.iter().map(String::as_str));
        let data = reads.len();
        for block in &step.scope {
            if let Some(info) = blocks.get(block) {
                for expr in info.block.exprs() {
                    expr_steps(expr, &mut reads);
                }
            }
        }
        let mut upstream: Vec<usize> = Vec::new();
        for (k, &name) in reads.iter().enumerate() {
            let &j = index
                .get(name)
                .ok_or_else(|| format!("step `{}` reads unknown step `{name}`", step.id))?;
            if !upstream.contains(&j) {
                upstream.push(j);
            }
            if k < data {
                data_reads.push((j, i));
            }
        }
        steps.push(StepInfo {
            id: step.id.clone(),
            op_id: step.op.clone(),
            op: Arc::clone(op),
            index: i,
            scope: step.scope.as_slice().into(),
            dependents: Vec::new(),
            block_dependents: Vec::new(),
            upstream,
        });
    }
    // Reverse edges: data and `after` only (block expressions are tracked per block).
    for (j, i) in data_reads {
        if !steps[j].dependents.contains(&i) {
            steps[j].dependents.push(i);
        }
    }
    for (id, info) in &blocks {
        let mut reads = Vec::new();
        for expr in info.block.exprs() {
            expr_steps(expr, &mut reads);
        }
        for name in reads {
            if let Some(&j) = index.get(name) {
                if !steps[j].block_dependents.contains(id) {
                    steps[j].block_dependents.push(id.clone());
                }
            }
        }
    }
    Ok((steps, blocks))
}
