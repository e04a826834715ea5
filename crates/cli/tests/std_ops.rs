//! Every op of the std library (crates/stdlib/std) run end to end with the real binary on
//! small data (scikit-learn's bundled data sets, or tables the test writes), with their
//! results checked: row counts, class proportions, types kept through Parquet, means and
//! deviations after scaling, the accuracy of real models. The Python comes from
//! MLFORGE_PYTHON (tests/python-requirements.txt); without it the tests are skipped, except
//! under CI, where they fail. std/mlflow is run against a real server in std_mlflow.rs.

mod run_support;
mod std_support;

use run_support::Scratch;
use serde_json::json;
use std_support::*;

const IO: &str = r#"
import "std/io"

/// A Parquet table with a column of each type.
op make_parquet() -> (table: Dataset) {
  requires = ["pandas>=2.0", "pyarrow>=14"]
  python def """
    import pandas as pd
    pd.DataFrame({
        "id": pd.Series([1, 2, 3], dtype="int64"),
        "small": pd.Series([7, -8, 9], dtype="int16"),
        "score": [0.5, 1.25, -3.0],
        "name": ["a", "b", None],
        "flag": [True, False, True],
        "day": pd.to_datetime(["2024-01-01", "2024-02-29", "2024-12-31"]),
    }).to_parquet(table, index=False)
  """
}

/// The columns, their pandas types and the rows of a Parquet table.
op describe(table: Dataset) -> (columns: list<string>, dtypes: list<string>, rows: list<string>) {
  requires = ["pandas>=2.0", "pyarrow>=14"]
  python def """
    import pandas as pd
    with open(table, "rb") as f:
        assert f.read(4) == b"PAR1", "not Parquet"
    df = pd.read_parquet(table)
    return {"columns": list(df.columns), "dtypes": [str(t) for t in df.dtypes],
            "rows": [repr(tuple(r)) for r in df.itertuples(index=False)]}
  """
}

/// A SQLite database with one table.
op make_db() -> (db: File) {
  python def """
    import sqlite3
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE flowers (species TEXT, petal REAL)")
    con.executemany("INSERT INTO flowers VALUES (?, ?)",
                    [("setosa", 1.5), ("virginica", 5.5), ("setosa", 1.25)])
    con.commit()
    con.close()
  """
}

pipeline io_ops(raw: File, url: string) {
  step iris = io.toy_dataset(name: "iris")
  step wine = io.toy_dataset(name: "wine")
  step dia = io.toy_dataset(name: "diabetes")
  step csv = io.read_csv(path: raw, sep: ";", columns: ["b", "a"])
  step piped = io.write_csv(table: csv.table, sep: "|")
  step made = make_parquet()
  step pq = io.read_parquet(path: made.table)
  step some = io.read_parquet(path: made.table, columns: ["name", "id"])
  step zstd = io.write_parquet(table: pq.table, compression: "zstd")
  step original = describe(table: made.table)
  step round_trip = describe(table: zstd.parquet)
  step picked = describe(table: some.table)
  step flat = io.write_csv(table: pq.table)
  step from_csv = io.write_parquet(table: iris.table)
  step db = make_db()
  step q = io.query_sqlite(database: db.db, query: "SELECT species, COUNT(*) AS n, AVG(petal) AS petal FROM flowers GROUP BY species ORDER BY species")
  step q_url = io.query_sql(url: url, query: "SELECT species FROM flowers WHERE petal > 2")
}
"#;

#[test]
fn io_reads_and_writes_csv_parquet_and_sql() {
    let Some(python) = std_python() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(&s, "io.mlf", IO);
    s.write("raw.csv", "a;b;c\n1;x;2.5\n2;\"y;z\";3.5\n3;w;\n");
    // A database outside the store, reached by URL; its path comes from the environment.
    let db = s.path().join("outside.db");
    let made = std::process::Command::new(&python)
        .arg("-c")
        .arg(
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
             c.execute('CREATE TABLE flowers (species TEXT, petal REAL)'); \
             c.executemany('INSERT INTO flowers VALUES (?, ?)', [('setosa', 1.0), ('virginica', 6.0), ('versicolor', 4.5)]); \
             c.commit()",
        )
        .arg(&db)
        .status()
        .unwrap();
    assert!(made.success());
    let ran = s
        .command(&[
            "run",
            "io.mlf",
            "--python",
            &python,
            "--jobs",
            "2",
            "--param",
            "raw=raw.csv",
            "--param",
            "url=sqlite:///${STD_TEST_DB}",
        ])
        .env("STD_TEST_DB", &db)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let run = s.latest_run().id;

    // The bundled data sets, as CSV with a `target` column.
    assert_eq!(s.output(run, "iris", "", "rows"), 150);
    assert_eq!(s.output(run, "wine", "", "rows"), 178);
    assert_eq!(s.output(run, "dia", "", "rows"), 442);
    let iris = table(&s, run, "iris", "table");
    assert_eq!(iris.header.len(), 5);
    assert_eq!(iris.header[4], "target");
    assert_eq!(
        iris.counts("target").into_values().collect::<Vec<_>>(),
        [50, 50, 50]
    );

    // CSV in with `;` and a quoted field, two columns picked in order, out with `|`.
    assert_eq!(s.output(run, "csv", "", "rows"), 3);
    let picked = table(&s, run, "csv", "table");
    assert_eq!(picked.header, ["b", "a"]);
    assert_eq!(picked.column("b"), ["x", "y;z", "w"]);
    let piped = String::from_utf8(artifact_bytes(&s, run, "piped", "csv")).unwrap();
    assert_eq!(piped, "b|a\nx|1\ny;z|2\nw|3\n");

    // Parquet keeps every column's type and value, through read_parquet and a zstd write.
    assert!(is_parquet(&s, run, "pq", "table"));
    assert!(is_parquet(&s, run, "zstd", "parquet"));
    let before = s.output(run, "original", "", "dtypes");
    assert_eq!(
        before,
        json!([
            "int64",
            "int16",
            "float64",
            "object",
            "bool",
            "datetime64[ns]"
        ])
    );
    assert_eq!(s.output(run, "round_trip", "", "dtypes"), before);
    assert_eq!(
        s.output(run, "round_trip", "", "columns"),
        s.output(run, "original", "", "columns")
    );
    assert_eq!(
        s.output(run, "round_trip", "", "rows"),
        s.output(run, "original", "", "rows")
    );
    assert_eq!(s.output(run, "pq", "", "rows"), 3);
    assert_eq!(
        s.output(run, "picked", "", "columns"),
        json!(["name", "id"])
    );
    assert_eq!(
        s.output(run, "picked", "", "dtypes"),
        json!(["object", "int64"])
    );
    // Parquet to CSV and CSV to Parquet.
    let flat = table(&s, run, "flat", "csv");
    assert_eq!(flat.header, ["id", "small", "score", "name", "flag", "day"]);
    assert_eq!(flat.column("score"), ["0.5", "1.25", "-3.0"]);
    assert_eq!(flat.column("name"), ["a", "b", ""]);
    assert!(is_parquet(&s, run, "from_csv", "parquet"));

    // SQL: a SQLite artifact, and a database named by an SQLAlchemy URL.
    assert_eq!(s.output(run, "q", "", "rows"), 2);
    let q = String::from_utf8(artifact_bytes(&s, run, "q", "table")).unwrap();
    assert_eq!(q, "species,n,petal\nsetosa,2,1.375\nvirginica,1,5.5\n");
    assert_eq!(s.output(run, "q_url", "", "rows"), 2);
    assert_eq!(
        table(&s, run, "q_url", "table").column("species"),
        ["virginica", "versicolor"]
    );

    // query_sql always runs (the database may have changed); the rest comes from the cache.
    let again = s
        .command(&[
            "run",
            "io.mlf",
            "--python",
            &python,
            "--events",
            "json",
            "--param",
            "raw=raw.csv",
            "--param",
            "url=sqlite:///${STD_TEST_DB}",
        ])
        .env("STD_TEST_DB", &db)
        .output()
        .unwrap();
    assert!(again.status.success());
    let events = String::from_utf8(again.stdout).unwrap();
    let started: Vec<String> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "step_started")
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(started, ["q_url"]);
}

const DATA: &str = r#"
import "std/data"
import "std/io"

pipeline data_ops(people: File, newcomers: File, orders: File) {
  step iris = io.toy_dataset(name: "iris")
  step parts = data.split(table: iris.table, test_size: 0.2, stratify: "target", seed: 3)
  step plain = data.split(table: iris.table, test_size: 0.5)
  step iris_pq = io.write_parquet(table: iris.table)
  step pq_parts = data.split(table: iris_pq.parquet, test_size: 0.3, stratify: "target")
  step ten = data.sample(table: iris.table, n: 10, seed: 1)
  step half = data.sample(table: iris.table, fraction: 0.5, seed: 1)
  step boot = data.sample(table: iris.table, n: 300, replace: true, seed: 1)
  step p = io.read_csv(path: people)
  step p2 = io.read_csv(path: newcomers)
  step o = io.read_csv(path: orders)
  step sel = data.select(table: p.table, columns: ["income", "id"])
  step dropped = data.drop(table: p.table, columns: ["city", "label"])
  step inner = data.join(left: p.table, right: o.table, on: ["id"])
  step left = data.join(left: p.table, right: o.table, on: ["id"], how: "left")
  step outer = data.join(left: p.table, right: o.table, on: ["id"], how: "outer")
  step mean = data.impute(table: p.table)
  step mean_new = data.impute(table: p2.table, fitted: mean.transform)
  step median = data.impute(table: p.table, strategy: "median", columns: ["age", "income"])
  step zero = data.impute(table: p.table, strategy: "constant", value: "0", columns: ["age"])
  step city = data.impute(table: p.table, strategy: "most_frequent", columns: ["city"])
  step std = data.scale(table: parts.train, exclude: ["target"])
  step std_test = data.scale(table: parts.test, fitted: std.transform)
  step minmax = data.scale(table: parts.train, method: "minmax", columns: ["petal length (cm)", "petal width (cm)"])
  step onehot = data.one_hot(table: p.table, columns: ["city"])
  step onehot_new = data.one_hot(table: p2.table, fitted: onehot.transform, keep: true)
  step amounts = data.one_hot(table: o.table, columns: ["amount"])
  step amounts_left = data.one_hot(table: left.joined, fitted: amounts.transform)
}
"#;

const PEOPLE: &str = "id,age,city,income,label
1,30,paris,100,yes
2,,london,200,no
3,50,paris,,yes
4,40,,400,no
5,20,berlin,700,yes
";

const NEWCOMERS: &str = "id,age,city,income,label
6,,rome,,no
7,60,berlin,50,yes
";

const ORDERS: &str = "id,amount
1,10
1,15
3,7
9,1
";

#[test]
fn data_splits_samples_selects_joins_imputes_scales_and_encodes() {
    let Some(python) = std_python() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(&s, "data.mlf", DATA);
    s.write("people.csv", PEOPLE);
    s.write("newcomers.csv", NEWCOMERS);
    s.write("orders.csv", ORDERS);
    let run = run_ok(
        &s,
        &python,
        "data.mlf",
        &[
            "--param",
            "people=people.csv",
            "--param",
            "newcomers=newcomers.csv",
            "--param",
            "orders=orders.csv",
        ],
    );

    // A stratified split keeps the class proportions (50/50/50) in both parts.
    let train = table(&s, run, "parts", "train");
    let test = table(&s, run, "parts", "test");
    assert_eq!(
        train.counts("target").into_values().collect::<Vec<_>>(),
        [40, 40, 40]
    );
    assert_eq!(
        test.counts("target").into_values().collect::<Vec<_>>(),
        [10, 10, 10]
    );
    // The parts are disjoint and together the whole table.
    let mut all: Vec<Vec<String>> = train.rows.iter().chain(&test.rows).cloned().collect();
    let mut iris = table(&s, run, "iris", "table").rows;
    all.sort();
    iris.sort();
    assert_eq!(all, iris);
    assert_eq!(table(&s, run, "plain", "test").rows.len(), 75);
    // A Parquet table is split into Parquet parts.
    assert!(is_parquet(&s, run, "pq_parts", "train"));
    assert!(is_parquet(&s, run, "pq_parts", "test"));

    // Samples.
    assert_eq!(table(&s, run, "ten", "sampled").rows.len(), 10);
    let half = table(&s, run, "half", "sampled");
    assert_eq!(half.rows.len(), 75);
    let mut distinct = half.rows.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 75, "without replacement no row repeats");
    let boot = table(&s, run, "boot", "sampled");
    assert_eq!(
        boot.rows.len(),
        300,
        "with replacement, more rows than the table"
    );

    // Select and drop.
    let sel = table(&s, run, "sel", "selected");
    assert_eq!(sel.header, ["income", "id"]);
    assert_eq!(sel.column("id"), ["1", "2", "3", "4", "5"]);
    assert_eq!(
        table(&s, run, "dropped", "kept").header,
        ["id", "age", "income"]
    );

    // Joins.
    assert_eq!(s.output(run, "inner", "", "rows"), 3);
    let inner = table(&s, run, "inner", "joined");
    assert_eq!(inner.column("id"), ["1", "1", "3"]);
    assert_eq!(inner.column("amount"), ["10", "15", "7"]);
    assert_eq!(s.output(run, "left", "", "rows"), 6);
    assert_eq!(s.output(run, "outer", "", "rows"), 7);
    let outer = table(&s, run, "outer", "joined");
    assert!(outer.column("id").contains(&"9".to_string()));

    // Impute with the mean (age 35, income 350), learned once and applied to new rows.
    assert_eq!(s.output(run, "mean", "", "filled"), 2);
    let mean = table(&s, run, "mean", "imputed");
    assert_eq!(mean.floats("age"), [30.0, 35.0, 50.0, 40.0, 20.0]);
    assert_eq!(mean.floats("income"), [100.0, 200.0, 350.0, 400.0, 700.0]);
    assert_eq!(
        mean.column("city")[3],
        "",
        "text is not imputed with a mean"
    );
    let learned = artifact_json(&s, run, "mean", "transform");
    assert_eq!(learned["values"], json!({"age": 35.0, "income": 350.0}));
    let mean_new = table(&s, run, "mean_new", "imputed");
    assert_eq!(mean_new.floats("age"), [35.0, 60.0]);
    assert_eq!(mean_new.floats("income"), [350.0, 50.0]);
    assert_eq!(s.output(run, "mean_new", "", "filled"), 2);
    let median = table(&s, run, "median", "imputed");
    assert_eq!(median.floats("income"), [100.0, 200.0, 300.0, 400.0, 700.0]);
    assert_eq!(median.floats("age")[1], 35.0);
    assert_eq!(
        table(&s, run, "zero", "imputed").floats("age"),
        [30.0, 0.0, 50.0, 40.0, 20.0]
    );
    assert_eq!(s.output(run, "city", "", "filled"), 1);
    assert_eq!(
        table(&s, run, "city", "imputed").column("city"),
        ["paris", "london", "paris", "paris", "berlin"]
    );

    // Standard scaling gives every feature mean 0 and (population) deviation 1 on the
    // data it was fitted on; the target is left alone.
    let scaled = table(&s, run, "std", "scaled");
    let features = &scaled.header[..4];
    for column in features {
        let (m, sd) = mean_std(&scaled.floats(column));
        assert!(m.abs() < 1e-9, "{column}: mean {m}");
        assert!((sd - 1.0).abs() < 1e-9, "{column}: std {sd}");
    }
    assert_eq!(scaled.column("target"), train.column("target"));
    // The test part is scaled with the training part's statistics.
    let stats = artifact_json(&s, run, "std", "transform");
    let column = &features[2];
    let raw = train.floats(column);
    let (m, sd) = mean_std(&raw);
    assert!((f64_of(&stats["columns"][column]["center"]) - m).abs() < 1e-9);
    assert!((f64_of(&stats["columns"][column]["scale"]) - sd).abs() < 1e-9);
    let test_scaled = table(&s, run, "std_test", "scaled").floats(column);
    let test_raw = test.floats(column);
    for (scaled, raw) in test_scaled.iter().zip(&test_raw) {
        assert!((scaled - (raw - m) / sd).abs() < 1e-9);
    }
    // Min-max scaling to [0, 1], of the named columns only.
    let minmax = table(&s, run, "minmax", "scaled");
    for column in ["petal length (cm)", "petal width (cm)"] {
        let xs = minmax.floats(column);
        let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((lo, hi), (0.0, 1.0), "{column}");
    }
    assert_eq!(
        minmax.column("sepal length (cm)"),
        train.column("sepal length (cm)")
    );

    // One-hot: a 0/1 column per category seen, none for a missing value; new data gets
    // the same columns, and a category never seen gets zeros.
    let onehot = table(&s, run, "onehot", "encoded");
    assert_eq!(
        onehot.header,
        [
            "id",
            "age",
            "income",
            "label",
            "city_berlin",
            "city_london",
            "city_paris"
        ]
    );
    assert_eq!(onehot.column("city_paris"), ["1", "0", "1", "0", "0"]);
    assert_eq!(onehot.column("city_london"), ["0", "1", "0", "0", "0"]);
    assert_eq!(onehot.column("city_berlin"), ["0", "0", "0", "0", "1"]);
    let onehot_new = table(&s, run, "onehot_new", "encoded");
    assert_eq!(onehot_new.column("city"), ["rome", "berlin"], "kept");
    assert_eq!(onehot_new.column("city_berlin"), ["0", "1"]);
    assert_eq!(onehot_new.column("city_paris"), ["0", "0"]);
    assert_eq!(onehot_new.column("city_london"), ["0", "0"]);
    // Integer categories still match once a missing value has made the column floats.
    let amounts = table(&s, run, "amounts_left", "encoded");
    assert_eq!(
        amounts.header[amounts.header.len() - 4..],
        ["amount_1", "amount_10", "amount_15", "amount_7"]
    );
    assert_eq!(amounts.column("amount_10"), ["1", "0", "0", "0", "0", "0"]);
    assert_eq!(amounts.column("amount_15"), ["0", "1", "0", "0", "0", "0"]);
    assert_eq!(amounts.column("amount_7"), ["0", "0", "0", "1", "0", "0"]);
    assert_eq!(amounts.column("amount_1"), ["0"; 6]);
}

const SKLEARN: &str = r#"
import "std/data"
import "std/io"
import "std/sklearn"

pipeline sk() {
  step iris = io.toy_dataset(name: "iris")
  step parts = data.split(table: iris.table, test_size: 0.3, stratify: "target")
  step fit = sklearn.train(table: parts.train, estimator: "sklearn.linear_model.LogisticRegression", params: {"C": 1.0}, params_json: "{\"max_iter\": 1000}")
  step pred = sklearn.predict(model: fit.model, table: parts.test, proba: true)
  step m = sklearn.classification_metrics(predictions: pred.predictions)
  step ev = sklearn.evaluate(model: fit.model, table: parts.test)
  step forest = sklearn.train(table: parts.train, estimator: "RandomForestClassifier", params: {"n_estimators": 20, "max_depth": 3}, seed: 1)
  step forest_ev = sklearn.evaluate(model: forest.model, table: parts.test)
  step two = sklearn.train(table: parts.train, estimator: "DecisionTreeClassifier", features: ["petal length (cm)", "petal width (cm)"], seed: 0)
  step two_pred = sklearn.predict(model: two.model, table: parts.test, column: "guess")
  step two_m = sklearn.classification_metrics(predictions: two_pred.predictions, prediction: "guess", average: "weighted")
  step cv = sklearn.cross_validate(table: iris.table, estimator: "sklearn.svm.SVC", folds: 3, scoring: "f1_macro", params_json: "{\"kernel\": \"linear\"}")
  step cancer = io.toy_dataset(name: "breast_cancer")
  step cparts = data.split(table: cancer.table, test_size: 0.25, stratify: "target")
  step cfit = sklearn.train(table: cparts.train, estimator: "sklearn.ensemble.RandomForestClassifier", params: {"n_estimators": 30}, seed: 0)
  step cpred = sklearn.predict(model: cfit.model, table: cparts.test, proba: true)
  step cm = sklearn.classification_metrics(predictions: cpred.predictions, average: "binary")
  step dia = io.toy_dataset(name: "diabetes")
  step dparts = data.split(table: dia.table, test_size: 0.25)
  step ridge = sklearn.train(table: dparts.train, estimator: "sklearn.linear_model.Ridge", params: {"alpha": 0.1})
  step dpred = sklearn.predict(model: ridge.model, table: dparts.test)
  step dm = sklearn.regression_metrics(predictions: dpred.predictions)
  step dev = sklearn.evaluate(model: ridge.model, table: dparts.test)
}
"#;

#[test]
fn sklearn_trains_predicts_cross_validates_and_measures() {
    let Some(python) = std_python() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(&s, "sk.mlf", SKLEARN);
    let run = run_ok(&s, &python, "sk.mlf", &[]);
    let out = |step: &str, name: &str| f64_of(&s.output(run, step, "", name));

    // Logistic regression on iris: accurate, and ROC AUC from the probabilities.
    let accuracy = out("m", "accuracy");
    assert!(accuracy > 0.9, "accuracy on iris: {accuracy}");
    assert!(out("m", "f1") > 0.9);
    assert!(out("m", "roc_auc") > 0.95);
    assert!(out("fit", "train_score") > 0.9);
    let metrics = artifact_json(&s, run, "m", "metrics");
    assert_eq!(f64_of(&metrics["accuracy"]), accuracy);
    assert_eq!(metrics["rows"], 45);
    for key in ["f1", "precision", "recall", "roc_auc"] {
        assert!(metrics[key].is_number(), "{key} in {metrics}");
    }
    // The predictions table keeps the input's columns and adds the prediction and one
    // probability per class, summing to 1.
    let pred = table(&s, run, "pred", "predictions");
    assert_eq!(
        pred.header[4..],
        ["target", "prediction", "proba_0", "proba_1", "proba_2"]
    );
    for row in 0..pred.rows.len() {
        let sum: f64 = ["proba_0", "proba_1", "proba_2"]
            .iter()
            .map(|c| pred.floats(c)[row])
            .sum();
        assert!((sum - 1.0).abs() < 1e-6);
    }
    let right = pred
        .column("target")
        .iter()
        .zip(pred.column("prediction"))
        .filter(|(t, p)| *t == p)
        .count();
    assert!((right as f64 / 45.0 - accuracy).abs() < 1e-12);
    // evaluate agrees with predict + classification_metrics.
    assert_eq!(out("ev", "score"), accuracy);
    assert!(out("forest_ev", "score") > 0.9);

    // Two features only, a named prediction column, weighted averages.
    let two = table(&s, run, "two_pred", "predictions");
    assert!(two.header.contains(&"guess".to_string()));
    assert!(out("two_m", "accuracy") > 0.9);
    assert_eq!(
        s.output(run, "two_m", "", "roc_auc"),
        serde_json::Value::Null
    );

    // Three stratified folds of a linear SVM.
    let cv = artifact_json(&s, run, "cv", "scores");
    let folds: Vec<f64> = (0..3).map(|i| f64_of(&cv["fold"][i.to_string()])).collect();
    let (m, sd) = mean_std(&folds);
    assert!((out("cv", "mean") - m).abs() < 1e-12);
    assert!((out("cv", "std") - sd).abs() < 1e-12);
    assert!(m > 0.9, "cross-validated F1: {m}");

    // A binary problem: ROC AUC from the positive class's probability.
    assert!(out("cm", "roc_auc") > 0.95);
    assert!(out("cm", "accuracy") > 0.9);

    // Regression on the diabetes data.
    let (rmse, mae, r2) = (out("dm", "rmse"), out("dm", "mae"), out("dm", "r2"));
    assert!(r2 > 0.3 && r2 < 1.0, "R² of a ridge on diabetes: {r2}");
    assert!(0.0 < mae && mae <= rmse, "mae {mae}, rmse {rmse}");
    let dpred = table(&s, run, "dpred", "predictions");
    let err: Vec<f64> = dpred
        .floats("target")
        .iter()
        .zip(dpred.floats("prediction"))
        .map(|(t, p)| t - p)
        .collect();
    let my_mae = err.iter().map(|e| e.abs()).sum::<f64>() / err.len() as f64;
    let my_rmse = (err.iter().map(|e| e * e).sum::<f64>() / err.len() as f64).sqrt();
    assert!((my_mae - mae).abs() < 1e-6 && (my_rmse - rmse).abs() < 1e-6);
    assert_eq!(out("dev", "score"), r2);
    let dm = artifact_json(&s, run, "dm", "metrics");
    assert_eq!(f64_of(&dm["r2"]), r2);
}

#[test]
fn sklearn_train_names_an_unknown_parameter_or_estimator() {
    let Some(python) = std_python() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(
        &s,
        "bad.mlf",
        r#"
import "std/io"
import "std/sklearn"

pipeline bad() {
  step iris = io.toy_dataset(name: "iris")
  step typo = sklearn.train(table: iris.table, estimator: "LogisticRegression", params: {"c": 1.0})
  step nothing = sklearn.train(table: iris.table, estimator: "NoSuchClassifier")
}
"#,
    );
    s.run(&["run", "bad.mlf", "--python", &python, "--jobs", "2"])
        .expect(1);
    let run = s.latest_run().id;
    let typo = log_of(&s, run, "typo");
    assert!(
        typo.contains("LogisticRegression has no parameter ['c']"),
        "{typo}"
    );
    let nothing = log_of(&s, run, "nothing");
    assert!(
        nothing.contains("scikit-learn has no estimator called 'NoSuchClassifier'"),
        "{nothing}"
    );
}

const XGBOOST: &str = r#"
import "std/data"
import "std/io"
import "std/sklearn"
import "std/xgboost"

pipeline xgb(labelled: File) {
  step wine = io.toy_dataset(name: "wine")
  step parts = data.split(table: wine.table, test_size: 0.3, stratify: "target")
  step fit = xgboost.train(table: parts.train, rounds: 40, params: {"max_depth": 3, "learning_rate": 0.3}, params_json: "{\"n_jobs\": 1}")
  step pred = xgboost.predict(model: fit.model, table: parts.test, proba: true)
  step m = sklearn.classification_metrics(predictions: pred.predictions)
  step ev = sklearn.evaluate(model: fit.model, table: parts.test)
  step dia = io.toy_dataset(name: "diabetes")
  step dparts = data.split(table: dia.table, test_size: 0.25)
  step reg = xgboost.train(table: dparts.train, task: "regression", rounds: 60, params: {"max_depth": 2, "learning_rate": 0.1})
  step dpred = xgboost.predict(model: reg.model, table: dparts.test)
  step dm = sklearn.regression_metrics(predictions: dpred.predictions)
  step pets = io.read_csv(path: labelled)
  step pfit = xgboost.train(table: pets.table, target: "kind", rounds: 10)
  step ppred = xgboost.predict(model: pfit.model, table: pets.table, column: "guess", proba: true)
  step psk = sklearn.predict(model: pfit.model, table: pets.table)
}
"#;

#[test]
fn xgboost_trains_and_predicts_classes_and_numbers() {
    let Some(python) = std_python() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(&s, "xgb.mlf", XGBOOST);
    let mut pets = String::from("weight,ears,kind\n");
    for i in 0..30 {
        let (weight, ears, kind) = if i % 2 == 0 {
            (3 + i % 4, 1, "cat")
        } else {
            (20 + i % 9, 0, "dog")
        };
        pets.push_str(&format!("{weight},{ears},{kind}\n"));
    }
    s.write("pets.csv", &pets);
    let run = run_ok(&s, &python, "xgb.mlf", &["--param", "labelled=pets.csv"]);
    let out = |step: &str, name: &str| f64_of(&s.output(run, step, "", name));

    let accuracy = out("m", "accuracy");
    assert!(accuracy > 0.9, "accuracy on wine: {accuracy}");
    assert!(out("m", "roc_auc") > 0.95);
    assert_eq!(out("ev", "score"), accuracy);
    assert!(out("fit", "train_score") > 0.95);
    let pred = table(&s, run, "pred", "predictions");
    assert!(pred.header.ends_with(&[
        "prediction".to_string(),
        "proba_0".to_string(),
        "proba_1".to_string(),
        "proba_2".to_string()
    ]));

    // Regression: better than predicting the mean on held-out data.
    let r2 = out("dm", "r2");
    assert!(
        r2 > 0.2 && r2 < 1.0,
        "R² of boosted trees on diabetes: {r2}"
    );
    assert!(out("reg", "train_score") > r2);

    // Text labels are encoded for XGBoost and decoded again, by both predict ops.
    let ppred = table(&s, run, "ppred", "predictions");
    assert_eq!(ppred.column("guess"), ppred.column("kind"));
    assert!(ppred.header.contains(&"proba_cat".to_string()));
    assert!(ppred.header.contains(&"proba_dog".to_string()));
    let psk = table(&s, run, "psk", "predictions");
    assert_eq!(psk.column("prediction"), psk.column("kind"));
    assert_eq!(out("pfit", "train_score"), 1.0);
}

const EVAL: &str = r#"
import "std/eval"

op make_model(text: string) -> (model: Model) {
  python def """
    model.write_text(text)
  """
}

op read(model: Model) -> (text: string) {
  python def """
    return model.read_text()
  """
}

op make_metrics(accuracy: float, loss: float) -> (metrics: Metrics) {
  python def """
    import json
    metrics.write_text(json.dumps({"accuracy": accuracy, "loss": {"val": loss}, "rows": 10}))
  """
}

pipeline ev(names: list<string> = ["a", "b", "c"], scores: list<float> = [0.5, 0.9, 0.7]) {
  for name in names {
    step mk = make_model(text: name)
  }
  step hi = eval.pick_best(models: mk.model, scores: scores)
  step lo = eval.pick_best(models: mk.model, scores: scores, mode: "min")
  step hi_text = read(model: hi.model)
  step lo_text = read(model: lo.model)
  step old = make_metrics(accuracy: 0.8, loss: 0.5)
  step new = make_metrics(accuracy: 0.9, loss: 0.75)
  step by_accuracy = eval.compare(baseline: old.metrics, candidate: new.metrics, metric: "accuracy")
  step by_loss = eval.compare(baseline: old.metrics, candidate: new.metrics, metric: "loss.val", mode: "min")
  step by_margin = eval.compare(baseline: old.metrics, candidate: new.metrics, metric: "accuracy", min_delta: 0.2)
  step gate = eval.assert_metric(metrics: new.metrics, metric: "accuracy", at_least: 0.85, at_most: 1.0)
  step nested = eval.assert_metric(metrics: new.metrics, metric: "loss.val", at_most: 1.0)
}
"#;

#[test]
fn eval_picks_the_best_compares_and_gates() {
    let Some(python) = std_python() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(&s, "ev.mlf", EVAL);
    let run = run_ok(&s, &python, "ev.mlf", &[]);
    assert_eq!(s.output(run, "hi", "", "index"), 1);
    assert_eq!(s.output(run, "hi", "", "score"), 0.9);
    assert_eq!(s.output(run, "hi_text", "", "text"), "b");
    assert_eq!(s.output(run, "lo", "", "index"), 0);
    assert_eq!(s.output(run, "lo_text", "", "text"), "a");

    assert_eq!(s.output(run, "by_accuracy", "", "improved"), true);
    assert_eq!(s.output(run, "by_accuracy", "", "baseline_value"), 0.8);
    assert_eq!(s.output(run, "by_accuracy", "", "candidate_value"), 0.9);
    let delta = artifact_json(&s, run, "by_accuracy", "delta");
    assert!((f64_of(&delta["accuracy"]) - 0.1).abs() < 1e-12);
    assert_eq!(delta["loss.val"], 0.25);
    assert_eq!(delta["rows"], 0.0);
    assert_eq!(
        s.output(run, "by_loss", "", "improved"),
        false,
        "the loss grew"
    );
    assert_eq!(s.output(run, "by_margin", "", "improved"), false);
    assert_eq!(s.output(run, "gate", "", "value"), 0.9);
    assert_eq!(s.output(run, "nested", "", "value"), 0.75);

    // A metric across its threshold fails the step and the run, naming both.
    for (name, from, to, step, message) in [
        (
            "low.mlf",
            "at_least: 0.85, at_most: 1.0",
            "at_least: 0.95",
            "gate",
            "accuracy is 0.9, below the threshold 0.95",
        ),
        (
            "high.mlf",
            "metric: \"loss.val\", at_most: 1.0",
            "metric: \"loss.val\", at_most: 0.7",
            "nested",
            "loss.val is 0.75, above the threshold 0.7",
        ),
    ] {
        assert!(EVAL.contains(from));
        s.write(name, &EVAL.replace(from, to));
        s.run(&["run", name, "--python", &python]).expect(1);
        let failed = s.latest_run().id;
        let attempts = s.attempts_of(failed, step);
        assert_eq!(
            attempts.last().map(|a| a.status),
            Some(mlforge_store::AttemptStatus::Failed)
        );
        let log = log_of(&s, failed, step);
        assert!(log.contains(message), "{log}");
    }
    // Models and scores that do not pair up are refused.
    s.write(
        "pairs.mlf",
        &EVAL.replace(
            "scores: list<float> = [0.5, 0.9, 0.7]",
            "scores: list<float> = [0.5, 0.9]",
        ),
    );
    s.run(&["run", "pairs.mlf", "--python", &python]).expect(1);
    let log = log_of(&s, s.latest_run().id, "hi");
    assert!(log.contains("3 models but 2 scores"), "{log}");
}

#[test]
fn mlflow_ops_need_a_tracking_server() {
    let Some(python) = std_python() else {
        return;
    };
    let s = Scratch::new();
    write_mlf(
        &s,
        "reg.mlf",
        r#"
import "std/io"
import "std/mlflow"
import "std/sklearn"

pipeline reg() {
  step iris = io.toy_dataset(name: "iris")
  step fit = sklearn.train(table: iris.table, estimator: "DecisionTreeClassifier")
  step reg = mlflow.register(model: fit.model, name: "iris")
}
"#,
    );
    let ran = s
        .command(&["run", "reg.mlf", "--python", &python])
        .env_remove("MLFLOW_TRACKING_URI")
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(1));
    let log = log_of(&s, s.latest_run().id, "reg");
    assert!(
        log.contains("which MLflow server? give tracking_uri, or set MLFLOW_TRACKING_URI"),
        "{log}"
    );
}

/// Every std module checks with no diagnostic at all and is formatted, and every op has a
/// doc comment with an example.
#[test]
fn std_modules_check_clean_are_formatted_and_documented() {
    let modules = std_sources();
    assert_eq!(
        modules.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["data", "eval", "io", "mlflow", "sklearn", "xgboost"]
    );
    let dir = root().join("crates/stdlib/std");
    for (name, source) in &modules {
        let file = dir.join(format!("{name}.mlf"));
        let checked = run_support::mlforge()
            .args(["check", "--format", "json"])
            .arg(&file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&checked.stdout);
        assert!(checked.status.success(), "std/{name}: {stdout}");
        assert!(
            !stdout.contains("\"code\""),
            "std/{name} has diagnostics: {stdout}"
        );
        let formatted = run_support::mlforge()
            .args(["fmt", "--check"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            formatted.status.success(),
            "std/{name} is not formatted: {}",
            String::from_utf8_lossy(&formatted.stderr)
        );
        assert!(
            source.starts_with("// "),
            "std/{name} starts with its one-line summary"
        );
        // Each op is preceded by a doc comment that holds an example.
        let lines: Vec<&str> = source.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.starts_with("op ") {
                continue;
            }
            let doc: Vec<&str> = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.starts_with("///"))
                .copied()
                .collect();
            assert!(
                doc.iter().any(|l| l.starts_with("/// Example: `step ")),
                "std/{name}: `{line}` has no `/// Example:` line"
            );
        }
    }
}

/// Every op of every module is called by a std test or a std example, so none goes
/// untested.
#[test]
fn every_std_op_is_run_by_a_test() {
    let mut callers = String::new();
    for dir in ["crates/cli/tests", "examples/std"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if (name.starts_with("std_") && name.ends_with(".rs")) || name.ends_with(".mlf") {
                callers.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut uncalled = Vec::new();
    for (module, source) in std_sources() {
        for op in op_names(&source) {
            if !callers.contains(&format!("{module}.{op}(")) {
                uncalled.push(format!("std/{module}: {op}"));
            }
        }
    }
    assert!(uncalled.is_empty(), "ops no std test runs: {uncalled:?}");
}
