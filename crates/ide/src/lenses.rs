//! Code lenses: run, plan, graph and export commands above pipelines and steps. The
//! commands are implemented by the editor extension (export: by the language server);
//! their arguments are strings.

use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::Item;

use crate::base::tree;
use crate::defs::visit_steps;
use crate::CodeLens;

pub(crate) fn code_lenses(db: &dyn Db, file: SourceFile) -> Vec<CodeLens> {
    let path = file.path(db).display().to_string();
    let mut out = Vec::new();
    for item in &tree(db, file).file.items {
        let Item::Pipeline(p) = item else { continue };
        let name = p.name.text.to_string();
        let lens = |title: &str, command: &str, arguments: Vec<String>| CodeLens {
            span: p.name.span,
            title: title.to_string(),
            command: command.to_string(),
            arguments,
        };
        let args = vec![path.clone(), name.clone()];
        out.push(lens("▶ Run", "mlforge.run", args.clone()));
        out.push(lens("Plan", "mlforge.plan", args.clone()));
        out.push(lens("Show graph", "mlforge.showGraph", args.clone()));
        // Run by the language server itself (`workspace/executeCommand`): the files are
        // written beside the .mlf file.
        for (title, target) in [
            ("Export to Airflow", "airflow"),
            ("Export to Kubeflow", "kfp"),
            ("Export to Argo", "argo"),
        ] {
            let mut args = args.clone();
            args.push(target.to_string());
            out.push(lens(title, "mlforge.export", args));
        }
        visit_steps(&p.body, &mut |step| {
            let args = vec![path.clone(), name.clone(), step.name.text.to_string()];
            out.push(CodeLens {
                span: step.name.span,
                title: "Run step".to_string(),
                command: "mlforge.runStep".to_string(),
                arguments: args.clone(),
            });
            out.push(CodeLens {
                span: step.name.span,
                title: "Run from here".to_string(),
                command: "mlforge.runFrom".to_string(),
                arguments: args,
            });
        });
    }
    out
}
