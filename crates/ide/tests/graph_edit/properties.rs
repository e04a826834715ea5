//! Any sequence of graph edits leaves a file that parses, keeps every comment, and whose
//! graph is the old graph with the edits applied. The expected graph is modelled here on
//! its own (steps with their ops, data and `after` edges, each edit's effect and when it
//! must be refused), and compared with the step graph analysis builds from the new text.

use std::collections::BTreeSet;

use mlforge_analysis::graph::{numbered_blocks, EdgeKind};
use mlforge_analysis::items::{find_pipeline, ItemKey};
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::Db;
use mlforge_ide::{graph_edit, ArgValue, GraphEdit, RefusalReason};
use mlforge_syntax::ast::Stmt;
use proptest::prelude::*;

use crate::support::{apply, comments, load};

/// Every input is optional, so that any output fits any input inside or outside an `if`:
/// the model then need not know types.
const BASE: &str = r#"// the ops
op src() -> (out: Dataset) {
  shell """
    touch ${out}
  """
}

op map(a: Dataset?, b: Dataset?, n: int = 1) -> (out: Dataset) {
  shell """
    cat ${a} ${b} ${n} > ${out}
  """
}

op two(x: Dataset?, y: Dataset?) -> (l: Dataset, r: Dataset) {
  shell """
    cat ${x} ${y} > ${l} > ${r}
  """
}

/* before */ pipeline p() {  // after the brace
  // leading
  step s = src()  // trailing
  /* between */
  step m = map(
    a: s.out,  // inside the call
    /* before n */ n: 2,
  )
  // dangling
}
// after
"#;

const OPS: [(&str, &[&str], &[&str]); 3] = [
    ("src", &[], &["out"]),
    ("map", &["a", "b"], &["out"]),
    ("two", &["x", "y"], &["l", "r"]),
];

fn op(name: &str) -> (&'static [&'static str], &'static [&'static str]) {
    let (_, inputs, outputs) = OPS.iter().find(|(n, _, _)| *n == name).expect("a known op");
    (inputs, outputs)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Graph {
    /// Step name → op.
    steps: BTreeSet<(String, String)>,
    /// (from, output, to, input).
    data: BTreeSet<(String, String, String, String)>,
    /// (before, after).
    after: BTreeSet<(String, String)>,
}

impl Graph {
    fn names(&self) -> Vec<String> {
        self.steps.iter().map(|(n, _)| n.clone()).collect()
    }

    fn op_of(&self, step: &str) -> &str {
        &self
            .steps
            .iter()
            .find(|(n, _)| n == step)
            .expect("a step")
            .1
    }

    /// The steps that read `step`, transitively (data and `after`).
    fn readers(&self, step: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut stack = vec![step.to_string()];
        while let Some(s) = stack.pop() {
            let next = self
                .data
                .iter()
                .filter(|e| e.0 == s)
                .map(|e| e.2.clone())
                .chain(self.after.iter().filter(|e| e.0 == s).map(|e| e.1.clone()));
            for n in next {
                if found.insert(n.clone()) {
                    stack.push(n);
                }
            }
        }
        found
    }
}

/// The graph analysis builds from `text`.
fn graph_of(text: &str) -> Graph {
    let loaded = load(&[("/main.mlf", text)]);
    let file = loaded.files[0].1;
    let db: &dyn Db = &loaded.db;
    let analysis = analyze_pipeline(db, ItemKey::new(db, file, "p".to_string()));
    let steps = &analysis.graph.steps;
    let mut graph = Graph::default();
    for s in steps {
        let op = s.callee.as_ref().map_or("?", |c| c.name.as_str());
        graph.steps.insert((s.name.clone(), op.to_string()));
    }
    for e in &analysis.graph.edges {
        let (from, to) = (steps[e.from].name.clone(), steps[e.to].name.clone());
        match &e.kind {
            EdgeKind::Data { input, output, .. } => {
                graph
                    .data
                    .insert((from, output.to_string(), to, input.to_string()));
            }
            EdgeKind::After => {
                graph.after.insert((from, to));
            }
        }
    }
    graph
}

/// The id of the innermost block around `step` in `text`, if any.
fn block_of(text: &str, step: &str) -> Option<String> {
    let loaded = load(&[("/main.mlf", text)]);
    let pipeline = find_pipeline(&loaded.db, loaded.files[0].1, "p")?;
    numbered_blocks(&pipeline.body)
        .into_iter()
        .filter(|(_, b)| {
            b.body()
                .iter()
                .any(|s| matches!(s, Stmt::Step(st) if st.name.text == step))
        })
        .map(|(id, _)| id)
        .next()
}

/// The pipeline's body and its blocks': their ids (`None` for the pipeline's) and lengths.
fn bodies(text: &str) -> Vec<(Option<String>, usize)> {
    let loaded = load(&[("/main.mlf", text)]);
    let Some(pipeline) = find_pipeline(&loaded.db, loaded.files[0].1, "p") else {
        return vec![(None, 0)];
    };
    std::iter::once((None, pipeline.body.len()))
        .chain(
            numbered_blocks(&pipeline.body)
                .into_iter()
                .map(|(id, b)| (Some(id), b.body().len())),
        )
        .collect()
}

/// What the model expects of an edit: the new graph, or a refusal for this reason.
enum Expect {
    Graph(Graph),
    Refused(RefusalReason, BTreeSet<String>),
}

/// One random edit, made concrete against the current graph and text.
fn choose(
    graph: &Graph,
    text: &str,
    pick: (u8, u8, u8, u8, u8, bool),
) -> Option<(GraphEdit, Expect)> {
    let names = graph.names();
    let (kind, a, b, c, d, flag) = pick;
    let nth =
        |list: &[String], i: u8| (!list.is_empty()).then(|| list[i as usize % list.len()].clone());
    let mut next = graph.clone();
    Some(match kind % 8 {
        0 | 1 => {
            let (op, _, _) = OPS[a as usize % OPS.len()];
            let name = (1..)
                .map(|n| {
                    if n == 1 {
                        op.to_string()
                    } else {
                        format!("{op}{n}")
                    }
                })
                .find(|n| !names.contains(n))
                .unwrap();
            next.steps.insert((name, op.to_string()));
            // Into the pipeline's body or a block's, at the end or at a position in it.
            let bodies = bodies(text);
            let (block, len) = bodies[c as usize % bodies.len()].clone();
            let edit = GraphEdit::AddStep {
                op: op.into(),
                name: None,
                block,
                index: flag.then_some(d as usize % (len + 1)),
                import: None,
            };
            (edit, Expect::Graph(next))
        }
        2 | 3 => {
            let from = nth(&names, a)?;
            let to = nth(&names, b)?;
            let outputs = op(graph.op_of(&from)).1;
            let inputs = op(graph.op_of(&to)).0;
            if inputs.is_empty() {
                return None;
            }
            let output = outputs[c as usize % outputs.len()].to_string();
            let input = inputs[d as usize % inputs.len()].to_string();
            let edit = GraphEdit::Connect {
                from: from.clone(),
                output: output.clone(),
                to: to.clone(),
                input: input.clone(),
            };
            if from == to || graph.readers(&to).contains(&from) {
                return Some((
                    edit,
                    Expect::Refused(RefusalReason::Invalid, BTreeSet::new()),
                ));
            }
            next.data.retain(|e| !(e.2 == to && e.3 == input));
            next.data.insert((from, output, to, input));
            (edit, Expect::Graph(next))
        }
        4 => {
            let step = nth(&names, a)?;
            let inputs = op(graph.op_of(&step)).0;
            if inputs.is_empty() {
                return None;
            }
            let input = inputs[b as usize % inputs.len()].to_string();
            let edit = GraphEdit::Disconnect {
                step: step.clone(),
                input: input.clone(),
            };
            if !graph.data.iter().any(|e| e.2 == step && e.3 == input) {
                return Some((
                    edit,
                    Expect::Refused(RefusalReason::NotFound, BTreeSet::new()),
                ));
            }
            next.data.retain(|e| !(e.2 == step && e.3 == input));
            (edit, Expect::Graph(next))
        }
        5 => {
            let step = nth(&names, a)?;
            let readers = graph.readers(&step);
            let edit = GraphEdit::DeleteStep {
                step: step.clone(),
                cascade: flag,
            };
            if !readers.is_empty() && !flag {
                return Some((edit, Expect::Refused(RefusalReason::Dependants, readers)));
            }
            let gone: BTreeSet<String> = readers.into_iter().chain([step]).collect();
            next.steps.retain(|(n, _)| !gone.contains(n));
            next.data
                .retain(|e| !gone.contains(&e.0) && !gone.contains(&e.2));
            next.after
                .retain(|e| !gone.contains(&e.0) && !gone.contains(&e.1));
            (edit, Expect::Graph(next))
        }
        6 => {
            let step = nth(&names, a)?;
            let after = nth(&names, b)?;
            let edit = GraphEdit::AddAfter {
                step: step.clone(),
                after: after.clone(),
            };
            if step == after || graph.readers(&step).contains(&after) {
                return Some((
                    edit,
                    Expect::Refused(RefusalReason::Invalid, BTreeSet::new()),
                ));
            }
            next.after.insert((after, step));
            (edit, Expect::Graph(next))
        }
        _ => {
            let step = nth(&names, a)?;
            match (flag, block_of(text, &step)) {
                // Wrapping and unwrapping change no step and no edge.
                (true, Some(block)) => (GraphEdit::Unwrap { block }, Expect::Graph(next)),
                (false, _) if c % 2 == 0 => (
                    GraphEdit::SetArg {
                        step,
                        input: "n".into(),
                        value: (d % 3 != 0).then_some(ArgValue::Int(d as i64)),
                    },
                    if graph.op_of(&nth(&names, a)?) == "map" {
                        Expect::Graph(next)
                    } else {
                        Expect::Refused(RefusalReason::NotFound, BTreeSet::new())
                    },
                ),
                _ => (
                    GraphEdit::WrapIf {
                        steps: vec![step],
                        condition: "true".into(),
                    },
                    Expect::Graph(next),
                ),
            }
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_keep_the_text_sound_and_the_graph_as_modelled(
        picks in prop::collection::vec(any::<(u8, u8, u8, u8, u8, bool)>(), 1..14)
    ) {
        let original_comments = comments(BASE);
        let mut text = BASE.to_string();
        let mut graph = graph_of(&text);
        for pick in picks {
            let Some((edit, expect)) = choose(&graph, &text, pick) else { continue };
            let loaded = load(&[("/main.mlf", &text)]);
            let answer = graph_edit(&loaded.db, loaded.files[0].1, "p", &edit);
            match (answer, expect) {
                (Ok(outcome), Expect::Graph(expected)) => {
                    let edits: Vec<_> = outcome.edits.iter().flat_map(|f| f.edits.clone()).collect();
                    prop_assert!(outcome.edits.len() <= 1, "one file only: {:?}", outcome.edits);
                    text = apply(&text, &edits);
                    let parse = mlforge_syntax::parse(&text);
                    prop_assert!(parse.errors.is_empty(), "{edit:?} broke the syntax: {:?}\n{text}", parse.errors);
                    prop_assert_eq!(&comments(&text), &original_comments, "{:?} changed the comments:\n{}", edit, text);
                    graph = graph_of(&text);
                    prop_assert_eq!(&graph, &expected, "{:?} gave another graph:\n{}", edit, text);
                }
                (Err(refusal), Expect::Refused(reason, dependants)) => {
                    prop_assert_eq!(refusal.reason, reason, "{:?}: {}", edit, refusal.message);
                    let listed: BTreeSet<String> = refusal.dependants.into_iter().collect();
                    prop_assert_eq!(listed, dependants);
                }
                (Ok(_), Expect::Refused(reason, _)) => {
                    prop_assert!(false, "{edit:?} was made, but should be refused ({reason:?}):\n{text}");
                }
                (Err(refusal), Expect::Graph(_)) => {
                    prop_assert!(false, "{edit:?} was refused: {}\n{text}", refusal.message);
                }
            }
        }
    }
}
