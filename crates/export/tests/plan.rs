//! The plan of the quickstart: tasks, dependencies, blocks and what inputs read.

mod support;

use mlforge_export::plan::{DepKind, InputSource, Node, Read};
use mlforge_export::Plan;

#[test]
fn the_quickstart_plan_holds_its_structure() {
    let program = support::example("quickstart.mlf");
    let plan = Plan::new(&program).unwrap();
    let ids: Vec<&str> = plan.tasks.iter().map(|t| t.id()).collect();
    assert_eq!(ids, ["data", "parts", "fitted", "check", "best", "release"]);

    // The `for` holds fitted and check; the `if` holds release.
    assert_eq!(plan.root.len(), 5);
    let Node::Block(for_id) = plan.root[2] else {
        panic!("the third node is the for: {:?}", plan.root)
    };
    assert_eq!(plan.blocks[for_id].children, [Node::Task(2), Node::Task(3)]);
    assert_eq!(plan.tasks[2].block, Some(for_id));

    // fit reads parts.train and the loop variable.
    let fitted = plan.task("fitted").unwrap();
    assert!(matches!(
        fitted.inputs[0].source,
        InputSource::StepOutput {
            step: "parts",
            output: "train"
        }
    ));
    assert!(matches!(
        fitted.inputs[1].source,
        InputSource::LoopVar { name: "lr", .. }
    ));
    assert_eq!(fitted.deps.len(), 1);
    assert_eq!(
        (fitted.deps[0].step, fitted.deps[0].kind),
        ("parts", DepKind::Data)
    );

    // best gathers fitted.model across the for.
    let best = plan.task("best").unwrap();
    assert_eq!(
        best.inputs[0].reads,
        [Read::StepOutput {
            step: "fitted",
            output: "model",
            across: vec![for_id]
        }]
    );

    // The if's condition reads best.mse and the max_mse param.
    let Node::Block(if_id) = plan.root[4] else {
        panic!()
    };
    assert_eq!(plan.blocks[if_id].deps, ["best"]);
    assert!(plan.blocks[if_id].reads.contains(&Read::Param("max_mse")));
}

#[test]
fn after_edges_and_data_edges_are_kept_apart() {
    let program = support::compile(
        r#"
op a() -> (n: int) { shell """echo 1 > ${n}""" }
op b(n: int) { shell """echo ${n}""" }
pipeline p() {
  step x = a()
  step y = b(n: x.n)
  step z = b(n: 2) after y, x
}
"#,
    );
    let plan = Plan::new(&program).unwrap();
    let z = plan.task("z").unwrap();
    let deps: Vec<_> = z.deps.iter().map(|d| (d.step, d.kind)).collect();
    assert_eq!(deps, [("y", DepKind::After), ("x", DepKind::After)]);
    assert!(matches!(z.inputs[0].source, InputSource::Literal(_)));
}
