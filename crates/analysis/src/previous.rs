//! The previous result of the queries that can start from it: a file's parse, a pipeline's
//! analysis. After an edit, `parse` re-parses only the edited statements of the previous
//! tree, and `analyze_pipeline` patches the previous analysis when only one step changed.
//!
//! These are side tables, not queries: starting from a previous result always gives what
//! starting from scratch would (the tests compare the two), so what they hold never
//! changes an answer, only how fast it comes.

use std::hash::Hash;
use std::sync::{Arc, Mutex};

use mlforge_syntax::Parse;
use rustc_hash::FxHashMap;

use crate::pipeline::PipelineAnalysis;
use crate::SourceFile;

#[derive(Default)]
pub struct PreviousResults {
    pub(crate) parses: Previous<SourceFile, Parse>,
    /// By file and pipeline name.
    pub(crate) analyses: Previous<(SourceFile, String), PipelineAnalysis>,
}

/// The latest result for each key, with the text of the file it was made from.
pub(crate) struct Previous<K, V>(Mutex<FxHashMap<K, WithText<V>>>);

/// A result and the text it was made from.
type WithText<V> = (Arc<str>, Arc<V>);

impl<K, V> Default for Previous<K, V> {
    fn default() -> Self {
        Previous(Mutex::default())
    }
}

impl<K: Hash + Eq + Send + 'static, V: Send + Sync + 'static> Previous<K, V> {
    pub(crate) fn get(&self, key: &K) -> Option<WithText<V>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    /// Forgets the entries whose key `keep` refuses.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        if let Ok(mut last) = self.0.lock() {
            let dropped: Vec<_> = last.extract_if(|key, _| !keep(key)).collect();
            if !dropped.is_empty() {
                mlforge_syntax::drop_later::drop_later(dropped);
            }
        }
    }

    pub(crate) fn set(&self, key: K, text: Arc<str>, value: Arc<V>) {
        if let Ok(mut last) = self.0.lock() {
            if let Some(replaced) = last.insert(key, (text, value)) {
                mlforge_syntax::drop_later::drop_later(replaced);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use crate::items::ItemKey;
    use crate::pipeline::analyze_pipeline;
    use crate::{Db, MemoryLoader, RootDatabase};

    const OP: &str = "op f(x: int) -> (y: int) { python \"\"\"print(1)\"\"\" }\n";

    /// Typing a pipeline's name leaves no analysis behind for each prefix.
    #[test]
    fn analyses_of_pipelines_no_longer_defined_are_forgotten() {
        let mut db = RootDatabase::new(Arc::new(MemoryLoader::default()));
        let path = Path::new("/w/main.mlf");
        let mut names = Vec::new();
        for name in ["p", "pi", "pip", "pipe"] {
            let text = format!("{OP}pipeline {name}() {{\n  step a = f(x: 1)\n}}\n");
            let file = db.set_file_text(path, Some(text));
            let key = ItemKey::new(&db, file, name.to_string());
            assert!(analyze_pipeline(&db, key).diagnostics.is_empty());
            names.push((file, name.to_string()));
        }
        let kept: Vec<bool> = names
            .iter()
            .map(|key| db.previous().analyses.get(key).is_some())
            .collect();
        assert_eq!(kept, [false, false, false, true]);
    }
}
